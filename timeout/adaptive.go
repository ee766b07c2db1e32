package timeout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/net/publicsuffix"

	"github.com/riptide-go/riptide/internal/store"
)

// Defaults of [AdaptiveConfig].
const (
	DefaultMin           = 5 * time.Second
	DefaultMax           = 60 * time.Second
	DefaultMinSamples    = 5
	DefaultWindow        = 100
	DefaultMultiplier    = 1.5
	DefaultAlpha         = 0.1
	DefaultMaxDomains    = 10_000
	DefaultFlushEvery    = 100
	DefaultFlushInterval = 30 * time.Second
	DefaultTTL           = 30 * 24 * time.Hour
)

// AdaptiveConfig configures [NewAdaptive]. The zero value means the
// defaults; each zero field takes its default.
type AdaptiveConfig struct {
	// Min and Max clamp every learned budget (defaults 5 s and 60 s), so
	// a slow or hostile site cannot push its budget past Max, nor a fast
	// one under Min.
	Min, Max time.Duration
	// Default is the budget of a domain not yet learned (default 30 s,
	// clamped to [Min, Max]).
	Default time.Duration
	// MinSamples is how many successful attempts a profile needs before
	// its budget is learned (default 5).
	MinSamples int
	// Window is how many recent successful durations a profile keeps
	// (default 100).
	Window int
	// Multiplier scales the p95 into a budget (default 1.5; at least 1).
	Multiplier float64
	// Alpha is the weight of the newest outcome in the success-rate
	// moving average (default 0.1; in (0, 1]).
	Alpha float64
	// MaxDomains caps the number of (stage, domain) profiles held in
	// memory; the least recently used is dropped first (default 10,000).
	MaxDomains int
	// ByRegistrableDomain groups hosts by registrable domain (eTLD+1,
	// "news.example.co.uk" and "www.example.co.uk" share
	// "example.co.uk") instead of by host.
	ByRegistrableDomain bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// ColdStart gives a domain not yet learned a budget learned from
	// every domain instead of Default: twice the p99 of the stage's last
	// 1,000 successful attempts on any domain, within [Min, Default],
	// once 50 have been seen. A hung endpoint on a domain never seen then
	// costs seconds rather than Default; a new domain slower than every
	// domain seen so far relies on Do's escalating retries. Off by
	// default.
	ColdStart bool

	// Store, when set, persists profiles in its "timeout_profiles"
	// bucket: they are loaded by NewAdaptive (entries older than TTL are
	// dropped), and written back in batches, every FlushEvery records,
	// every FlushInterval, and on Close. The Adaptive does not close the
	// store. Store errors never fail Budget or Record: they are counted
	// in Stats.StoreErrors and logged once.
	Store *store.DB
	// FlushEvery is how many records trigger a write (default 100).
	FlushEvery int
	// FlushInterval is the period of background writes (default 30 s).
	FlushInterval time.Duration
	// TTL drops stored profiles not updated for that long (default 30
	// days).
	TTL time.Duration
	// Logger receives the first store error. Nil discards.
	Logger *slog.Logger
}

// Adaptive is a [Policy] that learns a budget per stage and domain from
// the durations of successful attempts (see the package documentation).
// It is safe for concurrent use. Create it with [NewAdaptive]; call Close
// when it has a Store.
type Adaptive struct {
	cfg AdaptiveConfig

	mu       sync.Mutex
	profiles *simplelru.LRU[string, *profile]
	dirty    map[string]*profile // changed since the last flush
	records  int                 // since the last flush
	closed   bool                // Close ran: nothing more is written

	cold map[Stage]*coldStart // ColdStart: recent successes of all domains

	requests, timeouts, successes atomic.Int64
	timeSaved                     atomic.Int64 // nanoseconds
	storeErrors                   atomic.Int64
	logOnce                       sync.Once

	flushc    chan struct{}
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	flushMu   sync.Mutex // serialises flushes
}

// Cold-start parameters (see AdaptiveConfig.ColdStart).
const (
	coldWindow  = 1000 // recent successful durations kept per stage
	coldMin     = 50   // successes before the cold-start budget applies
	coldRefresh = 25   // successes between recomputations
)

// coldStart is the budget for domains not yet learned, from the recent
// successful durations of every domain.
type coldStart struct {
	samples []time.Duration // ring
	next    int
	fresh   int           // samples added since the budget was computed
	budget  time.Duration // 0 until coldMin samples
}

