package chromium

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/riptide-go/riptide/internal/egress"
	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/pool"
	"github.com/riptide-go/riptide/render"
)

// Config configures a Renderer. The zero value means the defaults: a
// Chromium found with [LookPath] is required (no download), up to 3
// browsers, private networks refused.
type Config struct {
	// Bin is the Chromium binary. Empty: the caller should pass the
	// result of LookPath (or an environment override); New then tries
	// LookPath itself and, with AllowDownload, rod's browser fetcher.
	Bin string
	// AllowDownload lets New download a Chromium build when none is found:
	// the snapshot build the rod driver is tested with, kept in
	// DownloadDir, unpacked with every path checked to stay there, and
	// run once headless before it is used. A build already there is used
	// without downloading.
	AllowDownload bool
	// DownloadDir is where downloaded builds are kept (default
	// $HOME/.cache/rod/browser, shared with rod).
	DownloadDir string
	// DownloadMirror is the base URL of a mirror of Google's Chromium
	// snapshot bucket (same paths, e.g. Linux_x64/<revision>/chrome-linux.zip).
	// Default: the bucket itself, then npm's mirror of it.
	DownloadMirror string
	// DownloadTimeout bounds a download, unpacking and test run included
	// (default 10 min).
	DownloadTimeout time.Duration
	// Flags are extra command-line flags for every browser.
	Flags []string
	// DisableTuning drops the latency-tuning --disable-features list.
	DisableTuning bool
	// TempDir is where per-browser profile directories are created
	// (default os.TempDir). Each is removed when its browser closes.
	TempDir string
	// JSHeapMiB caps each renderer's V8 heap (default 512).
	JSHeapMiB int

	// MaxBrowsers bounds the browser processes (default 3).
	MaxBrowsers int
	// WarmBrowsers is the number of browsers kept running once the first
	// render started one (default 1).
	WarmBrowsers int
	// TabsPerBrowser bounds concurrent renders on one browser before a
	// second one is started (default 6).
	TabsPerBrowser int
	// WarmTabs is how many idle tabs a context keeps for reuse (default 4).
	WarmTabs int
	// MaxRendersPerBrowser recycles a browser after this many renders
	// (default 500).
	MaxRendersPerBrowser int
	// MaxBrowserAge recycles a browser after this long (default 30 min).
	MaxBrowserAge time.Duration
	// MaxBrowserRSS recycles a browser whose process tree uses more
	// resident memory (default 2 GiB).
	MaxBrowserRSS int64
	// HealthInterval is how often running browsers are checked (default
	// 10 s).
	HealthInterval time.Duration
	// LaunchTimeout bounds starting one browser (default 20 s).
	LaunchTimeout time.Duration

	// AllowPrivateNetworks lets pages and their subresources reach
	// private, loopback and link-local addresses through the egress
	// proxy. Off by default.
	AllowPrivateNetworks bool
	// AllowHostPorts lists exact host:port destinations reachable even
	// when private (narrower than AllowPrivateNetworks; for tests).
	AllowHostPorts []string
	// NoEgressProxy launches browsers without the guarded egress proxy.
	// Pages can then reach any address; only for trusted input.
	NoEgressProxy bool
	// Proxy sends all browser traffic through this upstream proxy (http,
	// https or socks5 URL; credentials allowed and never logged): the
	// egress proxy checks each destination, then chains through it. The
	// upstream resolves names again, so it must enforce its own egress
	// policy. A request's own Proxy overrides it for that render; since
	// requests are input, a request's proxy must itself pass the guard
	// (AllowPrivateNetworks, AllowHostPorts), where Config.Proxy is
	// trusted.
	Proxy string

	// Store persists session cookies (bucket "render_sessions") and
	// localStorage, per origin, up to 1 MiB each (bucket
	// "render_session_storage"), so a session outlives its browser
	// context and the process. Nil: sessions live in memory only.
	Store *store.DB
	// SessionIdleTimeout closes a session unused this long (default
	// 10 min); SessionMaxAge closes it this long after creation (default
	// 1 h).
	SessionIdleTimeout time.Duration
	SessionMaxAge      time.Duration

	// Timezone, Locale and Platform shape the stealth fingerprint
	// (defaults "America/New_York", "en-US", "Linux x86_64").
	Timezone, Locale, Platform string

	// Logger receives warnings about recycled and crashed browsers. Nil
	// discards.
	Logger *slog.Logger

	bin string
}

