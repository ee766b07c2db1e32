package stream

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrWrite is wrapped by the error NDJSON and SSE return when writing to
// the client failed or passed its write deadline (a slow consumer).
var ErrWrite = errors.New("stream: write failed")

// Defaults of the writer options.
const (
	DefaultWriteTimeout = 10 * time.Second
	DefaultKeepAlive    = 15 * time.Second
	DefaultBuffer       = 16
)

// Option configures NDJSON and SSE.
type Option func(*options)

type options struct {
	requestID    string
	writeTimeout time.Duration
	keepAlive    time.Duration
	retry        time.Duration
	compress     bool
	req          *http.Request
	buffer       int
	now          func() time.Time
}

// WithRequestID sets the request_id of events that have none.
func WithRequestID(id string) Option { return func(o *options) { o.requestID = id } }

// WithWriteTimeout bounds the write and flush of each event, through
// [http.ResponseController.SetWriteDeadline] when the writer is an
// [http.ResponseWriter]. A client that does not read within it ends the
// stream with an error wrapping [ErrWrite]. Default 10s; negative: none.
func WithWriteTimeout(d time.Duration) Option { return func(o *options) { o.writeTimeout = d } }

// WithKeepAlive sets how long an SSE stream may stay silent before the
// writer sends a ": ping" comment. Default 15s; negative: never.
func WithKeepAlive(d time.Duration) Option { return func(o *options) { o.keepAlive = d } }

// WithRetry sends an SSE "retry:" field, the client's reconnection delay.
func WithRetry(d time.Duration) Option { return func(o *options) { o.retry = d } }

// WithRequest gives NDJSON the HTTP request, so that it can compress the
// stream when the client accepts gzip (SSE takes the request directly).
func WithRequest(r *http.Request) Option { return func(o *options) { o.req = r } }

// WithCompression turns gzip negotiation on (the default) or off.
func WithCompression(on bool) Option { return func(o *options) { o.compress = on } }

// WithBuffer sets how many events may wait between the source and a slow
// client. Default 16.
func WithBuffer(n int) Option { return func(o *options) { o.buffer = n } }

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

// NDJSON writes events to w as newline-delimited JSON: one event per line,
// each line encoded in full before it is written, then flushed.
//
// When w is an [http.ResponseWriter], NDJSON sets the Content-Type
// (application/x-ndjson) and no-cache headers, flushes them at once, gives
// each event a write deadline (WithWriteTimeout), and gzips the stream when
// the request passed with WithRequest accepts it.
//
// The stream always starts with a start event (one is inserted when the
// source does not begin with one) and always ends with a summary or a fatal
// error event: when the source ends without a summary, NDJSON appends one
// counted from the events it wrote; when ctx ends first, it appends a fatal
// error event ("canceled" or "timeout") and returns ctx.Err().
//
// events must honour ctx (or a context that ends with it): NDJSON returns
// only after events has returned, and stops reading it at its next yield
// once ctx ends or a write fails. A failed write returns an error wrapping
// [ErrWrite].
func NDJSON(ctx context.Context, w io.Writer, events iter.Seq[Event], opts ...Option) error {
	o := newOptions(opts)
	sw := newWriter(w, o, false)
	if hw, ok := w.(http.ResponseWriter); ok {
		sw.setHeaders(hw, "application/x-ndjson", o.req)
	}
	return sw.run(ctx, events)
}

// SSE writes events to w as Server-Sent Events: "id:" (the event ID),
// "event:" (the type) and "data:" (the JSON encoding) per event, flushed
// each time, with a ": ping" comment after WithKeepAlive of silence.
//
// A request carrying a Last-Event-ID header resumes the stream: events
// whose ID is not above it, the start event included, are skipped; the
// final event is always sent. Events keep the IDs the source gave them, so a source that
// can resume should number its events itself; events without one are
// numbered in order.
//
// SSE follows the rules of [NDJSON] for headers, write deadlines, gzip (from
// r's Accept-Encoding), the start and final events, and ctx.
func SSE(ctx context.Context, w http.ResponseWriter, r *http.Request, events iter.Seq[Event], opts ...Option) error {
	o := newOptions(opts)
	sw := newWriter(w, o, true)
	if r != nil {
		if id, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get("Last-Event-ID")), 10, 64); err == nil && id > 0 {
			sw.resumeAfter = id
		}
	}
	sw.setHeaders(w, "text/event-stream", r)
	return sw.run(ctx, events)
}

