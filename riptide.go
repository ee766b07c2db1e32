package riptide

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm"
	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/internal/redact"
	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/metrics"
	"github.com/riptide-go/riptide/render"
	"github.com/riptide-go/riptide/render/chromium"
	"github.com/riptide-go/riptide/timeout"
	"github.com/riptide-go/riptide/wasmcache"
)

// maxPDFJobs bounds the renders producing a PDF at once.
const maxPDFJobs = 2

// Client turns URLs into extracted documents. It is safe for concurrent use
// by multiple goroutines; create one and share it. Close releases its
// connections, browsers and files.
type Client struct {
	cfg        config
	log        *slog.Logger
	fetcher    fetch.Fetcher
	ownFetch   *fetch.HTTP // the built-in fetcher, closed by Close
	extractor  extract.Extractor
	policy     timeout.Policy
	adaptive   *timeout.Adaptive // the Client's own adaptive policy, closed by Close
	decisions  *decisionCache
	cache      *resultCache // nil unless WithResultCache
	rec        metrics.Recorder
	gate       *admission
	pdfJobs    *semaphore.Weighted // bounds concurrent PDF renders
	crawlLimit atomic.Int64        // the latest crawl's adaptive concurrency limit

	rssMu  sync.Mutex // guards the cached browser memory reading
	rssAt  time.Time
	rssVal uint64

	errs            lastErrors   // each component's latest error, for Health
	fetchFailStreak atomic.Int64 // fetches failed in a row
	renderBroken    atomic.Bool  // the last render could not get a browser

	engMu     sync.Mutex // guards the lazily created engines below
	wasmEng   *wasm.Engine
	wasmCache *wasmcache.Cache
	rend      render.Renderer
	ownRend   *chromium.Renderer // the built-in renderer, closed by Close
	rendErr   error
	db        *store.DB // nil without a cache dir, or when the file was locked
	dbErr     error     // why db is nil although a cache dir was given

	// life is cancelled by Close; every call's context is tied to it.
	life   context.Context
	stop   context.CancelFunc
	mu     sync.Mutex // guards closed and the in-flight count's Add
	closed bool
	calls  sync.WaitGroup
}

