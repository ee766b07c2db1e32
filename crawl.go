package riptide

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
	"golang.org/x/sync/errgroup"

	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/internal/redact"
	"github.com/riptide-go/riptide/internal/sitemap"
	"github.com/riptide-go/riptide/internal/urlnorm"
	"github.com/riptide-go/riptide/metrics"
	"github.com/riptide-go/riptide/render"
)

// Scope says which discovered links a crawl follows.
type Scope string

// Scopes.
const (
	// ScopeNone follows no links: only the seeds are extracted.
	ScopeNone Scope = ""
	// ScopeSameHost follows links to the host of the page they were found on.
	ScopeSameHost Scope = "same_host"
	// ScopeSameDomain follows links within the registrable domain
	// (example.co.uk covers www.example.co.uk and blog.example.co.uk).
	ScopeSameDomain Scope = "same_domain"
	// ScopeAny follows every link (Include and Exclude still apply).
	ScopeAny Scope = "any"
)

// Order says in which order a crawl yields its results.
type Order string

// Orders.
const (
	// OrderCompleted yields results as they complete (the default).
	OrderCompleted Order = ""
	// OrderInput yields results in dispatch order (seeds in the order
	// given, then discovered pages in discovery order), holding early
	// results in a bounded reorder buffer.
	OrderInput Order = "input"
)

// CrawlRequest describes a crawl. The zero value of every field but URLs
// means the default.
type CrawlRequest struct {
	// URLs are the seeds.
	URLs []string `json:"urls"`
	// Engine extracts every page (default: the Client's engine).
	Engine Engine `json:"engine,omitempty"`
	// Concurrency is the number of pages in flight (default 8).
	Concurrency int `json:"concurrency,omitempty"`
	// PerHostConcurrency bounds this crawl's pages in flight per host, and
	// PerHostDelay the gap between the starts of two of its pages on one
	// host (0: only the Client's limits, see [WithPerHostLimit], which
	// apply on top).
	PerHostConcurrency int           `json:"per_host_concurrency,omitempty"`
	PerHostDelay       time.Duration `json:"per_host_delay,omitempty"`
	// MaxDepth is how many links away from a seed the crawl goes (0: the
	// seeds only, unless Follow is set, then the default 3).
	MaxDepth int `json:"max_depth,omitempty"`
	// MaxPages bounds the pages dispatched (default 1000).
	MaxPages int `json:"max_pages,omitempty"`
	// MaxDuration bounds the whole crawl (0: no bound but ctx).
	MaxDuration time.Duration `json:"max_duration,omitempty"`
	// Follow selects the links followed (default: none).
	Follow Scope `json:"follow,omitempty"`
	// Include and Exclude are regular expressions matched against
	// discovered URLs: a link is followed when it matches one Include
	// pattern (or Include is empty) and no Exclude pattern. Seeds are
	// always crawled.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// Sitemaps adds the pages listed in each seed site's sitemaps (the
	// robots.txt Sitemap lines, else /sitemap.xml) as seeds, within the
	// Follow scope (the seed's host when Follow is none).
	Sitemaps bool `json:"sitemaps,omitempty"`
	// ObeyNoFollow skips the links of pages marked nofollow (meta robots
	// or X-Robots-Tag) and links with rel=nofollow.
	ObeyNoFollow bool `json:"obey_nofollow,omitempty"`
	// SkipNoIndex drops results of pages marked noindex (their links are
	// still followed unless they are also nofollow).
	SkipNoIndex bool `json:"skip_noindex,omitempty"`
	// Order of the results (default: as completed).
	Order Order `json:"order,omitempty"`
	// ReorderBuffer bounds the results held back for OrderInput
	// (default 64). When full, no new page is dispatched until the
	// oldest page completes.
	ReorderBuffer int `json:"reorder_buffer,omitempty"`
	// TargetLatency drives the adaptive concurrency controller: the
	// pages in flight shrink by 10% when the p95 latency of recent pages
	// passes it or more than 5% of them fail, and grow by 10% when p95 is
	// under 80% of it and fewer than 1% fail, within [1, Concurrency].
	// Default 5 s; negative turns the controller off.
	TargetLatency time.Duration `json:"target_latency,omitempty"`
	// RenderTimeout caps each page's render for the browser engines
	// (default 3 s; negative: the renderer's default).
	RenderTimeout time.Duration `json:"render_timeout,omitempty"`
}