// writer is one stream being written.
type writer struct {
	o           options
	sse         bool
	dst         io.Writer
	out         io.Writer // dst, or gz
	gz          *gzip.Writer
	rc          *http.ResponseController
	flush       func() error
	resumeAfter int64
	lastID      int64
	started     bool
	finished    bool
	begin       time.Time
	results     int
	errs        int
	buf         []byte
}

func newWriter(w io.Writer, o options, sse bool) *writer {
	sw := &writer{o: o, sse: sse, dst: w, out: w, begin: o.now()}
	switch f := w.(type) {
	case http.ResponseWriter:
		sw.rc = http.NewResponseController(f)
		sw.flush = sw.rc.Flush
	case interface{ Flush() error }:
		sw.flush = f.Flush
	case http.Flusher:
		sw.flush = func() error { f.Flush(); return nil }
	}
	return sw
}

func (w *writer) setHeaders(hw http.ResponseWriter, contentType string, r *http.Request) {
	h := hw.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Accel-Buffering", "no") // reverse proxies must not buffer the stream
	h.Del("Content-Length")
	if w.o.compress && r != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			w.gz = gzipPool.Get().(*gzip.Writer)
			w.gz.Reset(w.dst)
			w.out = w.gz
		}
	}
}

// gzipPool recycles compressors, whose state is large to allocate.
var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed) // the level is valid
	return zw
}}

// acceptsGzip parses Accept-Encoding values for gzip with a non-zero q.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "gzip" && name != "*" {
				continue
			}
			q := 1.0
			for p := range strings.SplitSeq(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = f
					}
				}
			}
			if q > 0 {
				return true
			}
		}
	}
	return false
}

// run pumps events from a goroutine, so that keep-alives and cancellation
// are served while the source is busy, and writes them in order.
func (w *writer) run(ctx context.Context, events iter.Seq[Event]) (err error) {
	pctx, stop := context.WithCancel(ctx)
	ch := make(chan Event, w.o.buffer)
	pumped := make(chan struct{})
	go func() {
		defer close(pumped)
		defer close(ch)
		for ev := range events {
			select {
			case ch <- ev:
			case <-pctx.Done():
				return
			}
		}
	}()
	defer func() {
		stop()
		<-pumped // the source has returned: nothing outlives the call
		if cerr := w.close(); err == nil && cerr != nil {
			err = cerr
		}
	}()

	// Send the headers (and an SSE retry hint) before the first event.
	if w.sse && w.o.retry > 0 {
		if err := w.writeRaw(fmt.Appendf(nil, "retry: %d\n\n", w.o.retry.Milliseconds())); err != nil {
			return err
		}
	} else if err := w.doFlush(); err != nil {
		return err
	}

	var ping *time.Ticker
	var pingC <-chan time.Time
	if w.sse && w.o.keepAlive > 0 {
		ping = time.NewTicker(w.o.keepAlive)
		defer ping.Stop()
		pingC = ping.C
	}
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				if ctx.Err() != nil {
					return w.abort(ctx)
				}
				if !w.finished {
					s := Summary{Total: w.results + w.errs, Succeeded: w.results, Errors: w.errs,
						DurationMS: float64(w.o.now().Sub(w.begin)) / float64(time.Millisecond)}
					if err := w.event(NewSummary(s)); err != nil {
						return err
					}
				}
				return nil
			}
			if err := w.event(ev); err != nil {
				return err
			}
			if w.finished {
				return nil
			}
			if ping != nil {
				ping.Reset(w.o.keepAlive)
			}
		case <-pingC:
			if err := w.writeRaw([]byte(": ping\n\n")); err != nil {
				return err
			}
		case <-ctx.Done():
			return w.abort(ctx)
		}
	}
}