func (c *coldStart) add(d time.Duration, cfg AdaptiveConfig) {
	if len(c.samples) < coldWindow {
		c.samples = append(c.samples, d)
	} else {
		c.samples[c.next] = d
	}
	c.next = (c.next + 1) % coldWindow
	c.fresh++
	if len(c.samples) < coldMin || (c.budget > 0 && c.fresh < coldRefresh) {
		return
	}
	sorted := slices.Clone(c.samples)
	slices.Sort(sorted)
	c.budget = min(max(ceilMillis(2*float64(percentile(sorted, 0.99))), cfg.Min), cfg.Default)
	c.fresh = 0
}

// profile is the learned state of one (stage, domain).
type profile struct {
	stage   Stage
	domain  string
	samples []time.Duration // ring of successful durations
	next    int
	rate    float64 // success-rate EMA
	rated   bool
	reqs    int64
	succ    int64
	touts   int64
	updated time.Time
	budget  time.Duration // cached, recomputed on change
}

// NewAdaptive returns an adaptive policy. A config field out of range
// gives an error wrapping ErrInvalidConfig. With cfg.Store set it loads
// the stored profiles and starts the background writer that Close stops.
func NewAdaptive(cfg AdaptiveConfig) (*Adaptive, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	a := &Adaptive{cfg: cfg, dirty: map[string]*profile{}}
	lru, err := simplelru.NewLRU[string, *profile](cfg.MaxDomains, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	a.profiles = lru
	if cfg.Store != nil {
		a.load()
		a.flushc = make(chan struct{}, 1)
		a.stop = make(chan struct{})
		a.done = make(chan struct{})
		go a.writer()
	}
	return a, nil
}

func (c *AdaptiveConfig) defaults() error {
	bad := func(what string, v any) error { return fmt.Errorf("%w: %s %v", ErrInvalidConfig, what, v) }
	switch {
	case c.Min < 0:
		return bad("negative Min", c.Min)
	case c.Max < 0:
		return bad("negative Max", c.Max)
	case c.Default < 0:
		return bad("negative Default", c.Default)
	case c.MinSamples < 0:
		return bad("negative MinSamples", c.MinSamples)
	case c.Window < 0:
		return bad("negative Window", c.Window)
	case c.Multiplier != 0 && c.Multiplier < 1:
		return bad("Multiplier below 1:", c.Multiplier)
	case c.Alpha < 0 || c.Alpha > 1:
		return bad("Alpha outside (0, 1]:", c.Alpha)
	case c.MaxDomains < 0:
		return bad("negative MaxDomains", c.MaxDomains)
	case c.FlushEvery < 0 || c.FlushInterval < 0 || c.TTL < 0:
		return bad("negative flush or TTL setting", "")
	}
	c.Min = cmpOr(c.Min, DefaultMin)
	c.Max = cmpOr(c.Max, DefaultMax)
	if c.Min > c.Max {
		return fmt.Errorf("%w: Min %s above Max %s", ErrInvalidConfig, c.Min, c.Max)
	}
	c.Default = min(max(cmpOr(c.Default, DefaultBudget), c.Min), c.Max)
	c.MinSamples = max(cmpOr(c.MinSamples, DefaultMinSamples), 1)
	c.Window = cmpOr(c.Window, DefaultWindow)
	c.MinSamples = min(c.MinSamples, c.Window)
	c.Multiplier = cmpOr(c.Multiplier, DefaultMultiplier)
	c.Alpha = cmpOr(c.Alpha, DefaultAlpha)
	c.MaxDomains = cmpOr(c.MaxDomains, DefaultMaxDomains)
	c.FlushEvery = cmpOr(c.FlushEvery, DefaultFlushEvery)
	c.FlushInterval = cmpOr(c.FlushInterval, DefaultFlushInterval)
	c.TTL = cmpOr(c.TTL, DefaultTTL)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Domain returns the domain rawURL's outcomes are grouped under: its
// lower-case host, or its registrable domain with ByRegistrableDomain
// (hosts without one, like IP addresses and "localhost", stay as they
// are). It returns "" for a URL without a host; such URLs get the Default
// budget and teach nothing.
func (a *Adaptive) Domain(rawURL string) string {
	return domainOf(rawURL, a.cfg.ByRegistrableDomain)
}

func domainOf(rawURL string, registrable bool) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" || !registrable || net.ParseIP(host) != nil {
		return host
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

func key(stage Stage, domain string) string { return string(stage) + "|" + domain }

// Budget returns the learned budget for stage on rawURL's domain, or
// Default before the domain is learned. It never blocks on I/O.
func (a *Adaptive) Budget(stage Stage, rawURL string) time.Duration {
	domain := a.Domain(rawURL)
	if domain == "" {
		return a.cfg.Default
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.profiles.Get(key(stage, domain))
	if ok && (!a.cfg.ColdStart || len(p.samples) >= a.cfg.MinSamples) {
		return p.budget
	}
	if c := a.cold[stage]; c != nil && c.budget > 0 {
		return c.budget
	}
	return a.cfg.Default
}

// MaxBudget returns Max, the cap of escalated budgets (see [Capped]).
func (a *Adaptive) MaxBudget(Stage) time.Duration { return a.cfg.Max }

// Record feeds the outcome of one attempt back (see [Outcome] for how
// caller-side cancellations are treated). It never blocks on I/O: a
// write to the store, when due, is left to the background writer.
func (a *Adaptive) Record(stage Stage, rawURL string, o Outcome) {
	aborted := !o.TimedOut && o.Err != nil &&
		(errors.Is(o.Err, context.Canceled) || errors.Is(o.Err, context.DeadlineExceeded))
	success := o.Err == nil && !o.TimedOut
	a.requests.Add(1)
	switch {
	case o.TimedOut:
		a.timeouts.Add(1)
	case success:
		a.successes.Add(1)
	}
	domain := a.Domain(rawURL)
	budget := o.Budget
	if domain == "" || aborted {
		if budget <= 0 {
			budget = a.cfg.Default
		}
		a.timeSaved.Add(int64(a.cfg.Max - min(budget, a.cfg.Max)))
		return
	}
	k := key(stage, domain)
	a.mu.Lock()
	p, ok := a.profiles.Get(k)
	if !ok {
		p = &profile{stage: stage, domain: domain, samples: make([]time.Duration, 0, min(a.cfg.Window, 8)), budget: a.cfg.Default}
		a.profiles.Add(k, p)
	}
	if budget <= 0 {
		budget = p.budget
	}
	p.observe(o, success, a.cfg)
	p.budget = p.computeBudget(a.cfg)
	if a.cfg.ColdStart && success && o.Duration >= 0 {
		if a.cold == nil {
			a.cold = map[Stage]*coldStart{}
		}
		c := a.cold[stage]
		if c == nil {
			c = &coldStart{}
			a.cold[stage] = c
		}
		c.add(o.Duration, a.cfg)
	}
	p.updated = a.cfg.Now()
	var flush bool
	if a.flushc != nil && !a.closed {
		a.dirty[k] = p
		a.records++
		flush = a.records >= a.cfg.FlushEvery
	}
	a.mu.Unlock()
	a.timeSaved.Add(int64(a.cfg.Max - min(budget, a.cfg.Max)))
	if flush {
		select {
		case a.flushc <- struct{}{}:
		default:
		}
	}
}

func (p *profile) observe(o Outcome, success bool, cfg AdaptiveConfig) {
	p.reqs++
	x := 0.0
	switch {
	case success:
		p.succ++
		x = 1
		if o.Duration >= 0 {
			if len(p.samples) < cfg.Window {
				p.samples = append(p.samples, o.Duration)
			} else {
				p.samples[p.next] = o.Duration
			}
			p.next = (p.next + 1) % cfg.Window
		}
	case o.TimedOut:
		p.touts++
	}
	if !p.rated {
		p.rate, p.rated = x, true
	} else {
		p.rate = cfg.Alpha*x + (1-cfg.Alpha)*p.rate
	}
}

func (p *profile) computeBudget(cfg AdaptiveConfig) time.Duration {
	if len(p.samples) < cfg.MinSamples {
		return cfg.Default
	}
	sorted := slices.Clone(p.samples)
	slices.Sort(sorted)
	b := ceilMillis(float64(percentile(sorted, 0.95)) * cfg.Multiplier)
	return min(max(b, cfg.Min), cfg.Max)
}

// ceilMillis rounds nanoseconds up to a whole millisecond.
func ceilMillis(ns float64) time.Duration {
	if ns >= float64(math.MaxInt64) {
		return math.MaxInt64
	}
	return time.Duration(math.Ceil(ns/float64(time.Millisecond))) * time.Millisecond
}

// percentile returns the nearest-rank q-quantile of sorted.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Close writes unsaved profiles to the store and stops the background
// writer. It is idempotent. The policy keeps answering Budget and Record
// afterwards, in memory only. It does not close the store.
func (a *Adaptive) Close() error {
	if a.stop == nil {
		return nil
	}
	var err error
	a.closeOnce.Do(func() {
		close(a.stop)
		<-a.done
		err = a.flush()
		a.mu.Lock()
		a.closed = true
		clear(a.dirty)
		a.mu.Unlock()
	})
	return err
}
