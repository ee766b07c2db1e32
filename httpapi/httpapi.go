// Package httpapi serves a [riptide.Client] over HTTP with net/http only:
// single extractions as JSON, crawls as NDJSON, Server-Sent Events or
// WebSocket streams.
//
// # Endpoints
//
//	POST /extract        {"url": ..., "engine": ..., "mode": ...} -> the Result as JSON
//	POST /crawl          a crawl request (JSON)                   -> NDJSON events
//	GET  /crawl/sse      a crawl request (query parameters)       -> Server-Sent Events
//	POST /crawl/sse      a crawl request (JSON)                   -> Server-Sent Events
//	GET  /crawl/ws       a crawl request (query parameters)       -> WebSocket, one event per message
//	POST /render         the Options.Renderer hook (501 without one)
//	GET  /healthz        {"status":"ok"}, or the Options.Health hook's report
//	GET  /metrics        the Options.Metrics hook (501 without one)
//
// A crawl request's JSON fields are those of [CrawlRequest]; its query form
// repeats "url" for each seed and uses the same names for the other fields
// ("max_depth=2&follow=same_host"). Stream events are those of
// [riptide.Events]: start, result, error, progress, then a summary or a
// fatal error. An SSE client that reconnects with a Last-Event-ID header (a
// WebSocket client with a last_event_id query parameter) gets the events
// after that ID: the crawl runs again from its seeds and the events the
// client has are not sent. These streams default to input order, so the
// IDs name the same pages in both runs whenever the pages are discovered
// in the same order, which a crawl of the seeds only, or one at
// concurrency 1, guarantees.
//
// # Errors
//
// A request that fails before a stream starts is answered with a status
// code and a JSON body
//
//	{"error": {"error_type": "validation", "code": "unknown_field", "message": "...", "retryable": false, "request_id": "..."}}
//
// where error_type is a riptide error kind ("validation", "fetch",
// "timeout", ...) or "unauthorized", "not_found", "method_not_allowed",
// "too_large", "not_implemented". The status follows the kind: 400
// invalid request, 401 missing or wrong token, 403 blocked or disallowed
// by robots.txt, 404, 405, 413 request body too large, 415 body not JSON,
// 422 nothing could be extracted, 502 the fetch or the browser failed or
// the page was too large, 503 a resource limit or shutdown, 504 timeout.
// Once a stream has started, failures travel in the stream as error events.
//
// # Security
//
// With Options.Token set, every endpoint but /healthz requires the header
// "Authorization: Bearer <token>", compared in constant time. Request
// bodies are capped (Options.MaxBodyBytes) and unknown JSON fields are
// rejected. Result and error URLs are redacted (no credentials, no
// token-like query values). The Client's own safety rules apply to every
// URL: serve only a Client without riptide.AllowPrivateNetworks to
// untrusted callers.
//
// # Mounting
//
// The handler routes on the request path relative to its mount point;
// mount it under a prefix with [http.StripPrefix] (see the example).
package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/stream"
)

// DefaultMaxBodyBytes caps request bodies when Options.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxCrawlPages caps a crawl's max_pages when Options.MaxCrawlPages
// is 0.
const DefaultMaxCrawlPages = 1000

// MaxCrawlConcurrency caps a crawl's concurrency.
const MaxCrawlConcurrency = 64

// bodyReadTimeout bounds reading a request body, so that a client sending
// it slowly cannot hold a handler. Streams have no overall deadline; their
// writes have one each (stream.WithWriteTimeout).
const bodyReadTimeout = 30 * time.Second

// HealthFunc reports the health of the service for GET /healthz. report is
// encoded as the JSON body; err non-nil answers 503.
type HealthFunc func(ctx context.Context) (report any, err error)

// RenderFunc serves POST /render. body is the request's JSON document,
// already size-capped; the function decodes it (see [JSONFunc], which
// rejects unknown fields) and returns the value to encode as the answer.
// Errors map to status codes as for /extract; a decoding error should be a
// [riptide.Error] of kind KindValidation.
type RenderFunc func(ctx context.Context, body json.RawMessage) (any, error)

