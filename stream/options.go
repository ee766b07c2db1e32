package stream

import (
	"context"
	"net/http"
	"time"
)

// Defaults of the writer options.
const (
	DefaultWriteTimeout = 10 * time.Second
	DefaultKeepAlive    = 15 * time.Second
	DefaultBuffer       = 16
)

// Option configures [Write], [NDJSON] and [SSE].
type Option func(*options)

type options struct {
	requestID    string
	writeTimeout time.Duration
	keepAlive    time.Duration
	retry        time.Duration
	resumeAfter  int64
	compress     bool
	req          *http.Request
	buffer       int
	now          func() time.Time
	cancel       func()
}

// WithRequestID sets the request_id of events that have none.
func WithRequestID(id string) Option { return func(o *options) { o.requestID = id } }

// WithWriteTimeout bounds the delivery of each event: the context passed to
// [Transport.Send] carries this deadline, which the HTTP writers apply with
// [http.ResponseController.SetWriteDeadline]. A client that does not read
// within it ends the stream with an error wrapping [ErrWrite].
// Default 10s; negative: no deadline.
func WithWriteTimeout(d time.Duration) Option { return func(o *options) { o.writeTimeout = d } }

// WithKeepAlive sets how long a stream may stay silent before the
// transport's KeepAlive runs (an SSE ": ping" comment, a WebSocket ping).
// Default 15s; negative: never.
func WithKeepAlive(d time.Duration) Option { return func(o *options) { o.keepAlive = d } }

// WithRetry sends an SSE "retry:" field, the client's reconnection delay.
func WithRetry(d time.Duration) Option { return func(o *options) { o.retry = d } }

// WithResumeAfter skips the events whose ID is not above id (the final
// event is always sent). SSE sets it from the Last-Event-ID header.
func WithResumeAfter(id int64) Option { return func(o *options) { o.resumeAfter = id } }

// WithRequest gives NDJSON the HTTP request, so that it can compress the
// stream when the client accepts gzip (SSE takes the request directly).
func WithRequest(r *http.Request) Option { return func(o *options) { o.req = r } }

// WithCompression turns gzip negotiation on (the default) or off.
func WithCompression(on bool) Option { return func(o *options) { o.compress = on } }

// WithBuffer sets how many events may wait between the source and a slow
// client. Default 16.
func WithBuffer(n int) Option { return func(o *options) { o.buffer = n } }

// WithCancel gives the writer the cancel function of the context the
// source was built on. The writer calls it when delivery fails (a write
// error, a write deadline, a failed keep-alive), so that a source busy
// between two events stops at once instead of at its next yield; the
// writer returns only after the source has returned.
//
//	ctx, cancel := context.WithCancel(r.Context())
//	defer cancel()
//	err := stream.NDJSON(ctx, w, events(ctx), stream.WithCancel(cancel))
func WithCancel(cancel context.CancelFunc) Option {
	return func(o *options) { o.cancel = cancel }
}

// WithClock sets the clock used for event times and durations.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

func newOptions(opts []Option) options {
	o := options{compress: true}
	for _, fn := range opts {
		fn(&o)
	}
	if o.writeTimeout == 0 {
		o.writeTimeout = DefaultWriteTimeout
	}
	if o.keepAlive == 0 {
		o.keepAlive = DefaultKeepAlive
	}
	if o.buffer <= 0 {
		o.buffer = DefaultBuffer
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}
