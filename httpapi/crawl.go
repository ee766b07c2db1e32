package httpapi

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/stream"
	wsstream "github.com/riptide-go/riptide/stream/websocket"
)

// maxPatterns caps the include and exclude patterns of a crawl request.
const maxPatterns = 64

// CrawlRequest is a crawl as the API takes it: the JSON body of POST
// /crawl and POST /crawl/sse, or the query parameters of GET /crawl/sse
// and /crawl/ws (where "url" repeats once per seed). Zero values mean the
// defaults of [riptide.CrawlRequest].
type CrawlRequest struct {
	// URLs are the seeds (absolute http or https URLs).
	URLs []string `json:"urls"`
	// Engine extracts every page (default: the Client's engine).
	Engine riptide.Engine `json:"engine,omitempty"`
	// Concurrency is the number of pages in flight (at most 64).
	Concurrency int `json:"concurrency,omitempty"`
	// MaxDepth is how many links away from a seed the crawl goes.
	MaxDepth int `json:"max_depth,omitempty"`
	// MaxPages bounds the pages crawled (at most Options.MaxCrawlPages,
	// which is also the default).
	MaxPages int `json:"max_pages,omitempty"`
	// MaxDurationMS bounds the whole crawl, in milliseconds.
	MaxDurationMS int64 `json:"max_duration_ms,omitempty"`
	// Follow is "none" (the default: the seeds only), "same_host",
	// "same_domain" or "any".
	Follow string `json:"follow,omitempty"`
	// Include and Exclude are regular expressions on discovered URLs.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// ObeyNoFollow skips nofollow pages' links and rel=nofollow links.
	ObeyNoFollow bool `json:"obey_nofollow,omitempty"`
	// SkipNoIndex drops the results of noindex pages.
	SkipNoIndex bool `json:"skip_noindex,omitempty"`
	// Order is "completed" (as pages complete) or "input" (dispatch
	// order). Server-Sent Events and WebSocket streams default to
	// "input", so that a resumed stream numbers its events as the first
	// run did (see the package documentation for when it can).
	Order string `json:"order,omitempty"`
}

// toCrawl validates r against the server's caps and maps it onto a
// riptide.CrawlRequest.
func (r *CrawlRequest) toCrawl(maxPages int, defaultOrder riptide.Order) (riptide.CrawlRequest, *Error) {
	out := riptide.CrawlRequest{
		Engine: r.Engine, Concurrency: r.Concurrency, MaxDepth: r.MaxDepth, MaxPages: r.MaxPages,
		MaxDuration:  time.Duration(r.MaxDurationMS) * time.Millisecond,
		ObeyNoFollow: r.ObeyNoFollow, SkipNoIndex: r.SkipNoIndex, Order: defaultOrder,
	}
	switch {
	case len(r.URLs) == 0:
		return out, invalid("missing_field", "urls is required: at least one seed URL")
	case len(r.URLs) > maxPages:
		return out, invalid("invalid_value", "urls has %d seeds, more than this server's cap of %d pages", len(r.URLs), maxPages)
	}
	for i, s := range r.URLs {
		u, err := url.Parse(s)
		switch {
		case err != nil, u.Scheme != "http" && u.Scheme != "https", u.Host == "":
			return out, invalid("invalid_url", "urls[%d] is not an absolute http or https URL", i)
		case u.User != nil:
			return out, invalid("invalid_url", "urls[%d] carries credentials, which are not allowed", i)
		}
	}
	out.URLs = r.URLs
	if r.Engine != "" && !r.Engine.Valid() {
		return out, invalid("invalid_value", "engine %q is unknown (want static, wasm, headless, stealth or auto)", r.Engine)
	}
	switch r.Follow {
	case "", "none":
		out.Follow = riptide.ScopeNone
	case string(riptide.ScopeSameHost), string(riptide.ScopeSameDomain), string(riptide.ScopeAny):
		out.Follow = riptide.Scope(r.Follow)
	default:
		return out, invalid("invalid_value", "follow %q is unknown (want none, same_host, same_domain or any)", r.Follow)
	}
	switch r.Order {
	case "":
	case "completed":
		out.Order = riptide.OrderCompleted
	case string(riptide.OrderInput):
		out.Order = riptide.OrderInput
	default:
		return out, invalid("invalid_value", "order %q is unknown (want completed or input)", r.Order)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"concurrency", int64(r.Concurrency)}, {"max_depth", int64(r.MaxDepth)}, {"max_pages", int64(r.MaxPages)}, {"max_duration_ms", r.MaxDurationMS}} {
		if f.v < 0 {
			return out, invalid("invalid_value", "%s must not be negative", f.name)
		}
	}
	if r.Concurrency > MaxCrawlConcurrency {
		return out, invalid("invalid_value", "concurrency %d is above the cap of %d", r.Concurrency, MaxCrawlConcurrency)
	}
	switch {
	case r.MaxPages > maxPages:
		return out, invalid("invalid_value", "max_pages %d is above this server's cap of %d", r.MaxPages, maxPages)
	case r.MaxPages == 0:
		out.MaxPages = maxPages
	}
	for _, p := range []struct {
		name string
		pats []string
	}{{"include", r.Include}, {"exclude", r.Exclude}} {
		if len(p.pats) > maxPatterns {
			return out, invalid("invalid_value", "%s has more than %d patterns", p.name, maxPatterns)
		}
		for i, s := range p.pats {
			if _, err := regexp.Compile(s); err != nil {
				return out, invalid("invalid_value", "%s[%d] is not a valid regular expression: %v", p.name, i, err)
			}
		}
	}
	out.Include, out.Exclude = r.Include, r.Exclude
	return out, nil
}