// New returns a Client configured by opts. It fails when an option is
// invalid; a cache directory whose store file is locked or unusable does
// not fail New: the Client then runs without its disk caches and Health
// reports the store as degraded.
func New(opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, &Error{Kind: KindValidation, Op: "new", Err: err}
	}
	c := &Client{cfg: cfg, log: cfg.logger, rec: cfg.recorder}
	if c.rec == nil {
		c.rec = metrics.Nop{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if cfg.wasmPath != "" {
		b, err := readModule(cfg.wasmPath)
		if err != nil {
			return nil, &Error{Kind: KindValidation, Op: "new", Err: err}
		}
		c.cfg.wasmModule = b
	}
	if cfg.cacheDir != "" {
		db, err := store.Open(filepath.Join(cfg.cacheDir, store.FileName), store.Options{Logger: c.log, MaxSize: cfg.storeMaxBytes})
		if err != nil {
			c.dbErr = err
			c.log.Warn("running without disk caches", "err", err)
		} else {
			c.db = db
		}
	}
	c.policy = cfg.policy
	switch {
	case c.policy != nil:
	case cfg.adaptive != nil:
		acfg := *cfg.adaptive
		if acfg.Store == nil {
			acfg.Store = c.db
		}
		if acfg.Logger == nil {
			acfg.Logger = c.log
		}
		a, err := timeout.NewAdaptive(acfg)
		if err != nil {
			c.closeStore()
			return nil, &Error{Kind: KindValidation, Op: "new", Err: err}
		}
		c.policy, c.adaptive = a, a
	default:
		c.policy = timeout.Fixed{D: cfg.timeout}
	}
	c.decisions = newDecisionCache(c.db, c.log)
	c.pdfJobs = semaphore.NewWeighted(maxPDFJobs)
	c.gate = newAdmission(cfg.admissionLimit, cfg.memBudget, cfg.memWait, c.rec)
	c.gate.memUsed = func() uint64 { return heapBytes() + c.browserRSS() }
	if cfg.cacheSize > 0 {
		c.cache = newResultCache(cfg.cacheSize, cfg.cacheTTL, c.db, c.log)
	}
	c.rend = cfg.renderer
	c.fetcher = cfg.fetcher
	if c.fetcher == nil {
		f, err := fetch.New(fetch.Config{
			UserAgent:            cfg.userAgent,
			AllowPrivateNetworks: cfg.allowPrivate,
			IgnoreRobots:         cfg.ignoreRobots,
			MaxBodyBytes:         cfg.maxBody,
			PerHostConcurrency:   cfg.perHost,
			PerHostDelay:         cfg.perHostDelay,
			GlobalConcurrency:    cfg.concurrency,
			Jar:                  cfg.jar,
			ProxyURL:             cfg.proxyURL,
			// The Client runs every fetch under timeout.Do with the
			// policy's budget; the fetcher's own policy is only a cap.
			Policy: timeout.Fixed{D: fetchCap(c.policy)},
			Logger: c.log,
		})
		if err != nil {
			c.closePolicy()
			c.closeStore()
			return nil, &Error{Kind: KindValidation, Op: "new", Err: err}
		}
		c.fetcher, c.ownFetch = f, f
	}
	c.extractor = cfg.extractor
	if c.extractor == nil {
		c.extractor = &extract.Native{}
	}
	c.life, c.stop = context.WithCancel(context.Background())
	return c, nil
}

// begin registers a call and returns its context, tied to both ctx and the
// Client's lifetime. end must be called when the call returns.
func (c *Client) begin(ctx context.Context) (context.Context, func(), error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, nil, ErrClosed
	}
	c.calls.Add(1)
	c.mu.Unlock()
	cctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(c.life, func() { cancel(ErrClosed) })
	return cctx, func() {
		stop()
		cancel(nil)
		c.calls.Done()
	}, nil
}

// RequestOption tunes one Extract call.
type RequestOption func(*request)

type request struct {
	engine         Engine
	actions        []render.Action
	renderer       render.Renderer // nil: the Client's
	cache          CacheMode
	stale          *cacheEntry   // a stale cache entry being revalidated
	renderCap      time.Duration // hard cap of a render (0: the renderer's default)
	mode           extract.Mode
	selectors      []string
	header         http.Header
	allowTruncated bool
}

// WithRequestEngine selects the engine for this call.
func WithRequestEngine(e Engine) RequestOption { return func(r *request) { r.engine = e } }

// WithMode selects what the extraction keeps (article by default).
func WithMode(m extract.Mode, selectors ...string) RequestOption {
	return func(r *request) { r.mode, r.selectors = m, selectors }
}

// WithHeader adds request headers. They are sent to the URL's origin only:
// a redirect to another origin drops them.
func WithHeader(h http.Header) RequestOption { return func(r *request) { r.header = h.Clone() } }

// WithActions runs browser actions on the page before extraction (wait
// for a selector, click, scroll, ...). They need a browser: with the static
// or WASM engine they are an error; the auto engine renders at once.
func WithActions(actions ...render.Action) RequestOption {
	return func(r *request) { r.actions = append(r.actions, actions...) }
}

// WithCacheMode says how this call uses the result cache ([CacheUse] by
// default when the Client has one, see [WithResultCache]).
func WithCacheMode(m CacheMode) RequestOption { return func(r *request) { r.cache = m } }

// WithTruncation accepts a body cut at the size cap (the Result then has
// Truncated set) instead of failing with [ErrTooLarge].
func WithTruncation() RequestOption { return func(r *request) { r.allowTruncated = true } }

// Extract fetches rawURL and extracts its content.
//
// The URL must be absolute http or https, without credentials. Errors are
// [*Error] values: test them with errors.Is against the Err* sentinels.
func (c *Client) Extract(ctx context.Context, rawURL string, opts ...RequestOption) (*Result, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return nil, newError("extract", rawURL, err)
	}
	defer end()
	req := request{engine: c.cfg.engine}
	for _, o := range opts {
		o(&req)
	}
	return c.extractObserved(ctx, "extract", rawURL, req)
}

