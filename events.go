package riptide

import (
	"context"
	"errors"
	"iter"
	"strconv"
	"time"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/internal/netguard"
	"github.com/riptide-go/riptide/internal/redact"
	"github.com/riptide-go/riptide/stream"
)

// ProgressEvery is how many pages (results and errors) pass between two
// progress events of [Events]. Counting pages rather than time keeps a
// stream's event IDs reproducible, which a resumed Server-Sent Events
// stream relies on.
const ProgressEvery = 25

// ResultEvent returns the stream event carrying r. The event holds a copy
// of r whose document URLs are redacted like r.URL (no credentials, no
// token-like query values); r itself is not modified.
func ResultEvent(r *Result) stream.Event {
	return stream.NewResult(redactedResult(r))
}

// redactedResult returns r, or a shallow copy of it whose document URLs
// are redacted when they would reveal a secret.
func redactedResult(r *Result) *Result {
	if r == nil || r.Document == nil {
		return r
	}
	u, cu := redact.URL(r.Document.URL), redact.URL(r.Document.CanonicalURL)
	if r.Document.URL == "" {
		u = ""
	}
	if r.Document.CanonicalURL == "" {
		cu = ""
	}
	if u == r.Document.URL && cu == r.Document.CanonicalURL {
		return r
	}
	cp := *r
	doc := *r.Document
	doc.URL, doc.CanonicalURL = u, cu
	cp.Document = &doc
	return &cp
}

// ErrorEvent returns the stream event reporting err. For an [*Error] the
// event carries its kind as error_type, a finer code (for example
// "http_status_404" or "robots_disallowed"), its redacted URL, whether a
// retry may succeed, and a context of {"op", "status"}. An *Error without a
// URL is a failure of the whole operation (an invalid crawl request, a
// canceled or closed crawl) and its event is fatal: it ends the stream.
// Other errors map to error_type "internal", "timeout" or "canceled".
//
// URLs in the message are redacted too, in case a wrapped error quoted one
// verbatim. The request_id is left to the stream writer
// ([stream.WithRequestID]), which knows it.
func ErrorEvent(err error) stream.Event {
	if err == nil {
		return stream.NewError(stream.ErrorEvent{ErrorType: KindInternal.String(), Message: "unknown error"})
	}
	var re *Error
	if !errors.As(err, &re) {
		ev := stream.ErrorFrom(err)
		ev.Error.Message = redact.Text(ev.Error.Message)
		return ev
	}
	e := stream.ErrorEvent{
		ErrorType: re.Code(),
		Code:      detailCode(re),
		Message:   redact.Text(re.Error()),
		URL:       re.URL,
		Retryable: re.Retryable(),
		Fatal:     re.URL == "",
		Context:   map[string]any{"op": re.Op},
	}
	if re.Status != 0 {
		e.Context["status"] = re.Status
	}
	return stream.NewError(e)
}

// detailCodes name the causes finer than an error's kind, first match
// wins.
var detailCodes = []struct {
	err  error
	code string
}{
	{context.DeadlineExceeded, "deadline_exceeded"},
	{fetch.ErrTimeout, "fetch_timeout"},
	{fetch.ErrInvalidURL, "invalid_url"},
	{netguard.ErrInvalidURL, "invalid_url"},
	{netguard.ErrScheme, "disallowed_scheme"},
	{netguard.ErrBlocked, "blocked_address"},
	{fetch.ErrDisallowedScheme, "disallowed_scheme"},
	{fetch.ErrBlockedAddress, "blocked_address"},
	{fetch.ErrRobotsDisallowed, "robots_disallowed"},
	{fetch.ErrBodyTooLarge, "body_too_large"},
	{fetch.ErrHeaderTooLarge, "header_too_large"},
	{fetch.ErrTooManyRedirects, "too_many_redirects"},
	{fetch.ErrRedirectLoop, "redirect_loop"},
	{fetch.ErrUnsupportedType, "unsupported_content_type"},
	{fetch.ErrTooManyEncodings, "too_many_encodings"},
	{fetch.ErrBadEncoding, "bad_encoding"},
	{fetch.ErrConnection, "connection_failed"},
	{extract.ErrNoContent, "no_content"},
	{extract.ErrParse, "parse_error"},
	{extract.ErrInvalidHTML, "invalid_html"},
	{extract.ErrResourceLimit, "extract_resource_limit"},
	{extract.ErrUnsupportedMode, "unsupported_mode"},
}