const (
	defaultTargetLatency    = 5 * time.Second
	defaultCrawlRenderCap   = 3 * time.Second
	defaultCrawlConcurrency = 8
	defaultCrawlMaxPages    = 1000
	defaultCrawlDepth       = 3
	defaultReorderBuffer    = 64
)

// Validate checks the request as Crawl would, without crawling: it
// returns an error matching [ErrValidation] that names the bad field.
func (r CrawlRequest) Validate() error {
	if _, err := planCrawlRequest(r, EngineStatic); err != nil {
		return &Error{Kind: KindValidation, Op: "crawl", Err: err}
	}
	return nil
}

// errMaxDuration ends a crawl whose MaxDuration passed: a normal end.
var errMaxDuration = errors.New("crawl max duration reached")

// crawlPlan is a validated CrawlRequest.
type crawlPlan struct {
	CrawlRequest
	seeds   []string
	include []*regexp.Regexp
	exclude []*regexp.Regexp
}

func (c *Client) planCrawl(req CrawlRequest) (*crawlPlan, error) {
	return planCrawlRequest(req, c.cfg.engine)
}

// planCrawlRequest validates req and fills its defaults; engine is the
// engine used when req names none.
func planCrawlRequest(req CrawlRequest, engine Engine) (*crawlPlan, error) {
	p := &crawlPlan{CrawlRequest: req}
	if len(req.URLs) == 0 {
		return nil, errors.New("no seed urls")
	}
	if p.Engine == "" {
		p.Engine = engine
	}
	if !p.Engine.Valid() {
		return nil, fmt.Errorf("unknown engine %q", p.Engine)
	}
	switch p.Follow {
	case ScopeNone, ScopeSameHost, ScopeSameDomain, ScopeAny:
	default:
		return nil, fmt.Errorf("unknown follow scope %q", p.Follow)
	}
	switch p.Order {
	case OrderCompleted, OrderInput:
	default:
		return nil, fmt.Errorf("unknown order %q", p.Order)
	}
	if p.Concurrency < 0 || p.MaxDepth < 0 || p.MaxPages < 0 || p.MaxDuration < 0 || p.ReorderBuffer < 0 ||
		p.PerHostConcurrency < 0 || p.PerHostDelay < 0 {
		return nil, errors.New("negative crawl limit")
	}
	if p.Concurrency == 0 {
		p.Concurrency = defaultCrawlConcurrency
	}
	if p.MaxPages == 0 {
		p.MaxPages = defaultCrawlMaxPages
	}
	if p.MaxDepth == 0 && p.Follow != ScopeNone {
		p.MaxDepth = defaultCrawlDepth
	}
	if p.ReorderBuffer == 0 {
		p.ReorderBuffer = defaultReorderBuffer
	}
	switch {
	case p.TargetLatency == 0:
		p.TargetLatency = defaultTargetLatency
	case p.TargetLatency < 0:
		p.TargetLatency = 0
	}
	switch {
	case p.RenderTimeout == 0:
		p.RenderTimeout = defaultCrawlRenderCap
	case p.RenderTimeout < 0:
		p.RenderTimeout = 0
	}
	for _, s := range req.URLs {
		n, ok := urlnorm.Normalize(s)
		if !ok {
			return nil, fmt.Errorf("seed %q is not an absolute http(s) url", s)
		}
		p.seeds = append(p.seeds, n)
	}
	var err error
	if p.include, err = compileAll(req.Include); err != nil {
		return nil, err
	}
	if p.exclude, err = compileAll(req.Exclude); err != nil {
		return nil, err
	}
	return p, nil
}