func (c Config) withDefaults() (Config, error) {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxBrowsers, 3)
	def(&c.WarmBrowsers, 1)
	def(&c.TabsPerBrowser, 6)
	def(&c.WarmTabs, 4)
	def(&c.MaxRendersPerBrowser, 500)
	def(&c.JSHeapMiB, 512)
	if c.WarmBrowsers > c.MaxBrowsers {
		c.WarmBrowsers = c.MaxBrowsers
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defd(&c.MaxBrowserAge, 30*time.Minute)
	defd(&c.HealthInterval, 10*time.Second)
	defd(&c.LaunchTimeout, 20*time.Second)
	defd(&c.DownloadTimeout, 10*time.Minute)
	defd(&c.SessionIdleTimeout, 10*time.Minute)
	defd(&c.SessionMaxAge, time.Hour)
	if c.MaxBrowserRSS <= 0 {
		c.MaxBrowserRSS = 2 << 30
	}
	if c.Timezone == "" {
		c.Timezone = "America/New_York"
	}
	if c.Locale == "" {
		c.Locale = "en-US"
	}
	if c.Platform == "" {
		c.Platform = "Linux x86_64"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Proxy != "" {
		if _, err := egress.ParseUpstream(c.Proxy); err != nil {
			return c, fmt.Errorf("chromium: invalid config: Proxy: %w", err)
		}
	}
	return c, nil
}

// LookPath finds a Chromium on PATH: chromium, chromium-browser,
// google-chrome, google-chrome-stable. It errs with render.ErrNoBrowser.
func LookPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no chromium, chromium-browser or google-chrome on PATH (install Chromium, set Config.Bin, or allow download)", render.ErrNoBrowser)
}

// Renderer renders pages in pooled headless Chromium browsers. It is safe
// for concurrent use. Browsers start lazily on the first render; Close
// stops them all and removes their profile directories.
//
// # Isolation and cost
//
// Measured on a 2-core machine with loopback pages (warm browser, p50):
// a warm tab (IsolationWarmTab, or any render through a [Context]) costs
// about 25-65 ms per page; a fresh tab about 150 ms; a fresh incognito
// context (IsolationIncognito, the default for a lone Render) about
// 240 ms and several times the CPU. Use [Renderer.NewContext] to reuse
// warm tabs across the pages of one crawl or tenant.
type Renderer struct {
	cfg   Config
	proxy *egress.Proxy

	upMu      sync.Mutex
	upstreams map[string]*upstream // egress proxies for requests' own Proxy

	lifeCtx    context.Context // ended by Close
	lifeCancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	started   bool
	pool      *pool.Pool[*browser]
	active    []*browser // browsers checked out of the pool, serving tabs
	launching int
	wake      chan struct{}
	shared    *Context // warm-tab context for untenanted IsolationWarmTab renders
	sessions  map[string]*session

	bg sync.WaitGroup
}

var _ render.Renderer = (*Renderer)(nil)