// abort ends a stream whose ctx ended with a fatal error event.
func (w *writer) abort(ctx context.Context) error {
	if w.finished {
		return ctx.Err()
	}
	e := ErrorEvent{ErrorType: "canceled", Message: context.Cause(ctx).Error(), Fatal: true}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		e.ErrorType, e.Retryable = "timeout", true
	}
	if err := w.event(NewError(e)); err != nil {
		return errors.Join(ctx.Err(), err)
	}
	return ctx.Err()
}

// event numbers, encodes and writes one event.
func (w *writer) event(ev Event) error {
	if !w.started && ev.Type != TypeStart {
		if err := w.event(NewStart(Start{})); err != nil {
			return err
		}
	}
	w.started = true
	if ev.ID == 0 {
		ev.ID = w.lastID + 1
	}
	w.lastID = max(w.lastID, ev.ID)
	if ev.Time.IsZero() {
		ev.Time = w.o.now()
	}
	if ev.RequestID == "" {
		ev.RequestID = w.o.requestID
	}
	switch {
	case ev.Type == TypeResult:
		w.results++
	case ev.Type == TypeError && (ev.Error == nil || !ev.Error.Fatal):
		w.errs++
	}
	final := ev.final()
	if !final && ev.ID <= w.resumeAfter {
		return nil // the client has it already
	}
	b, err := w.encode(ev)
	if err != nil {
		// An event that cannot be encoded becomes an error event, so the
		// stream never carries a partial line.
		if ev.Type == TypeResult {
			w.results--
			w.errs++
		}
		ev = Event{Type: TypeError, ID: ev.ID, Time: ev.Time, RequestID: ev.RequestID,
			Error: &ErrorEvent{ErrorType: "internal", Code: "encode", Message: err.Error(), Fatal: final}}
		if b, err = w.encode(ev); err != nil {
			return fmt.Errorf("stream: encode: %w", err)
		}
	}
	if err := w.writeRaw(b); err != nil {
		return err
	}
	w.finished = final
	return nil
}

// encode frames ev in w.buf.
func (w *writer) encode(ev Event) ([]byte, error) {
	b := w.buf[:0]
	if w.sse {
		b = append(b, "id: "...)
		b = strconv.AppendInt(b, ev.ID, 10)
		b = append(b, "\nevent: "...)
		b = append(b, ev.Type...)
		b = append(b, "\ndata: "...)
	}
	b, err := ev.AppendJSON(b)
	if err != nil {
		return nil, err
	}
	if w.sse {
		b = append(b, "\n\n"...)
	} else {
		b = append(b, '\n')
	}
	w.buf = b
	return b, nil
}

// writeRaw writes b in one call under a write deadline, then flushes.
func (w *writer) writeRaw(b []byte) error {
	if w.rc != nil && w.o.writeTimeout > 0 {
		_ = w.rc.SetWriteDeadline(w.o.now().Add(w.o.writeTimeout)) // unsupported: no deadline
	}
	if _, err := w.out.Write(b); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return w.doFlush()
}

func (w *writer) doFlush() error {
	if w.gz != nil {
		if err := w.gz.Flush(); err != nil {
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
	}
	if w.flush != nil {
		if err := w.flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
	}
	return nil
}

// close ends the gzip stream and clears the write deadline.
func (w *writer) close() error {
	var err error
	if w.gz != nil {
		if w.rc != nil && w.o.writeTimeout > 0 {
			_ = w.rc.SetWriteDeadline(w.o.now().Add(w.o.writeTimeout))
		}
		if cerr := w.gz.Close(); cerr != nil {
			err = fmt.Errorf("%w: %w", ErrWrite, cerr)
		} else {
			err = w.doFlushHTTP()
		}
		w.gz.Reset(io.Discard) // drop the reference to the client
		gzipPool.Put(w.gz)
		w.gz = nil
	}
	if w.rc != nil && w.o.writeTimeout > 0 {
		_ = w.rc.SetWriteDeadline(time.Time{})
	}
	return err
}

func (w *writer) doFlushHTTP() error {
	if w.flush == nil {
		return nil
	}
	if err := w.flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}