// extractObserved runs one extraction and records its metrics and errors.
func (c *Client) extractObserved(ctx context.Context, op, rawURL string, req request) (*Result, error) {
	start := time.Now()
	prio := prioInteractive
	if op == "crawl" {
		prio = prioBulk
	}
	if err := c.gate.acquire(ctx, prio); err != nil {
		err = newError(op, rawURL, c.cause(ctx, err))
		c.observe(op, req.engine, start, err)
		return nil, err
	}
	defer c.gate.release()
	active := metrics.Labels{Engine: string(req.engine), Stage: op}
	metrics.AddGauge(c.rec, metrics.RequestsActive, active, 1)
	defer metrics.AddGauge(c.rec, metrics.RequestsActive, active, -1)
	res, err := c.extract(ctx, rawURL, req)
	if err != nil {
		err = newError(op, rawURL, c.cause(ctx, err))
		c.observe(op, req.engine, start, err)
		return nil, err
	}
	c.observe(op, res.Engine, start, nil)
	if res.FromCache {
		metrics.Inc(c.rec, metrics.CacheHits, metrics.Labels{Stage: "result"})
	} else {
		metrics.Duration(c.rec, metrics.ExtractionDuration, metrics.Labels{Engine: string(res.Engine), Outcome: "ok"}, res.Timings.Extract)
		if res.Timings.Render > 0 {
			metrics.Duration(c.rec, metrics.RenderDuration, metrics.Labels{Engine: string(res.Engine), Outcome: "ok"}, res.Timings.Render)
		}
	}
	return res, nil
}

// cause prefers ErrClosed over a bare cancellation when the Client was
// closed during the call.
func (c *Client) cause(ctx context.Context, err error) error {
	if errors.Is(err, context.Canceled) && errors.Is(context.Cause(ctx), ErrClosed) {
		return ErrClosed
	}
	return err
}

func (c *Client) extract(ctx context.Context, rawURL string, req request) (*Result, error) {
	start := time.Now()
	u, err := c.admit(rawURL)
	if err != nil {
		return nil, err
	}
	if c.cache == nil || req.cache == CacheBypass {
		return c.extractWith(ctx, u, req, start)
	}
	key, ok := cacheKey(u, req)
	if !ok {
		return c.extractWith(ctx, u, req, start)
	}
	if req.cache != CacheRefresh {
		if e, fresh := c.cache.get(key); e != nil {
			if fresh {
				c.cache.hits.Add(1)
				return served(e), nil
			}
			if (req.engine == EngineStatic || req.engine == EngineWASM) && (e.ETag != "" || e.LastModified != "") {
				req.stale = e
			}
		}
	}
	c.cache.miss.Add(1)
	res, err := c.extractWith(ctx, u, req, start)
	if err != nil {
		return nil, err
	}
	if res.FromCache { // revalidated: the stored copy is fresh again
		c.cache.put(key, &cacheEntry{Result: req.stale.Result, Stored: time.Now(), ETag: req.stale.ETag, LastModified: req.stale.LastModified})
		return res, nil
	}
	if res.Status == 200 && !res.Truncated {
		c.cache.put(key, &cacheEntry{Result: res, Stored: time.Now(), ETag: res.etag, LastModified: res.lastModified})
	}
	return res, nil
}

// extractWith dispatches a request to its engine.
func (c *Client) extractWith(ctx context.Context, u string, req request, start time.Time) (*Result, error) {
	switch req.engine {
	case EngineStatic, EngineWASM:
		if len(req.actions) > 0 {
			return nil, errorf(KindValidation, "extract", u, "actions need the headless, stealth or auto engine, not %q", req.engine)
		}
		res, _, err := c.extractStatic(ctx, u, req, start, req.engine)
		return res, err
	case EngineHeadless, EngineStealth:
		return c.extractRendered(ctx, u, req, req.engine, "requested", start)
	case EngineAuto:
		return c.extractAuto(ctx, u, req, start)
	}
	return nil, errorf(KindValidation, "extract", u, "unknown engine %q", req.engine)
}