// New validates cfg and finds the browser binary. It starts no browser
// (that happens on first use) but starts the egress proxy.
func New(cfg Config) (*Renderer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg.bin = cfg.Bin
	if cfg.bin == "" {
		cfg.bin, err = LookPath()
		if err != nil && cfg.AllowDownload {
			cfg.bin, err = download(context.Background(), cfg)
		}
		if err != nil {
			return nil, err
		}
	} else if _, err := exec.LookPath(cfg.bin); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", render.ErrNoBrowser, cfg.bin, err)
	}
	r := &Renderer{cfg: cfg, wake: make(chan struct{}), sessions: map[string]*session{}}
	r.lifeCtx, r.lifeCancel = context.WithCancel(context.Background())
	if !cfg.NoEgressProxy || cfg.Proxy != "" {
		r.proxy, err = r.startEgress(cfg.Proxy, false)
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// startEgress starts an egress proxy with the renderer's policy, chained
// through upstream when it is not empty; guardUpstream (for a request's
// own proxy, which is input) checks the upstream's address too. Without
// the guard (NoEgressProxy) it only chains.
func (r *Renderer) startEgress(upstream string, guardUpstream bool) (*egress.Proxy, error) {
	ec := egress.Config{
		AllowPrivate:   r.cfg.AllowPrivateNetworks || r.cfg.NoEgressProxy,
		AllowHostPorts: r.cfg.AllowHostPorts,
		Logger:         r.cfg.Logger,
		GuardUpstream:  guardUpstream,
	}
	if upstream != "" {
		u, err := egress.ParseUpstream(upstream)
		if err != nil {
			return nil, fmt.Errorf("%w: proxy: %v", render.ErrInvalidRequest, err)
		}
		ec.Upstream = u
	}
	return egress.Start(ec)
}

// Bin returns the browser binary in use.
func (r *Renderer) Bin() string { return r.cfg.bin }

// Stats is a snapshot of a Renderer's state, for health and metrics.
type Stats struct {
	Browsers []BrowserStats `json:"browsers"`
	// Pool is the browser pool's view (idle browsers, creations, ...).
	Pool     pool.Stats `json:"pool"`
	Sessions int        `json:"sessions"`
	// EgressAllowed and EgressRefused count upstream connections the
	// egress proxy opened and destinations it refused.
	EgressAllowed int64 `json:"egress_allowed"`
	EgressRefused int64 `json:"egress_refused"`
}

// BrowserStats describes one running browser.
type BrowserStats struct {
	PID      int           `json:"pid"`
	Tabs     int           `json:"tabs"`
	Inflight int64         `json:"inflight"`
	Renders  int64         `json:"renders"`
	Contexts int           `json:"contexts"`
	Age      time.Duration `json:"age"`
	RSS      int64         `json:"rss"`
	Draining bool          `json:"draining"`
}

// Stats returns a snapshot. It reads /proc for each browser's memory
// (about a millisecond per browser).
func (r *Renderer) Stats() Stats {
	r.mu.Lock()
	active := append([]*browser(nil), r.active...)
	p := r.pool
	st := Stats{Sessions: len(r.sessions)}
	r.mu.Unlock()
	if p != nil {
		st.Pool = p.Stats()
	}
	for _, b := range active {
		b.mu.Lock()
		bs := BrowserStats{PID: b.pid, Tabs: len(b.tabs), Contexts: b.contexts, Draining: b.draining}
		b.mu.Unlock()
		bs.Inflight, bs.Renders = b.inflight.Load(), b.uses.Load()
		bs.Age = time.Since(b.started)
		bs.RSS = b.rss()
		st.Browsers = append(st.Browsers, bs)
	}
	if r.proxy != nil {
		es := r.proxy.Stats()
		st.EgressAllowed, st.EgressRefused = es.Allowed, es.Refused
	}
	return st
}

// start creates the browser pool and the maintenance goroutine; r.mu held.
func (r *Renderer) startLocked() error {
	if r.started {
		return nil
	}
	proxyURL := ""
	if r.proxy != nil {
		proxyURL = r.proxy.URL()
	}
	p, err := pool.New(pool.Config[*browser]{
		New: func(ctx context.Context) (*browser, error) { return launch(ctx, &r.cfg, proxyURL) },
		Close: func(b *browser) error {
			b.close(context.Background())
			return nil
		},
		Check: func(ctx context.Context, b *browser) error { return b.healthy(ctx) },
		Mem:   func(b *browser) int64 { return b.rss() },
		Max:   r.cfg.MaxBrowsers,
		// Browsers serving tabs stay checked out; warm ones are kept by
		// maintain, which also replaces crashed ones, so the pool itself
		// neither prewarms nor refills.
		Target:         -1,
		MaxAge:         r.cfg.MaxBrowserAge,
		MaxMem:         r.cfg.MaxBrowserRSS,
		HealthInterval: r.cfg.HealthInterval,
		CreateTimeout:  r.cfg.LaunchTimeout,
		CloseTimeout:   10 * time.Second,
		Logger:         r.cfg.Logger,
	})
	if err != nil {
		return err
	}
	r.pool = p
	r.started = true
	r.bg.Add(1)
	go r.maintain()
	return nil
}

func (r *Renderer) bumpLocked() {
	close(r.wake)
	r.wake = make(chan struct{})
}

// acquire returns a browser with room for one more tab; the caller must
// call release. It is the one place browsers come from.
func (r *Renderer) acquire(ctx context.Context) (*browser, error) {
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return nil, render.ErrClosed
		}
		if err := r.startLocked(); err != nil {
			r.mu.Unlock()
			return nil, err
		}
		var best *browser
		for _, b := range r.active {
			b.mu.Lock()
			ok := !b.draining && !b.isDead()
			b.mu.Unlock()
			if ok && b.inflight.Load() < int64(r.cfg.TabsPerBrowser) && (best == nil || b.inflight.Load() < best.inflight.Load()) {
				best = b
			}
		}
		if best != nil {
			best.inflight.Add(1)
			r.mu.Unlock()
			return best, nil
		}
		// One launch at a time: concurrent first renders share it.
		canGrow := len(r.active) < r.cfg.MaxBrowsers && r.launching == 0
		wake := r.wake
		p := r.pool
		if canGrow {
			r.launching++
		}
		r.mu.Unlock()
		if canGrow {
			b, err := p.Acquire(ctx)
			r.mu.Lock()
			r.launching--
			r.bumpLocked()
			r.mu.Unlock()
			if err != nil {
				if errors.Is(err, pool.ErrClosed) {
					return nil, render.ErrClosed
				}
				if ctx.Err() != nil {
					return nil, fmt.Errorf("chromium: acquire browser: %w", context.Cause(ctx))
				}
				return nil, err
			}
			r.mu.Lock()
			if r.closed {
				r.mu.Unlock()
				p.Release(b, nil)
				return nil, render.ErrClosed
			}
			b.inflight.Add(1)
			r.active = append(r.active, b)
			r.bumpLocked()
			r.mu.Unlock()
			return b, nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, fmt.Errorf("chromium: acquire browser: %w", context.Cause(ctx))
		}
	}
}

