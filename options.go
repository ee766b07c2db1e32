package riptide

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/metrics"
	"github.com/riptide-go/riptide/render"
	"github.com/riptide-go/riptide/render/chromium"
	"github.com/riptide-go/riptide/timeout"
)

// Option configures a [Client]. Options only record values; [New] validates
// them all at once and does the I/O.
type Option func(*config)

type config struct {
	userAgent      string
	allowPrivate   bool
	ignoreRobots   bool
	maxBody        int64
	perHost        int
	perHostDelay   time.Duration
	concurrency    int
	timeout        time.Duration
	policy         timeout.Policy
	cacheDir       string
	logger         *slog.Logger
	fetcher        fetch.Fetcher
	extractor      extract.Extractor
	engine         Engine
	retries        int
	adaptive       *timeout.AdaptiveConfig
	renderer       render.Renderer
	chromium       chromium.Config
	wasmModule     []byte
	wasmPath       string
	cacheSize      int
	cacheTTL       time.Duration
	recorder       metrics.Recorder
	admissionLimit int
	memBudget      uint64
	memWait        bool
	jar            http.CookieJar
	proxyURL       string
	storeMaxBytes  int
}

func defaultConfig() config {
	return config{
		maxBody:        10 << 20,
		perHost:        2,
		concurrency:    64,
		engine:         EngineStatic,
		retries:        2,
		admissionLimit: 256,
	}
}

func (c *config) validate() error {
	switch {
	case c.maxBody <= 0:
		return fmt.Errorf("max body bytes must be > 0, got %d", c.maxBody)
	case c.perHost <= 0:
		return fmt.Errorf("per-host concurrency must be > 0, got %d", c.perHost)
	case c.perHostDelay < 0:
		return fmt.Errorf("per-host delay must be >= 0, got %s", c.perHostDelay)
	case c.concurrency <= 0:
		return fmt.Errorf("concurrency must be > 0, got %d", c.concurrency)
	case c.timeout < 0:
		return fmt.Errorf("timeout must be >= 0, got %s", c.timeout)
	case !c.engine.Valid():
		return fmt.Errorf("unknown engine %q", c.engine)
	case c.cacheSize < 0 || c.cacheTTL < 0:
		return fmt.Errorf("result cache size and ttl must be >= 0")
	case c.storeMaxBytes < 0:
		return fmt.Errorf("cache max bytes must be >= 0, got %d", c.storeMaxBytes)
	case c.admissionLimit <= 0:
		return fmt.Errorf("admission limit must be > 0, got %d", c.admissionLimit)
	case c.retries < 0:
		return fmt.Errorf("retries must be >= 0, got %d", c.retries)
	}
	return nil
}

// WithUserAgent sets the User-Agent of HTTP requests and the agent name
// matched against robots.txt groups.
func WithUserAgent(ua string) Option { return func(c *config) { c.userAgent = ua } }

// AllowPrivateNetworks lets the Client reach loopback, private, link-local
// and other non-public addresses. It is off by default: without it, a URL
// that resolves to such an address fails with [ErrBlocked]. Turn it on for
// tests against local servers, or for a trusted intranet crawler.
func AllowPrivateNetworks() Option { return func(c *config) { c.allowPrivate = true } }

// WithIgnoreRobots stops the Client from fetching and obeying robots.txt.
func WithIgnoreRobots() Option { return func(c *config) { c.ignoreRobots = true } }

