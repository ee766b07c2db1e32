package riptide

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/timeout"
)

// Option configures a [Client]. Options only record values; [New] validates
// them all at once and does the I/O.
type Option func(*config)

type config struct {
	userAgent    string
	allowPrivate bool
	ignoreRobots bool
	maxBody      int64
	perHost      int
	perHostDelay time.Duration
	concurrency  int
	timeout      time.Duration
	policy       timeout.Policy
	cacheDir     string
	logger       *slog.Logger
	fetcher      fetch.Fetcher
	extractor    extract.Extractor
	engine       Engine
}

func defaultConfig() config {
	return config{
		maxBody:     10 << 20,
		perHost:     2,
		concurrency: 64,
		engine:      EngineStatic,
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