// release ends one render's use of b. A crashed browser is discarded
// (and replaced in the background); a browser past its render count
// drains and goes back to the pool when idle.
func (r *Renderer) release(b *browser, err error) { r.releaseN(b, err, 1) }

// releaseN is release counting n renders (0 for work that is not a
// render, such as creating a context).
func (r *Renderer) releaseN(b *browser, err error, n int64) {
	b.inflight.Add(-1)
	b.lastUsed.Store(time.Now().UnixNano())
	uses := b.uses.Add(n)
	crashed := b.isDead() || errors.Is(err, render.ErrBrowserCrashed)
	b.mu.Lock()
	if crashed || uses >= int64(r.cfg.MaxRendersPerBrowser) {
		b.draining = true
	}
	b.mu.Unlock()
	r.settle(b)
}

// settle gives b back to the pool when it is idle and either draining or
// not needed as a warm browser.
func (r *Renderer) settle(b *browser) {
	r.mu.Lock()
	b.mu.Lock()
	idle := b.inflight.Load() == 0 && b.contexts == 0
	dead := b.isDead()
	drain := b.draining
	b.mu.Unlock()
	if (!idle && !dead) || (!drain && !dead) {
		// Busy, or idle and healthy (kept as a warm browser): only wake
		// the renders waiting for room.
		r.bumpLocked()
		r.mu.Unlock()
		return
	}
	found := false
	for i, a := range r.active {
		if a == b {
			r.active = append(r.active[:i], r.active[i+1:]...)
			found = true
			break
		}
	}
	r.bumpLocked()
	p := r.pool
	r.mu.Unlock()
	if !found {
		return
	}
	if dead {
		r.cfg.Logger.Warn("chromium: browser crashed; replacing it", "browser", b.id, "err", b.deadErr)
		p.Release(b, fmt.Errorf("%w: %w", pool.ErrBroken, b.deadErr))
	} else {
		p.Release(b, nil) // recycled (MaxUses 1 closes it)
	}
	r.kick()
}

// kick asks the maintenance goroutine to run now.
func (r *Renderer) kick() {
	r.mu.Lock()
	r.bumpLocked()
	r.mu.Unlock()
}