// fetchCap is the hard cap given to the built-in fetcher: the policy's
// maximum budget when it has one, else a generous bound above any
// escalated default budget.
func fetchCap(p timeout.Policy) time.Duration {
	if cp, ok := p.(timeout.Capped); ok {
		if d := cp.MaxBudget(timeout.StageFetch); d > 0 {
			return d
		}
	}
	return 10 * time.Minute
}

// extractInto runs ex and fills res's document, robots flags and timing.
func (c *Client) extractInto(ctx context.Context, ex extract.Extractor, res *Result, in extract.Input) error {
	t := time.Now()
	doc, err := ex.Extract(ctx, in)
	res.Timings.Extract = time.Since(t)
	if err != nil {
		return err
	}
	if doc == nil {
		return fmt.Errorf("%w: extractor returned no document", extract.ErrNoContent)
	}
	// The page address may carry credentials; a Result never does.
	doc.URL = redact.URL(doc.URL)
	if doc.CanonicalURL != "" {
		doc.CanonicalURL = redact.URL(doc.CanonicalURL)
	}
	for _, d := range doc.Robots {
		switch d {
		case "noindex", "none":
			res.NoIndex = true
		}
		switch d {
		case "nofollow", "none":
			res.NoFollow = true
		}
	}
	res.Document = doc
	return nil
}

// ExtractHTML extracts content from html the caller already has. rawURL is
// the page's address, used to resolve relative links; it may be empty.
// Nothing is fetched.
func (c *Client) ExtractHTML(ctx context.Context, rawURL string, html []byte, opts ...RequestOption) (*Result, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return nil, newError("extract_html", rawURL, err)
	}
	defer end()
	req := request{}
	for _, o := range opts {
		o(&req)
	}
	start := time.Now()
	res := &Result{URL: redact.URL(rawURL), Engine: EngineStatic, EngineReason: "html_given", Attempts: 0, BytesFetched: 0}
	if err := c.extractInto(ctx, c.extractor, res, extract.Input{
		URL:     rawURL,
		HTML:    html,
		Options: extract.Options{Mode: req.mode, Selectors: req.selectors},
	}); err != nil {
		return nil, newError("extract_html", rawURL, c.cause(ctx, err))
	}
	res.Timings.Total = time.Since(start)
	return res, nil
}

// Close stops the Client: calls in progress are cancelled and Close waits
// for them to return, then releases connections, browsers and files. It is
// safe to call more than once: later calls, like every other method after
// Close, return [ErrClosed].
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	c.mu.Unlock()
	c.stop()
	c.calls.Wait()
	var errs []error
	if c.ownFetch != nil {
		errs = append(errs, c.ownFetch.Close())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c.engMu.Lock()
	if c.ownRend != nil {
		errs = append(errs, c.ownRend.Close(ctx))
	}
	if c.wasmEng != nil {
		errs = append(errs, c.wasmEng.Close(ctx))
	}
	if c.wasmCache != nil {
		errs = append(errs, c.wasmCache.Close())
	}
	c.engMu.Unlock()
	errs = append(errs, c.closePolicy())
	errs = append(errs, c.closeStore())
	return errors.Join(errs...)
}

func (c *Client) closePolicy() error {
	if c.adaptive == nil {
		return nil
	}
	return c.adaptive.Close()
}

func (c *Client) closeStore() error {
	if c.db == nil {
		return nil
	}
	return c.db.Close()
}

// TimeoutProfiles returns the per-domain time budgets learned by the
// Client's adaptive timeout policy ([WithAdaptiveTimeouts]), or nil when
// the Client uses a fixed budget.
func (c *Client) TimeoutProfiles() []timeout.Profile {
	if c.adaptive == nil {
		return nil
	}
	return c.adaptive.Profiles()
}