// detailCode returns e's finer code: an HTTP status, a named cause, or
// the kind's code.
func detailCode(e *Error) string {
	if e.Kind == KindFetch && e.Status != 0 {
		return "http_status_" + strconv.Itoa(e.Status)
	}
	for _, d := range detailCodes {
		if errors.Is(e.Err, d.err) {
			return d.code
		}
	}
	return e.Code()
}

// Events turns a sequence of results, typically from [Client.Crawl], into
// a stream of events for [stream.NDJSON], [stream.SSE] or a WebSocket: a
// start event naming op, then one result event ([ResultEvent]) or error
// event ([ErrorEvent]) per element, a progress event every [ProgressEvery]
// elements, and a final summary counting the results by status and
// engine, with the bytes fetched, cache hits and the p50/p95 of the
// per-page durations.
//
// An error without a URL from seq (the crawl itself failed or was
// canceled) ends the stream with a fatal error event instead of a summary.
// When ctx ends, the sequence stops without a summary; the stream writers
// then append a fatal "canceled" or "timeout" event. seq should honour the
// same ctx.
//
// Like seq, the returned sequence is single-use.
func Events(ctx context.Context, seq iter.Seq2[*Result, error], op string) iter.Seq[stream.Event] {
	return func(yield func(stream.Event) bool) {
		start := time.Now()
		if !yield(stream.NewStart(stream.Start{Op: op})) {
			return
		}
		var tally stream.Tally
		done, failed := 0, 0
		for res, err := range seq {
			var ev stream.Event
			switch {
			case err != nil:
				ev = ErrorEvent(err)
				if ev.Error.Fatal {
					yield(ev)
					return
				}
				failed++
				o := stream.Outcome{Failed: true}
				if re, ok := errors.AsType[*Error](err); ok {
					o.Status = re.Status
				}
				tally.Add(o)
			case res == nil:
				continue
			default:
				ev = ResultEvent(res)
				done++
				tally.Add(stream.Outcome{
					Status:   res.Status,
					Engine:   string(res.Engine),
					Bytes:    res.BytesFetched,
					Duration: res.Timings.Total,
					CacheHit: res.FromCache,
				})
			}
			if !yield(ev) {
				return
			}
			if n := done + failed; n%ProgressEvery == 0 {
				p := stream.Progress{Completed: done, Failed: failed,
					ElapsedMS: float64(time.Since(start)) / float64(time.Millisecond)}
				if !yield(stream.NewProgress(p)) {
					return
				}
			}
		}
		if ctx.Err() != nil {
			return // the writer ends the stream with a fatal event
		}
		yield(stream.NewSummary(tally.Summary(time.Since(start))))
	}
}

// ResourceStats returns the Client's resource-control figures: the
// admission limit and what is in flight and waiting, the memory guard's
// budget, the Go heap and the operations it refused, the latest crawl's
// adaptive concurrency limit, the PDF render cap and the running browsers.
func (c *Client) ResourceStats() map[string]float64 {
	limit, inflight, waiting := c.gate.snapshot()
	m := map[string]float64{
		"admission_limit":         float64(limit),
		"admission_in_flight":     float64(inflight),
		"admission_waiting":       float64(waiting),
		"memory_budget_bytes":     float64(c.cfg.memBudget),
		"heap_bytes":              float64(heapBytes()),
		"memory_rejections":       float64(c.gate.rejected.Load()),
		"crawl_concurrency_limit": float64(c.crawlLimit.Load()),
		"max_pdf_jobs":            maxPDFJobs,
	}
	c.engMu.Lock()
	own := c.ownRend
	c.engMu.Unlock()
	if own != nil {
		m["browsers_running"] = float64(len(own.Stats().Browsers))
	}
	return m
}

// Events is [Events] with the Client's [Client.ResourceStats] added to the
// final summary event, so a stream reports how the crawl was throttled.
func (c *Client) Events(ctx context.Context, seq iter.Seq2[*Result, error], op string) iter.Seq[stream.Event] {
	inner := Events(ctx, seq, op)
	return func(yield func(stream.Event) bool) {
		for ev := range inner {
			if ev.Type == stream.TypeSummary && ev.Summary != nil {
				s := *ev.Summary
				s.Resources = c.ResourceStats()
				ev.Summary = &s
			}
			if !yield(ev) {
				return
			}
		}
	}
}