// WithMaxBodyBytes caps the decoded size of a fetched body (default 10 MiB).
func WithMaxBodyBytes(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithPerHostLimit sets how many requests may be in flight to one host
// (default 2) and the minimum delay between request starts to it (default
// 0; a robots.txt Crawl-delay may raise it).
func WithPerHostLimit(concurrency int, delay time.Duration) Option {
	return func(c *config) { c.perHost, c.perHostDelay = concurrency, delay }
}

// WithConcurrency caps the requests in flight across all hosts (default 64).
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// WithTimeout sets a fixed time budget for each fetch (default 30 s). It is
// ignored when [WithTimeoutPolicy] is given.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithTimeoutPolicy sets the policy that gives each fetch and render its
// time budget, for example an adaptive [timeout.Adaptive].
func WithTimeoutPolicy(p timeout.Policy) Option { return func(c *config) { c.policy = p } }

// WithCacheDir sets the directory of the Client's persistent state: one
// bbolt file (learned timeouts, engine decisions, result cache, sessions)
// and the compiled WebAssembly cache. Without it the Client keeps nothing
// on disk. The directory is created with mode 0700.
func WithCacheDir(dir string) Option { return func(c *config) { c.cacheDir = dir } }

// WithLogger sets the logger for warnings and debug lines. URLs and
// headers are redacted before they are logged. Nil discards.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithFetcher replaces the HTTP fetcher, for example with a fake in tests.
// The fetch options (user agent, limits, robots) then do not apply.
func WithFetcher(f fetch.Fetcher) Option {
	if f == nil {
		panic("riptide: WithFetcher(nil)")
	}
	return func(c *config) { c.fetcher = f }
}

// WithExtractor replaces the native extraction engine used by the static
// engine.
func WithExtractor(e extract.Extractor) Option {
	if e == nil {
		panic("riptide: WithExtractor(nil)")
	}
	return func(c *config) { c.extractor = e }
}

// WithEngine sets the engine used when a request names none (default
// [EngineStatic]).
func WithEngine(e Engine) Option { return func(c *config) { c.engine = e } }

// WithRetries sets how many times a retryable failure (a timeout, a
// connection failure, a 429, 502, 503 or 504 answer, a browser crash) is
// tried again, each time with a larger time budget and after a jittered
// backoff (default 2).
func WithRetries(n int) Option { return func(c *config) { c.retries = n } }

// WithAdaptiveTimeouts learns a time budget per domain from the outcomes of
// fetches and renders (see [timeout.Adaptive]). With [WithCacheDir] the
// learned profiles persist across runs. cfg's zero value means the
// defaults. [WithTimeoutPolicy] takes precedence.
func WithAdaptiveTimeouts(cfg timeout.AdaptiveConfig) Option {
	return func(c *config) { c.adaptive = &cfg }
}

// WithRenderer replaces the built-in Chromium renderer used by Render and
// the headless, stealth and auto engines, for example with a fake in tests.
func WithRenderer(r render.Renderer) Option {
	if r == nil {
		panic("riptide: WithRenderer(nil)")
	}
	return func(c *config) { c.renderer = r }
}

// WithChromium configures the built-in Chromium renderer: the browser
// binary (found on PATH as chromium, chromium-browser or google-chrome when
// cfg.Bin is empty; a browser is downloaded only when cfg.AllowDownload is
// set), the browser pool and sessions. Private-network access follows
// [AllowPrivateNetworks]; the store is the Client's.
func WithChromium(cfg chromium.Config) Option { return func(c *config) { c.chromium = cfg } }

// WithWASMModule sets the guest module of the WASM engine (default: the
// built-in extractor compiled to WebAssembly). See package extract/wasm for
// the guest ABI.
func WithWASMModule(module []byte) Option {
	return func(c *config) { c.wasmModule = append([]byte(nil), module...) }
}

// WithWASMExtractor is WithWASMModule for a module file, read by New.
func WithWASMExtractor(path string) Option { return func(c *config) { c.wasmPath = path } }

// WithResultCache keeps up to size results in memory (and every result on
// disk when the Client has a cache dir) for ttl (default 1 h when 0).
// Fresh entries are served without a fetch; stale ones are revalidated
// with ETag/Last-Modified when the page gave them. Requests with custom
// headers or actions are never cached. See [WithCacheMode].
func WithResultCache(size int, ttl time.Duration) Option {
	return func(c *config) {
		c.cacheSize, c.cacheTTL = size, ttl
		if ttl == 0 {
			c.cacheTTL = time.Hour
		}
	}
}

// WithMetrics sends the Client's measurements (requests, durations,
// errors, cache hits, timeouts) to r, for example a [metrics.Registry]
// whose Handler serves /metrics. The default discards them.
func WithMetrics(r metrics.Recorder) Option {
	if r == nil {
		panic("riptide: WithMetrics(nil)")
	}
	return func(c *config) { c.recorder = r }
}

// WithAdmissionLimit caps the operations (extractions, renders, crawl
// pages) the Client runs at once, across all calls (default 256). Waiting
// interactive calls (Extract, Render) are admitted before crawl pages.
func WithAdmissionLimit(n int) Option { return func(c *config) { c.admissionLimit = n } }

// WithMemoryBudget guards the process against memory pressure: while the
// Go heap plus the resident memory of the built-in renderer's browsers is
// above bytes, new operations wait (wait true) or fail at once
// with [ErrResourceLimit] (wait false), instead of the process being
// killed. 0 turns the guard off (the default).
func WithMemoryBudget(bytes uint64, wait bool) Option {
	return func(c *config) { c.memBudget, c.memWait = bytes, wait }
}

// WithCookieJar keeps cookies across the Client's fetches in jar (for
// example a net/http/cookiejar with the public suffix list). Without it the
// Client sends no cookies and keeps none. Give each tenant its own Client
// and jar: Clients never share cookies.
func WithCookieJar(jar http.CookieJar) Option { return func(c *config) { c.jar = jar } }

// WithProxy sends every fetch, and the built-in browser's traffic (unless
// [WithChromium] sets a Proxy of its own), through an HTTP(S) or SOCKS5
// proxy. Target addresses are still checked before each request, but the
// proxy resolves names again, so it must enforce its own egress policy.
// Credentials in the proxy URL never appear in errors or logs.
func WithProxy(proxyURL string) Option { return func(c *config) { c.proxyURL = proxyURL } }

// WithCacheMaxBytes caps the store file (see [WithCacheDir]); past it the
// disk caches turn read-only and results still flow (default: no cap).
func WithCacheMaxBytes(n int) Option { return func(c *config) { c.storeMaxBytes = n } }