// JSONFunc adapts a typed function, such as a Client method taking a
// request struct, to a [RenderFunc]: the body is decoded into a Req,
// rejecting unknown fields and trailing data.
func JSONFunc[Req, Resp any](fn func(context.Context, Req) (Resp, error)) RenderFunc {
	return func(ctx context.Context, body json.RawMessage) (any, error) {
		var req Req
		if err := decodeStrict(body, &req); err != nil {
			return nil, err
		}
		return fn(ctx, req)
	}
}

// Options configure the handler. The zero value serves without a token,
// with the default caps and no hooks.
type Options struct {
	// Token, when set, is the bearer token every request but /healthz
	// must carry.
	Token string
	// MaxBodyBytes caps request bodies (default 1 MiB).
	MaxBodyBytes int64
	// MaxCrawlPages caps the max_pages of a crawl (default 1000); a
	// request asking for more is refused, one asking for none gets the
	// cap.
	MaxCrawlPages int
	// Logger receives one line per failed request and per stream end
	// (nil: discarded). URLs in it are redacted.
	Logger *slog.Logger
	// Health supplies the /healthz report (nil: {"status":"ok"}).
	Health HealthFunc
	// Renderer serves POST /render (nil: 501 not_implemented).
	Renderer RenderFunc
	// Metrics serves GET /metrics, for example a Prometheus text
	// exposition handler (nil: 501 not_implemented).
	Metrics http.Handler
	// StreamOptions are added to every stream writer's options, for
	// example stream.WithKeepAlive or stream.WithWriteTimeout.
	StreamOptions []stream.Option
}

// handler serves the API of one Client.
type handler struct {
	c     *riptide.Client
	o     Options
	log   *slog.Logger
	token []byte
	// routes maps a path to its handlers by method.
	routes map[string]map[string]func(http.ResponseWriter, *http.Request, string)
}