func compileAll(pats []string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, p := range pats {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("bad pattern %q: %w", p, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// follows reports whether link, found on page from, is in the crawl's scope.
func (p *crawlPlan) follows(from, link *url.URL) bool {
	switch p.Follow {
	case ScopeNone:
		return false
	case ScopeSameHost:
		if !strings.EqualFold(from.Hostname(), link.Hostname()) {
			return false
		}
	case ScopeSameDomain:
		if registrable(from.Hostname()) != registrable(link.Hostname()) {
			return false
		}
	}
	s := link.String()
	if len(p.include) > 0 {
		ok := false
		for _, re := range p.include {
			if re.MatchString(s) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, re := range p.exclude {
		if re.MatchString(s) {
			return false
		}
	}
	return true
}

func registrable(host string) string {
	host = strings.ToLower(host)
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// crawlJob is one page to crawl.
type crawlJob struct {
	seq   int
	url   string
	depth int
}

type crawlOutcome struct {
	job crawlJob
	res *Result
	err error
}

// Crawl extracts the seed URLs and, when req.Follow is set, the pages they
// link to, with bounded concurrency. Results arrive as they complete (or in
// input order, see [OrderInput]); a page that fails yields a nil *Result
// and an [*Error].
//
// The returned sequence is single-use: range over it once. Breaking out of
// the loop, or cancelling ctx, stops every worker; the loop returns only
// after all of them have finished and released their connections. When ctx
// ends the crawl early, the last pair yielded is (nil, err) with err
// matching ctx's error. An invalid request yields a single (nil, err) with
// [ErrValidation].
//
// Yield is always called from the goroutine ranging over the sequence.
func (c *Client) Crawl(ctx context.Context, req CrawlRequest) iter.Seq2[*Result, error] {
	return func(yield func(*Result, error) bool) {
		ctx, end, err := c.begin(ctx)
		if err != nil {
			yield(nil, newError("crawl", "", err))
			return
		}
		defer end()
		plan, err := c.planCrawl(req)
		if err != nil {
			yield(nil, &Error{Kind: KindValidation, Op: "crawl", Err: err})
			return
		}
		if plan.MaxDuration > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeoutCause(ctx, plan.MaxDuration, errMaxDuration)
			defer cancel()
		}
		c.runCrawl(ctx, plan, yield)
	}
}

// runCrawl is the crawl's coordinator. It runs in the caller's goroutine:
// it dispatches jobs to a fixed set of workers, collects their outcomes,
// discovers links and yields results. Every channel operation selects on
// the crawl's context, so no goroutine outlives the call.
func (c *Client) runCrawl(parent context.Context, plan *crawlPlan, yield func(*Result, error) bool) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	// Pages that need a browser share one browser context per crawl, so
	// its warm tabs are reused; it is created on first need.
	lr := &lazyRenderer{c: c, ctx: ctx}
	defer lr.release()
	jobs := make(chan crawlJob)
	outcomes := make(chan crawlOutcome)
	c.crawlLimit.Store(int64(plan.Concurrency))
	ctl := newAIMD(plan.Concurrency, plan.TargetLatency, func(limit int) {
		c.crawlLimit.Store(int64(limit))
		metrics.Set(c.rec, metrics.ConcurrencyLimit, metrics.Labels{}, float64(limit))
	})
	for range plan.Concurrency {
		g.Go(func() error {
			for j := range jobs {
				if err := ctl.acquire(gctx); err != nil {
					return nil
				}
				t := time.Now()
				res, err := c.extractObserved(gctx, "crawl", j.url, request{engine: plan.Engine, renderer: lr, renderCap: plan.RenderTimeout})
				ctl.release(time.Since(t), err != nil && !errors.Is(err, context.Canceled))
				if err == nil {
					res.Depth = j.depth
				}
				select {
				case outcomes <- crawlOutcome{job: j, res: res, err: err}:
				case <-gctx.Done():
					return nil
				}
			}
			return nil
		})
	}

	seen := make(map[string]bool, len(plan.seeds))
	var queue []crawlJob
	enqueue := func(u string, depth int) {
		if seen[u] || len(seen) >= plan.MaxPages {
			return
		}
		seen[u] = true
		queue = append(queue, crawlJob{seq: len(seen) - 1, url: u, depth: depth})
	}
	markSeen := func(u string) {
		if n, ok := urlnorm.Normalize(u); ok && !seen[n] && len(seen) < plan.MaxPages {
			seen[n] = true
		}
	}
	for _, s := range plan.seeds {
		enqueue(s, 0)
	}
	if plan.Sitemaps {
		for _, u := range c.sitemapSeeds(ctx, plan) {
			enqueue(u, 0)
		}
	}

	inflight := 0
	next := 0 // OrderInput: the next sequence number to yield
	held := map[int]crawlOutcome{}
	stopped := false
	emit := func(o crawlOutcome) bool {
		if o.err == nil && plan.SkipNoIndex && o.res.NoIndex {
			return true
		}
		return yield(o.res, o.err)
	}
	hosts := newHostGate(plan.PerHostConcurrency, plan.PerHostDelay)
	var wake *time.Timer
	defer func() {
		if wake != nil {
			wake.Stop()
		}
	}()
	var wakeC <-chan time.Time
loop:
	for {
		var send chan crawlJob
		var head crawlJob
		idx := -1
		if len(queue) > 0 && (plan.Order != OrderInput || len(held) < plan.ReorderBuffer) {
			// Input order dispatches strictly in sequence, so the
			// reorder buffer always drains.
			scan := queue
			if plan.Order == OrderInput {
				scan = queue[:1]
			}
			var wait time.Duration
			idx, wait = hosts.pick(scan, time.Now())
			switch {
			case idx >= 0:
				send, head = jobs, queue[idx]
			case wait > 0 && wakeC == nil:
				if wake == nil {
					wake = time.NewTimer(wait)
				} else {
					wake.Reset(wait)
				}
				wakeC = wake.C
			}
		}
		if send == nil && inflight == 0 && wakeC == nil {
			break
		}
		select {
		case send <- head:
			if idx == 0 {
				queue = queue[1:]
			} else {
				copy(queue[idx:], queue[idx+1:])
				queue = queue[:len(queue)-1]
			}
			hosts.start(head.url, time.Now())
			inflight++
		case <-wakeC:
			wakeC = nil
		case o := <-outcomes:
			inflight--
			hosts.done(o.job.url)
			if o.err == nil {
				// The page's final and canonical addresses name the same
				// content: never crawl them again.
				markSeen(o.res.FinalURL)
				if o.res.Document != nil && o.res.Document.CanonicalURL != "" {
					markSeen(o.res.Document.CanonicalURL)
				}
				if o.job.depth < plan.MaxDepth {
					c.discover(plan, o, enqueue)
				}
			}
			if plan.Order != OrderInput {
				if !emit(o) {
					stopped = true
					break loop
				}
				continue
			}
			held[o.job.seq] = o
			for {
				h, ok := held[next]
				if !ok {
					break
				}
				delete(held, next)
				next++
				if !emit(h) {
					stopped = true
					break loop
				}
			}
		case <-ctx.Done():
			break loop
		}
	}
	close(jobs)
	cancel()
	_ = g.Wait()
	if !stopped && parent.Err() != nil && !errors.Is(context.Cause(parent), errMaxDuration) {
		yield(nil, newError("crawl", "", c.cause(parent, parent.Err())))
	}
}

// discover queues the in-scope links of a crawled page.
func (c *Client) discover(plan *crawlPlan, o crawlOutcome, enqueue func(string, int)) {
	if plan.Follow == ScopeNone || o.res.Document == nil {
		return
	}
	if plan.ObeyNoFollow && o.res.NoFollow {
		return
	}
	base := o.res.FinalURL
	if base == "" {
		base = o.job.url
	}
	from, err := url.Parse(base)
	if err != nil {
		return
	}
	for _, l := range o.res.Document.Links {
		if plan.ObeyNoFollow && l.NoFollow {
			continue
		}
		lu, err := url.Parse(l.URL)
		if err != nil {
			continue
		}
		lu = from.ResolveReference(lu)
		n, ok := urlnorm.NormalizeURL(lu)
		if !ok {
			continue
		}
		nu, err := url.Parse(n)
		if err != nil || !plan.follows(from, nu) {
			continue
		}
		enqueue(n, o.job.depth+1)
	}
}

// lazyRenderer creates a crawl's browser context on its first render.
type lazyRenderer struct {
	c    *Client
	ctx  context.Context
	once sync.Once
	r    render.Renderer
	done func()
	err  error
}

func (l *lazyRenderer) Render(ctx context.Context, req *render.Request) (*render.Response, error) {
	l.once.Do(func() { l.r, l.done, l.err = l.c.crawlRenderer(l.ctx) })
	if l.err != nil {
		return nil, l.err
	}
	return l.r.Render(ctx, req)
}

// release closes the browser context if one was created. It must be
// called after every render has returned.
func (l *lazyRenderer) release() {
	l.once.Do(func() {}) // no render may create it from now on
	if l.done != nil {
		l.done()
	}
}

// Sitemap discovery bounds, per seed origin.
const (
	maxSitemapDocs  = 20
	maxSitemapDepth = 2
)

// sitemapSeeds returns the in-scope page URLs listed by the sitemaps of
// the seeds' sites. Failures only mean fewer seeds.
func (c *Client) sitemapSeeds(ctx context.Context, plan *crawlPlan) []string {
	var out []string
	done := map[string]bool{}
	for _, seed := range plan.seeds {
		su, err := url.Parse(seed)
		if err != nil {
			continue
		}
		origin := su.Scheme + "://" + su.Host
		if done[origin] {
			continue
		}
		done[origin] = true
		var queue []string
		if c.ownFetch != nil {
			if r, err := c.ownFetch.Robots(ctx, origin+"/"); err == nil {
				for _, sm := range r.Sitemaps() {
					// Sitemap lines should be absolute; resolve the others.
					if ref, err := url.Parse(sm); err == nil {
						queue = append(queue, su.ResolveReference(ref).String())
					}
				}
			}
		}
		if len(queue) == 0 {
			queue = append(queue, origin+"/sitemap.xml")
		}
		seen := map[string]bool{}
		for depth := 0; depth <= maxSitemapDepth && len(queue) > 0 && len(seen) < maxSitemapDocs; depth++ {
			var next []string
			for _, smURL := range queue {
				if seen[smURL] || len(seen) >= maxSitemapDocs || ctx.Err() != nil {
					continue
				}
				seen[smURL] = true
				resp, err := c.fetcher.Fetch(ctx, &fetch.Request{URL: smURL, AnyType: true})
				if err != nil {
					c.log.Debug("sitemap not read", "url", redact.URL(smURL), "err", err)
					continue
				}
				sm, _ := sitemap.Parse(resp.Body)
				next = append(next, sm.Sitemaps...)
				for _, u := range sm.URLs {
					n, ok := urlnorm.Normalize(u)
					if !ok {
						continue
					}
					lu, _ := url.Parse(n)
					if plan.inSitemapScope(su, lu) {
						out = append(out, n)
					}
				}
			}
			queue = next
		}
	}
	return out
}

// inSitemapScope reports whether a sitemap entry may be crawled: within
// the Follow scope of its seed, the seed's host when Follow is none.
func (p *crawlPlan) inSitemapScope(seed, link *url.URL) bool {
	if p.Follow == ScopeNone {
		q := *p
		q.Follow = ScopeSameHost
		return q.follows(seed, link)
	}
	return p.follows(seed, link)
}

// hostGate applies a crawl's per-host concurrency and delay when the
// coordinator picks the next page. A zero limit and delay let every page
// through.
type hostGate struct {
	limit int
	delay time.Duration
	hosts map[string]*hostSlot
}

type hostSlot struct {
	inflight int
	last     time.Time
}

// maxPickScan bounds how far into the queue pick looks for a page whose
// host is free.
const maxPickScan = 256

func newHostGate(limit int, delay time.Duration) *hostGate {
	return &hostGate{limit: limit, delay: delay, hosts: map[string]*hostSlot{}}
}

func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Host
	}
	return ""
}

// pick returns the index of the first job in queue whose host may start a
// page now, or -1 and how long until one may (0 when only completions can
// free a host).
func (g *hostGate) pick(queue []crawlJob, now time.Time) (int, time.Duration) {
	if g.limit == 0 && g.delay == 0 {
		return 0, 0
	}
	var wait time.Duration
	for i, j := range queue[:min(len(queue), maxPickScan)] {
		s := g.hosts[hostOf(j.url)]
		if s == nil {
			return i, 0
		}
		if g.limit > 0 && s.inflight >= g.limit {
			continue
		}
		if d := s.last.Add(g.delay).Sub(now); d > 0 {
			if wait == 0 || d < wait {
				wait = d
			}
			continue
		}
		return i, 0
	}
	return -1, wait
}

func (g *hostGate) start(rawURL string, now time.Time) {
	if g.limit == 0 && g.delay == 0 {
		return
	}
	h := hostOf(rawURL)
	s := g.hosts[h]
	if s == nil {
		s = &hostSlot{}
		g.hosts[h] = s
	}
	s.inflight++
	s.last = now
}

func (g *hostGate) done(rawURL string) {
	if s := g.hosts[hostOf(rawURL)]; s != nil {
		s.inflight--
	}
}