// crawlFromQuery reads a crawl request from query parameters. Unknown
// parameters are refused, like unknown JSON fields.
func crawlFromQuery(q url.Values) (CrawlRequest, *Error) {
	var r CrawlRequest
	for k, vs := range q {
		var err *Error
		switch k {
		case "url", "urls":
			r.URLs = append(r.URLs, vs...)
		case "include":
			r.Include = append(r.Include, vs...)
		case "exclude":
			r.Exclude = append(r.Exclude, vs...)
		case "engine":
			var s string
			s, err = single(k, vs)
			r.Engine = riptide.Engine(s)
		case "follow":
			r.Follow, err = single(k, vs)
		case "order":
			r.Order, err = single(k, vs)
		case "concurrency":
			r.Concurrency, err = intParam(k, vs)
		case "max_depth":
			r.MaxDepth, err = intParam(k, vs)
		case "max_pages":
			r.MaxPages, err = intParam(k, vs)
		case "max_duration_ms":
			var n int
			n, err = intParam(k, vs)
			r.MaxDurationMS = int64(n)
		case "obey_nofollow":
			r.ObeyNoFollow, err = boolParam(k, vs)
		case "skip_noindex":
			r.SkipNoIndex, err = boolParam(k, vs)
		case "last_event_id":
			// Read by the WebSocket stream.
		default:
			err = invalid("unknown_field", "unknown query parameter %q", k)
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

func single(k string, vs []string) (string, *Error) {
	if len(vs) != 1 {
		return "", invalid("invalid_value", "%s must be given once", k)
	}
	return vs[0], nil
}

func intParam(k string, vs []string) (int, *Error) {
	s, err := single(k, vs)
	if err != nil {
		return 0, err
	}
	n, perr := strconv.Atoi(s)
	if perr != nil {
		return 0, invalid("invalid_type", "%s must be an integer", k)
	}
	return n, nil
}

func boolParam(k string, vs []string) (bool, *Error) {
	s, err := single(k, vs)
	if err != nil {
		return false, err
	}
	b, perr := strconv.ParseBool(s)
	if perr != nil {
		return false, invalid("invalid_type", "%s must be true or false", k)
	}
	return b, nil
}

// crawlRequest reads and validates the crawl request of r: its JSON body
// for POST, its query for GET.
func (h *handler) crawlRequest(w http.ResponseWriter, r *http.Request, defaultOrder riptide.Order) (riptide.CrawlRequest, *Error) {
	var req CrawlRequest
	if r.Method == http.MethodPost {
		if err := h.decodeBody(w, r, &req); err != nil {
			return riptide.CrawlRequest{}, err
		}
	} else {
		var err *Error
		if req, err = crawlFromQuery(r.URL.Query()); err != nil {
			return riptide.CrawlRequest{}, err
		}
	}
	return req.toCrawl(h.o.MaxCrawlPages, defaultOrder)
}

// events starts the crawl and returns its events.
func (h *handler) events(ctx context.Context, req riptide.CrawlRequest) iter.Seq[stream.Event] {
	return h.c.Events(ctx, h.c.Crawl(ctx, req), "crawl")
}

func (h *handler) streamOptions(r *http.Request, rid string) []stream.Option {
	return append([]stream.Option{stream.WithRequestID(rid), stream.WithRequest(r)}, h.o.StreamOptions...)
}

// ended logs the end of a stream.
func (h *handler) ended(rid, kind string, start time.Time, err error) {
	attrs := []any{"request_id", rid, "stream", kind, "duration_ms", time.Since(start).Milliseconds()}
	switch {
	case err == nil:
		h.log.Debug("stream ended", attrs...)
	case errors.Is(err, context.Canceled), errors.Is(err, stream.ErrWrite):
		h.log.Info("stream ended early", append(attrs, "err", err.Error())...)
	default:
		h.log.Warn("stream failed", append(attrs, "err", err.Error())...)
	}
}

func (h *handler) crawlNDJSON(w http.ResponseWriter, r *http.Request, rid string) {
	req, err := h.crawlRequest(w, r, riptide.OrderCompleted)
	if err != nil {
		h.fail(w, r, rid, err)
		return
	}
	start := time.Now()
	ctx := r.Context()
	serr := stream.NDJSON(ctx, w, h.events(ctx, req), h.streamOptions(r, rid)...)
	h.ended(rid, "ndjson", start, serr)
}

func (h *handler) crawlSSE(w http.ResponseWriter, r *http.Request, rid string) {
	req, err := h.crawlRequest(w, r, riptide.OrderInput)
	if err != nil {
		h.fail(w, r, rid, err)
		return
	}
	start := time.Now()
	ctx := r.Context()
	opts := append([]stream.Option{stream.WithRetry(3 * time.Second)}, h.streamOptions(r, rid)...)
	serr := stream.SSE(ctx, w, r, h.events(ctx, req), opts...)
	h.ended(rid, "sse", start, serr)
}

func (h *handler) crawlWS(w http.ResponseWriter, r *http.Request, rid string) {
	req, err := h.crawlRequest(w, r, riptide.OrderInput)
	if err != nil {
		h.fail(w, r, rid, err)
		return
	}
	if v := r.URL.Query()["last_event_id"]; len(v) > 1 {
		h.fail(w, r, rid, invalid("invalid_value", "last_event_id must be given once"))
		return
	}
	start := time.Now()
	source := func(ctx context.Context, _ *http.Request) iter.Seq[stream.Event] {
		return h.events(ctx, req)
	}
	opts := append([]stream.Option{stream.WithRequestID(rid)}, h.o.StreamOptions...)
	wsstream.Handler(source, nil, opts...).ServeHTTP(w, r)
	h.ended(rid, "websocket", start, nil)
}