// New returns the HTTP API of c. The handler is safe for concurrent use;
// it does not close c.
func New(c *riptide.Client, opts Options) http.Handler {
	h := &handler{c: c, o: opts, log: opts.Logger}
	if h.o.MaxBodyBytes <= 0 {
		h.o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if h.o.MaxCrawlPages <= 0 {
		h.o.MaxCrawlPages = DefaultMaxCrawlPages
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if opts.Token != "" {
		h.token = []byte(opts.Token)
	}
	h.routes = map[string]map[string]func(http.ResponseWriter, *http.Request, string){
		"/extract":   {http.MethodPost: h.extract},
		"/crawl":     {http.MethodPost: h.crawlNDJSON},
		"/crawl/sse": {http.MethodGet: h.crawlSSE, http.MethodPost: h.crawlSSE},
		"/crawl/ws":  {http.MethodGet: h.crawlWS},
		"/render":    {http.MethodPost: h.render},
		"/healthz":   {http.MethodGet: h.health, http.MethodHead: h.health},
		"/metrics":   {http.MethodGet: h.metrics},
	}
	return h
}

// ServeHTTP routes the request, after the token check.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rid := requestID(r)
	w.Header().Set("X-Request-ID", rid)
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	methods, ok := h.routes[path]
	if path != "/healthz" && !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="riptide"`)
		h.fail(w, r, rid, apiError(http.StatusUnauthorized, "unauthorized", "missing_token", "a valid bearer token is required"))
		return
	}
	if !ok {
		h.fail(w, r, rid, apiError(http.StatusNotFound, "not_found", "not_found", "no such endpoint: "+path))
		return
	}
	fn, ok := methods[r.Method]
	if !ok {
		allow := make([]string, 0, len(methods))
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
			if methods[m] != nil {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		h.fail(w, r, rid, apiError(http.StatusMethodNotAllowed, "method_not_allowed", "method_not_allowed",
			r.Method+" is not allowed on "+path+"; use "+strings.Join(allow, " or ")))
		return
	}
	fn(w, r, rid)
}

// authorized checks the bearer token in constant time.
func (h *handler) authorized(r *http.Request) bool {
	if h.token == nil {
		return true
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), h.token) == 1
}

// requestID returns the request's X-Request-ID when it is short and
// printable, else a new random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-ID"); id != "" && len(id) <= 64 {
		ok := true
		for _, c := range id {
			if c <= ' ' || c > '~' {
				ok = false
				break
			}
		}
		if ok {
			return id
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}

// ExtractRequest is the body of POST /extract.
type ExtractRequest struct {
	// URL is the page to extract (absolute http or https).
	URL string `json:"url"`
	// Engine is the engine to use (default: the Client's).
	Engine riptide.Engine `json:"engine,omitempty"`
	// Mode is what the extraction keeps: article (default), full_page,
	// metadata or selectors.
	Mode string `json:"mode,omitempty"`
	// Selectors are the CSS selectors of mode "selectors".
	Selectors []string `json:"selectors,omitempty"`
}

func (h *handler) extract(w http.ResponseWriter, r *http.Request, rid string) {
	var req ExtractRequest
	if err := h.decodeBody(w, r, &req); err != nil {
		h.fail(w, r, rid, err)
		return
	}
	opts, err := req.options()
	if err != nil {
		h.fail(w, r, rid, err)
		return
	}
	res, xerr := h.c.Extract(r.Context(), req.URL, opts...)
	if xerr != nil {
		h.fail(w, r, rid, fromError(xerr))
		return
	}
	// The same redacted view of the result the streams carry.
	writeJSON(w, http.StatusOK, riptide.ResultEvent(res).Result)
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, rid string) {
	if h.o.Renderer == nil {
		h.fail(w, r, rid, notImplemented("rendering is not available on this server"))
		return
	}
	var body json.RawMessage
	if err := h.decodeBody(w, r, &body); err != nil {
		h.fail(w, r, rid, err)
		return
	}
	out, err := h.o.Renderer(r.Context(), body)
	if err != nil {
		h.fail(w, r, rid, fromError(err))
		return
	}
	if res, ok := out.(*riptide.Result); ok {
		out = riptide.ResultEvent(res).Result
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) health(w http.ResponseWriter, r *http.Request, _ string) {
	if h.o.Health == nil {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	report, err := h.o.Health(r.Context())
	status := http.StatusOK
	if err != nil {
		status = http.StatusServiceUnavailable
		if report == nil {
			report = map[string]string{"status": "unavailable", "message": err.Error()}
		}
	}
	writeJSON(w, status, report)
}

func (h *handler) metrics(w http.ResponseWriter, r *http.Request, rid string) {
	if h.o.Metrics == nil {
		h.fail(w, r, rid, notImplemented("metrics are not available on this server"))
		return
	}
	h.o.Metrics.ServeHTTP(w, r)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Error: Error{ErrorType: "internal", Code: "encode", Message: "the answer could not be encoded"}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// options validates the request and returns its Extract options.
func (req *ExtractRequest) options() ([]riptide.RequestOption, *Error) {
	if req.URL == "" {
		return nil, invalid("missing_field", "url is required")
	}
	var opts []riptide.RequestOption
	if req.Engine != "" {
		if !req.Engine.Valid() {
			return nil, invalid("invalid_value", "engine %q is unknown (want static, wasm, headless, stealth or auto)", req.Engine)
		}
		opts = append(opts, riptide.WithRequestEngine(req.Engine))
	}
	switch m := extract.Mode(req.Mode); m {
	case "":
		if len(req.Selectors) > 0 {
			return nil, invalid("invalid_value", `selectors need mode "selectors"`)
		}
	case extract.ModeArticle, extract.ModeFullPage, extract.ModeMetadata:
		if len(req.Selectors) > 0 {
			return nil, invalid("invalid_value", `selectors need mode "selectors"`)
		}
		opts = append(opts, riptide.WithMode(m))
	case extract.ModeSelectors:
		if len(req.Selectors) == 0 {
			return nil, invalid("missing_field", `mode "selectors" needs selectors`)
		}
		opts = append(opts, riptide.WithMode(m, req.Selectors...))
	default:
		return nil, invalid("invalid_value", "mode %q is unknown (want article, full_page, metadata or selectors)", req.Mode)
	}
	return opts, nil
}
