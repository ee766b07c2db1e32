package stream

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// NDJSON writes events to w as newline-delimited JSON, one event per line,
// following the rules of [Write]: each line is encoded in full before it is
// written, then flushed.
//
// When w is an [http.ResponseWriter], NDJSON sets the Content-Type
// (application/x-ndjson) and no-cache headers and flushes them at once,
// gives each event a write deadline through [http.ResponseController]
// (WithWriteTimeout), and gzips the stream, flushing the compressor after
// each event, when the request given WithRequest accepts gzip. It clears
// the write deadline before returning.
func NDJSON(ctx context.Context, w io.Writer, events iter.Seq[Event], opts ...Option) error {
	o := newOptions(opts)
	t := newHTTPTransport(w, false)
	if hw, ok := w.(http.ResponseWriter); ok {
		t.setHeaders(hw, "application/x-ndjson", o.compress, o.req)
	}
	return t.serve(ctx, o, events, nil)
}

// SSE writes events to w as Server-Sent Events, following the rules of
// [Write] and [NDJSON] (headers, write deadlines, gzip from r's
// Accept-Encoding): per event an "id:" (the event ID), an "event:" (the
// type) and a "data:" line (the JSON encoding), flushed at once, and a
// ": ping" comment after WithKeepAlive of silence.
//
// A request carrying a Last-Event-ID header resumes the stream
// (WithResumeAfter): events whose ID is not above it, the start event
// included, are skipped; the final event is always sent. Events keep the
// IDs the source gave them, so a source that can resume should number its
// events itself; events without one are numbered in order.
func SSE(ctx context.Context, w http.ResponseWriter, r *http.Request, events iter.Seq[Event], opts ...Option) error {
	if r != nil {
		if id, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get("Last-Event-ID")), 10, 64); err == nil && id > 0 {
			opts = append([]Option{WithResumeAfter(id)}, opts...)
		}
	}
	o := newOptions(opts)
	t := newHTTPTransport(w, true)
	t.setHeaders(w, "text/event-stream", o.compress, r)
	var first []byte
	if o.retry > 0 {
		first = []byte("retry: " + strconv.FormatInt(o.retry.Milliseconds(), 10) + "\n\n")
	}
	return t.serve(ctx, o, events, first)
}

// httpTransport frames events for NDJSON or SSE on an io.Writer.
type httpTransport struct {
	sse   bool
	dst   io.Writer
	out   io.Writer // dst, or gz
	gz    *gzip.Writer
	rc    *http.ResponseController
	flush func() error
	buf   []byte
}

func newHTTPTransport(w io.Writer, sse bool) *httpTransport {
	t := &httpTransport{sse: sse, dst: w, out: w}
	switch f := w.(type) {
	case http.ResponseWriter:
		t.rc = http.NewResponseController(f)
		t.flush = t.rc.Flush
	case interface{ Flush() error }:
		t.flush = f.Flush
	case http.Flusher:
		t.flush = func() error { f.Flush(); return nil }
	}
	return t
}

// gzipPool recycles compressors, whose state is large to allocate.
var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed) // the level is valid
	return zw
}}

func (t *httpTransport) setHeaders(hw http.ResponseWriter, contentType string, compress bool, r *http.Request) {
	h := hw.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Accel-Buffering", "no") // reverse proxies must not buffer the stream
	h.Del("Content-Length")
	if compress && r != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			t.gz = gzipPool.Get().(*gzip.Writer)
			t.gz.Reset(t.dst)
			t.out = t.gz
		}
	}
}

// serve sends the headers (and first, if any) at once, runs the stream and
// closes the compressor.
func (t *httpTransport) serve(ctx context.Context, o options, events iter.Seq[Event], first []byte) (err error) {
	defer func() {
		if cerr := t.close(o); err == nil && cerr != nil {
			err = cerr
		}
	}()
	t.deadline(o.writeTimeout, o.now)
	if len(first) > 0 {
		if _, err := t.out.Write(first); err != nil {
			return wrapWrite(err)
		}
	}
	if err := t.doFlush(); err != nil {
		return err
	}
	return run(ctx, t, o, events)
}

func (t *httpTransport) deadline(d time.Duration, now func() time.Time) {
	if t.rc != nil && d > 0 {
		_ = t.rc.SetWriteDeadline(now().Add(d)) // unsupported: no deadline
	}
}

// Send frames data and writes it in one call, then flushes.
func (t *httpTransport) Send(ctx context.Context, ev *Event, data []byte) error {
	b := t.buf[:0]
	if t.sse {
		b = append(b, "id: "...)
		b = strconv.AppendInt(b, ev.ID, 10)
		b = append(b, "\nevent: "...)
		b = append(b, ev.Type...)
		b = append(b, "\ndata: "...)
		b = append(b, data...)
		b = append(b, "\n\n"...)
	} else {
		b = append(b, data...)
		b = append(b, '\n')
	}
	t.buf = b
	return t.write(ctx, b)
}

// KeepAlive writes an SSE comment; NDJSON has no comment syntax and sends
// nothing.
func (t *httpTransport) KeepAlive(ctx context.Context) error {
	if !t.sse {
		return nil
	}
	return t.write(ctx, []byte(": ping\n\n"))
}

func (t *httpTransport) write(ctx context.Context, b []byte) error {
	if d, ok := ctx.Deadline(); ok && t.rc != nil {
		_ = t.rc.SetWriteDeadline(d) // unsupported: no deadline
	}
	if _, err := t.out.Write(b); err != nil {
		return wrapWrite(err)
	}
	return t.doFlush()
}

func (t *httpTransport) doFlush() error {
	if t.gz != nil {
		if err := t.gz.Flush(); err != nil {
			return wrapWrite(err)
		}
	}
	return t.flushHTTP()
}

func (t *httpTransport) flushHTTP() error {
	if t.flush == nil {
		return nil
	}
	if err := t.flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return wrapWrite(err)
	}
	return nil
}

// close ends the gzip stream and clears the write deadline.
func (t *httpTransport) close(o options) error {
	var err error
	if t.gz != nil {
		t.deadline(o.writeTimeout, o.now)
		if cerr := t.gz.Close(); cerr != nil {
			err = wrapWrite(cerr)
		} else {
			err = t.flushHTTP()
		}
		t.gz.Reset(io.Discard) // drop the reference to the client
		gzipPool.Put(t.gz)
		t.gz = nil
	}
	if t.rc != nil && o.writeTimeout > 0 {
		_ = t.rc.SetWriteDeadline(time.Time{})
	}
	return err
}

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