// maintain health-checks running browsers, recycles them by age and
// memory, keeps WarmBrowsers running and expires sessions. It exits when
// the renderer closes.
func (r *Renderer) maintain() {
	defer r.bg.Done()
	t := time.NewTicker(r.cfg.HealthInterval)
	defer t.Stop()
	for {
		r.mu.Lock()
		wake := r.wake
		r.mu.Unlock()
		select {
		case <-r.lifeCtx.Done():
			return
		case <-t.C:
			r.checkBrowsers()
			r.expireSessions()
		case <-wake:
		}
		r.fillWarm()
	}
}

func (r *Renderer) checkBrowsers() {
	r.mu.Lock()
	active := append([]*browser(nil), r.active...)
	r.mu.Unlock()
	spare := len(active) - r.cfg.WarmBrowsers
	for _, b := range active {
		recycle := time.Since(b.started) > r.cfg.MaxBrowserAge || b.rss() > r.cfg.MaxBrowserRSS
		b.mu.Lock()
		idle := b.inflight.Load() == 0 && b.contexts == 0
		b.mu.Unlock()
		if spare > 0 && idle && time.Since(time.Unix(0, b.lastUsed.Load())) > time.Minute {
			recycle = true // more browsers than WarmBrowsers, idle for a minute
			spare--
		}
		// A browser that stops answering is killed after two failed
		// checks in a row (one slow answer on a loaded machine is not
		// enough).
		if err := b.healthy(r.lifeCtx); err != nil && r.lifeCtx.Err() == nil {
			if b.failedChecks.Add(1) >= 2 {
				r.cfg.Logger.Warn("chromium: browser unresponsive; killing it", "pid", b.pid, "err", err)
				b.kill()
			}
		} else {
			b.failedChecks.Store(0)
		}
		if recycle {
			b.mu.Lock()
			b.draining = true
			b.mu.Unlock()
		}
		r.settle(b)
	}
}

// fillWarm launches browsers (through the pool) until WarmBrowsers are
// running and not draining.
func (r *Renderer) fillWarm() {
	for r.lifeCtx.Err() == nil {
		r.mu.Lock()
		live := 0
		for _, b := range r.active {
			b.mu.Lock()
			if !b.draining && !b.isDead() {
				live++
			}
			b.mu.Unlock()
		}
		need := !r.closed && live < r.cfg.WarmBrowsers && len(r.active) < r.cfg.MaxBrowsers && r.launching == 0
		p := r.pool
		if need {
			r.launching++
		}
		r.mu.Unlock()
		if !need {
			return
		}
		ctx, cancel := context.WithTimeout(r.lifeCtx, r.cfg.LaunchTimeout)
		b, err := p.Acquire(ctx)
		cancel()
		r.mu.Lock()
		r.launching--
		r.bumpLocked()
		r.mu.Unlock()
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			p.Release(b, nil)
			return
		}
		r.active = append(r.active, b)
		r.bumpLocked()
		r.mu.Unlock()
	}
}

// Close closes every session and context, stops all browsers (waiting
// for them to exit, bounded by ctx or 15 s) and the egress proxy.
// Renders in flight fail with ErrClosed or ErrBrowserCrashed.
func (r *Renderer) Close(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.bumpLocked()
	sessions := r.sessions
	r.sessions = map[string]*session{}
	shared := r.shared
	r.shared = nil
	r.mu.Unlock()
	for _, s := range sessions {
		s.close(ctx, r)
	}
	if shared != nil {
		_ = shared.Close(ctx)
	}
	r.lifeCancel()
	r.bg.Wait()
	r.mu.Lock()
	active := r.active
	r.active = nil
	p := r.pool
	r.mu.Unlock()
	var errs []error
	for _, b := range active {
		b.close(ctx) // kills in-flight work; their releases find it gone
		if p != nil {
			p.Release(b, pool.ErrBroken)
		}
	}
	if p != nil {
		if err := p.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if r.proxy != nil {
		if err := r.proxy.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	r.upMu.Lock()
	ups := r.upstreams
	r.upstreams = nil
	r.upMu.Unlock()
	for _, u := range ups {
		if err := u.p.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stealthUA is the browser's user agent without the headless marker.
func stealthUA(version string) string {
	return strings.Replace(version, "HeadlessChrome", "Chrome", 1)
}
