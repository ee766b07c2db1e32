package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/riptide-go/riptide/internal/netguard"
	"github.com/riptide-go/riptide/internal/redact"
	"github.com/riptide-go/riptide/timeout"
)

// Defaults of a zero [Config].
const (
	DefaultUserAgent          = "riptide/0.1 (+https://github.com/riptide-go/riptide)"
	DefaultMaxBodyBytes       = 10 << 20
	DefaultMaxHeaderBytes     = 1 << 20
	DefaultMaxRedirects       = 10
	DefaultPhaseTimeout       = 10 * time.Second
	DefaultPerHostConcurrency = 2
	DefaultGlobalConcurrency  = 64
	DefaultRobotsCacheTTL     = 24 * time.Hour
	DefaultRobotsCacheSize    = 1024
	maxRobotsRedirects        = 5
)

// Config configures an [HTTP] fetcher. The zero value gives the defaults
// named on each field; negative values are invalid.
type Config struct {
	// UserAgent is sent with every request; default DefaultUserAgent.
	UserAgent string
	// AllowPrivateNetworks turns the SSRF guard off, so loopback, private
	// and link-local addresses may be fetched. Meant for tests and
	// deliberate intranet use; the default refuses them.
	AllowPrivateNetworks bool
	// MaxBodyBytes caps the decoded body; default 10 MiB. Bytes read from
	// the wire are capped at twice this.
	MaxBodyBytes int64
	// MaxHeaderBytes caps the response header; default 1 MiB.
	MaxHeaderBytes int64
	// MaxRedirects is how many redirects a fetch follows; default 10.
	MaxRedirects int
	// Policy gives the total budget of each fetch (redirects and the
	// robots.txt lookup included) and learns from outcomes; nil means
	// timeout.Fixed{} (30 s).
	Policy timeout.Policy
	// ConnectTimeout, TLSTimeout and HeaderTimeout bound the TCP connect,
	// the TLS handshake and the wait for the response header; 10 s each by
	// default.
	ConnectTimeout time.Duration
	TLSTimeout     time.Duration
	HeaderTimeout  time.Duration
	// IdleReadTimeout fails a fetch whose body makes no progress for that
	// long (a server dripping bytes slower than this); default 10 s.
	IdleReadTimeout time.Duration
	// PerHostConcurrency bounds the requests in flight per host; default 2.
	PerHostConcurrency int
	// PerHostDelay is the minimum gap between the starts of two requests
	// to one host; default 0. A robots.txt Crawl-delay (capped at 30 s)
	// raises it for its host.
	PerHostDelay time.Duration
	// GlobalConcurrency bounds the fetches in flight; default 64.
	GlobalConcurrency int
	// IgnoreRobots skips robots.txt; by default it is obeyed.
	IgnoreRobots bool
	// RobotsUserAgent is the product token matched against robots.txt
	// groups; default the first token of UserAgent ("riptide").
	RobotsUserAgent string
	// RobotsCacheTTL is how long a robots.txt answer is kept, at most
	// (and by default) 24 h.
	RobotsCacheTTL time.Duration
	// RobotsCacheSize is how many hosts' robots.txt answers are kept;
	// default 1024.
	RobotsCacheSize int
	// Logger receives debug records of fetches, with redacted URLs; nil
	// discards them.
	Logger *slog.Logger
	// Resolver replaces the system DNS resolver (the SSRF guard checks
	// every address it returns).
	Resolver func(ctx context.Context, host string) ([]netip.Addr, error)
	// Jar stores cookies across fetches. Give each tenant its own jar; nil
	// keeps no cookies.
	Jar http.CookieJar
	// ProxyURL sends every request through this HTTP(S) or SOCKS5 proxy.
	// The proxy's own address is not checked by the SSRF guard (it may well
	// be on a private network); target URLs still are, by their literal
	// address or by resolving their host before the request, but the proxy
	// resolves the name again, so a proxy must enforce its own egress
	// policy to close DNS rebinding.
	ProxyURL string
	// TLSConfig is cloned for HTTPS connections; nil means the system
	// roots and TLS 1.2 or later.
	TLSConfig *tls.Config

	// allow is a test-only allow-list passed to the guard.
	allow []netip.Prefix
}

// HTTP is the built-in [Fetcher]: net/http behind the SSRF guard, with
// size caps, decompression, charset conversion, bounded redirects,
// robots.txt and per-host politeness. Build it with [New]; it is safe for
// concurrent use.
//
// # Safety
//
// Every URL, the first and each redirect hop, is parsed the way browsers
// read it (numeric IPv4 forms such as 2130706433 or 0x7f.1 included) and
// refused when it names a loopback, private, link-local, shared,
// documentation, multicast, reserved, translation or metadata address, or
// a localhost name. The dialer resolves each name once, checks every
// answer and connects to the checked address, so DNS rebinding cannot
// swap in another; the check runs again on the socket before connect.
// Only http and https are followed. A redirect to another origin drops
// Authorization, Cookie, Proxy-Authorization and every header of
// [Request.Header] for the rest of the fetch.
//
// # Limits
//
// The body is capped after every content-encoding layer (gzip, deflate,
// br, zstd; at most two stacked) and on the wire; going over gives
// [ErrBodyTooLarge], or a [Response] with Truncated set when the request
// allows it, never a silent cut. Connect, TLS and response-header waits
// have their own timeouts, a body that makes no progress for
// IdleReadTimeout fails, and the whole fetch (robots.txt and redirects
// included) runs within the Policy's budget.
//
// # Politeness
//
// robots.txt is fetched once per origin and cached (RFC 9309: 4xx allows
// everything; 5xx, 429, timeouts and network errors disallow everything).
// Requests to one host are limited in number and spaced by PerHostDelay or
// the site's Crawl-delay, whichever is larger.
type HTTP struct {
	cfg       Config
	agent     string // robots.txt product token
	policy    timeout.Policy
	log       *slog.Logger
	guard     *netguard.Dialer
	transport *http.Transport
	proxied   bool
	hosts     *hostLimiter
	global    *semaphore.Weighted
	robots    *robotsCache
}

var _ Fetcher = (*HTTP)(nil)

// New validates cfg, fills in its defaults and builds a fetcher.
func New(cfg Config) (*HTTP, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	h := &HTTP{
		cfg:    cfg,
		policy: cfg.Policy,
		log:    cfg.Logger,
		hosts:  newHostLimiter(cfg.PerHostConcurrency),
		global: semaphore.NewWeighted(int64(cfg.GlobalConcurrency)),
	}
	h.agent = cfg.RobotsUserAgent
	if h.agent == "" {
		h.agent = agentToken(cfg.UserAgent)
	}
	h.guard = &netguard.Dialer{
		AllowPrivate: cfg.AllowPrivateNetworks,
		Allow:        cfg.allow,
		Resolver:     cfg.Resolver,
		Timeout:      cfg.ConnectTimeout,
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsCfg = cfg.TLSConfig.Clone()
	}
	h.transport = &http.Transport{
		DialContext:            h.guard.DialContext,
		TLSClientConfig:        tlsCfg,
		TLSHandshakeTimeout:    cfg.TLSTimeout,
		ResponseHeaderTimeout:  cfg.HeaderTimeout,
		MaxResponseHeaderBytes: cfg.MaxHeaderBytes,
		DisableCompression:     true,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           cfg.GlobalConcurrency,
		MaxIdleConnsPerHost:    cfg.PerHostConcurrency,
		IdleConnTimeout:        90 * time.Second,
	}
	if cfg.ProxyURL != "" {
		pu, _ := url.Parse(cfg.ProxyURL) // validated
		h.transport.Proxy = http.ProxyURL(pu)
		// The proxy itself may live on a private network: dial it without
		// the guard. Targets are checked in roundTrip.
		h.transport.DialContext = (&net.Dialer{Timeout: cfg.ConnectTimeout}).DialContext
		h.proxied = true
	}
	rc, err := newRobotsCache(cfg.RobotsCacheSize, cfg.RobotsCacheTTL)
	if err != nil {
		return nil, err
	}
	h.robots = rc
	return h, nil
}

func (c *Config) validate() error {
	bad := func(field string) error {
		return fmt.Errorf("fetch: invalid config: %s must not be negative", field)
	}
	switch {
	case c.MaxBodyBytes < 0:
		return bad("MaxBodyBytes")
	case c.MaxHeaderBytes < 0:
		return bad("MaxHeaderBytes")
	case c.MaxRedirects < 0:
		return bad("MaxRedirects")
	case c.ConnectTimeout < 0:
		return bad("ConnectTimeout")
	case c.TLSTimeout < 0:
		return bad("TLSTimeout")
	case c.HeaderTimeout < 0:
		return bad("HeaderTimeout")
	case c.IdleReadTimeout < 0:
		return bad("IdleReadTimeout")
	case c.PerHostConcurrency < 0:
		return bad("PerHostConcurrency")
	case c.PerHostDelay < 0:
		return bad("PerHostDelay")
	case c.GlobalConcurrency < 0:
		return bad("GlobalConcurrency")
	case c.RobotsCacheTTL < 0:
		return bad("RobotsCacheTTL")
	case c.RobotsCacheSize < 0:
		return bad("RobotsCacheSize")
	}
	if strings.ContainsAny(c.UserAgent, "\r\n") {
		return errors.New("fetch: invalid config: UserAgent contains a line break")
	}
	if c.ProxyURL != "" {
		pu, err := url.Parse(c.ProxyURL)
		if err != nil || pu.Host == "" {
			return errors.New("fetch: invalid config: ProxyURL is not an absolute url")
		}
		switch pu.Scheme {
		case "http", "https", "socks5", "socks5h":
		default:
			return fmt.Errorf("fetch: invalid config: ProxyURL scheme %q not supported", pu.Scheme)
		}
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = DefaultMaxRedirects
	}
	if c.Policy == nil {
		c.Policy = timeout.Fixed{}
	}
	for _, d := range []*time.Duration{&c.ConnectTimeout, &c.TLSTimeout, &c.HeaderTimeout, &c.IdleReadTimeout} {
		if *d == 0 {
			*d = DefaultPhaseTimeout
		}
	}
	if c.PerHostConcurrency == 0 {
		c.PerHostConcurrency = DefaultPerHostConcurrency
	}
	if c.GlobalConcurrency == 0 {
		c.GlobalConcurrency = DefaultGlobalConcurrency
	}
	if c.RobotsCacheTTL == 0 || c.RobotsCacheTTL > DefaultRobotsCacheTTL {
		c.RobotsCacheTTL = DefaultRobotsCacheTTL
	}
	if c.RobotsCacheSize == 0 {
		c.RobotsCacheSize = DefaultRobotsCacheSize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Close releases idle connections. The fetcher stays usable; Close only
// stops idle connections from outliving their use.
func (h *HTTP) Close() error {
	h.transport.CloseIdleConnections()
	return nil
}

// errBudget is the cancel cause of a fetch whose total budget ran out;
// errIdle is the cause of a hop whose body stopped making progress.
var (
	errBudget = errors.New("fetch: budget exhausted")
	errIdle   = errors.New("fetch: idle read")
)

// fetchOpts are the knobs that differ between page and robots.txt fetches.
type fetchOpts struct {
	maxRedirects   int
	maxBody        int64
	allowTruncated bool
	robots         bool // obey robots.txt
	anyType        bool // no content-type check, no charset conversion
	// nested is set for the robots.txt fetch made inside a page fetch,
	// which already holds a global slot.
	nested bool
}

// Fetch downloads req.URL. See [Fetcher] for the contract. Errors are
// [*Error] values wrapping this package's sentinels; a timeout matches both
// [ErrTimeout] and [context.DeadlineExceeded], and a cancellation matches
// [context.Canceled].
func (h *HTTP) Fetch(ctx context.Context, req *Request) (*Response, error) {
	if req == nil {
		return nil, &Error{Op: "parse", Err: fmt.Errorf("%w: nil request", ErrInvalidURL)}
	}
	start := time.Now()
	u, err := h.parseURL(req.URL)
	if err != nil {
		return nil, &Error{Op: "parse", URL: redact.URL(req.URL), Err: err}
	}
	key := u.String()
	budget := h.policy.Budget(timeout.StageFetch, key)
	bctx, cancel := context.WithTimeoutCause(ctx, budget, errBudget)
	defer cancel()
	opts := fetchOpts{
		maxRedirects:   h.cfg.MaxRedirects,
		maxBody:        h.cfg.MaxBodyBytes,
		allowTruncated: req.AllowTruncated,
		anyType:        req.AnyType,
		robots:         !h.cfg.IgnoreRobots && !req.IgnoreRobots,
	}
	resp, err := h.do(ctx, bctx, u, req, opts)
	elapsed := time.Since(start)
	if resp != nil {
		resp.Timings.Total = elapsed
	}
	if !errors.Is(err, context.Canceled) {
		h.policy.Record(timeout.StageFetch, key, timeout.Outcome{
			Duration: elapsed,
			TimedOut: errors.Is(err, ErrTimeout),
			Err:      err,
		})
	}
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelDebug, "fetch failed", slog.String("url", redact.Redacted(u)),
			slog.Duration("elapsed", elapsed), slog.String("err", err.Error()))
		return nil, err
	}
	h.log.LogAttrs(ctx, slog.LevelDebug, "fetched", slog.String("url", redact.Redacted(u)),
		slog.Int("status", resp.Status), slog.Int64("bytes", resp.DecodedBytes), slog.Duration("elapsed", elapsed))
	return resp, nil
}

// parseURL validates and canonicalises raw and checks a literal IP host
// against the guard (so the test allow-list and AllowPrivateNetworks apply
// to literals as they do to resolved names).
func (h *HTTP) parseURL(raw string) (*url.URL, error) {
	u, err := netguard.CanonicalURL(raw)
	if err != nil {
		return nil, guardErr(err)
	}
	if ip, perr := netip.ParseAddr(u.Hostname()); perr == nil {
		if err := h.guard.Check(ip); err != nil {
			return nil, guardErr(err)
		}
	} else if !h.cfg.AllowPrivateNetworks {
		if err := netguard.CheckHost(u.Hostname()); err != nil {
			return nil, guardErr(err)
		}
	}
	return u, nil
}

// guardErr maps netguard's sentinels to this package's.
func guardErr(err error) error {
	switch {
	case errors.Is(err, netguard.ErrBlocked):
		var be *netguard.BlockedError
		if errors.As(err, &be) {
			return fmt.Errorf("%w: %w", ErrBlockedAddress, be)
		}
		return fmt.Errorf("%w: %w", ErrBlockedAddress, err)
	case errors.Is(err, netguard.ErrScheme):
		return fmt.Errorf("%w: %w", ErrDisallowedScheme, err)
	case errors.Is(err, netguard.ErrInvalidURL):
		return fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	return err
}

// do runs one fetch, following redirects. parent is the caller's context
// (to tell its cancellation from our budget); ctx carries the budget.
func (h *HTTP) do(parent, ctx context.Context, u *url.URL, req *Request, opts fetchOpts) (*Response, error) {
	if !opts.nested {
		if err := h.global.Acquire(ctx, 1); err != nil {
			return nil, h.wrap("request", u, parent, ctx, nil, err)
		}
		defer h.global.Release(1)
	}

	origin := originOf(u)
	crossed := false
	visited := map[string]bool{u.String(): true}
	var redirects []string
	cur := u
	for hop := 0; ; hop++ {
		delay := h.cfg.PerHostDelay
		if opts.robots {
			rb, err := h.robotsFor(parent, ctx, cur)
			if err != nil {
				return nil, err
			}
			if !rb.Allowed(h.agent, requestPath(cur)) {
				return nil, &Error{Op: "robots", URL: redact.Redacted(cur), Err: ErrRobotsDisallowed}
			}
			if d, ok := rb.CrawlDelay(h.agent); ok && d > delay {
				delay = d
			}
		}
		var hdr http.Header
		if !crossed {
			hdr = req.Header
		}
		ht, err := h.roundTrip(parent, ctx, cur, hdr, req, hop == 0 && !crossed, delay)
		if err != nil {
			return nil, err
		}
		resp := ht.resp
		if loc := resp.Header.Get("Location"); isRedirect(resp.StatusCode) && loc != "" {
			ht.discard()
			if hop >= opts.maxRedirects {
				return nil, &Error{Op: "redirect", URL: redact.Redacted(cur), Status: resp.StatusCode,
					Err: fmt.Errorf("%w: more than %d", ErrTooManyRedirects, opts.maxRedirects)}
			}
			next, err := h.redirectTarget(cur, loc)
			if err != nil {
				return nil, &Error{Op: "redirect", URL: redact.Redacted(cur), Status: resp.StatusCode, Err: err}
			}
			key := next.String()
			if visited[key] {
				return nil, &Error{Op: "redirect", URL: redact.Redacted(next), Status: resp.StatusCode, Err: ErrRedirectLoop}
			}
			visited[key] = true
			redirects = append(redirects, key)
			if originOf(next) != origin {
				crossed = true
			}
			cur = next
			continue
		}
		out, err := h.finish(parent, ctx, ht, opts)
		if err != nil {
			return nil, err
		}
		out.URL = u.String()
		out.FinalURL = cur.String()
		out.Redirects = redirects
		return out, nil
	}
}

func (h *HTTP) redirectTarget(cur *url.URL, loc string) (*url.URL, error) {
	ref, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("%w: bad location header", ErrInvalidURL)
	}
	if ref.Scheme != "" && ref.Scheme != "http" && ref.Scheme != "https" {
		return nil, fmt.Errorf("%w: %q", ErrDisallowedScheme, truncateString(strings.ToLower(ref.Scheme), 20))
	}
	return h.parseURL(cur.ResolveReference(ref).String())
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// originOf returns scheme://host[:port] of a canonical URL.
func originOf(u *url.URL) string { return u.Scheme + "://" + u.Host }

// requestPath is the path and query robots.txt rules are matched against.
func requestPath(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// hopTrip is one request of a fetch whose response header has arrived.
type hopTrip struct {
	resp     *http.Response
	ctx      context.Context
	cancel   context.CancelCauseFunc
	release  func()
	watchdog *time.Timer
	idle     time.Duration
	timings  *hopTimings
}

// discard closes a response that is not used (a redirect), reading a
// little of it so the connection can be reused.
func (t *hopTrip) discard() {
	_, _ = io.CopyN(io.Discard, t.resp.Body, 4<<10)
	t.close()
}

func (t *hopTrip) close() {
	_ = t.resp.Body.Close()
	t.watchdog.Stop()
	t.cancel(nil)
	t.release()
}

type hopTimings struct {
	mu                            sync.Mutex
	dnsStart, connStart, tlsStart time.Time
	dns, connect, tls, firstByte  time.Duration
	start                         time.Time
}

func (ht *hopTimings) trace() *httptrace.ClientTrace {
	lock := func(f func()) { ht.mu.Lock(); f(); ht.mu.Unlock() }
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { lock(func() { ht.dnsStart = time.Now() }) },
		DNSDone: func(httptrace.DNSDoneInfo) {
			lock(func() { ht.dns = time.Since(ht.dnsStart) })
		},
		ConnectStart: func(string, string) { lock(func() { ht.connStart = time.Now() }) },
		ConnectDone: func(string, string, error) {
			lock(func() { ht.connect = time.Since(ht.connStart) })
		},
		TLSHandshakeStart: func() { lock(func() { ht.tlsStart = time.Now() }) },
		TLSHandshakeDone: func(tls.ConnectionState, error) {
			lock(func() { ht.tls = time.Since(ht.tlsStart) })
		},
		GotFirstResponseByte: func() { lock(func() { ht.firstByte = time.Since(ht.start) }) },
	}
}

// roundTrip sends one GET and waits for the response header, holding a
// per-host slot until the hop is closed.
func (h *HTTP) roundTrip(parent, ctx context.Context, u *url.URL, extra http.Header, req *Request, conditional bool, delay time.Duration) (*hopTrip, error) {
	release, err := h.hosts.acquire(ctx, u.Host, delay)
	if err != nil {
		return nil, h.wrap("request", u, parent, ctx, nil, err)
	}
	if h.proxied {
		// Best effort: the proxy resolves the name again.
		if _, err := h.guard.Resolve(ctx, u.Hostname()); err != nil {
			release()
			return nil, h.wrap("dial", u, parent, ctx, nil, err)
		}
	}
	hctx, cancel := context.WithCancelCause(ctx)
	tm := &hopTimings{start: time.Now()}
	hctx = httptrace.WithClientTrace(hctx, tm.trace())
	hreq, err := http.NewRequestWithContext(hctx, http.MethodGet, u.String(), nil)
	if err != nil {
		cancel(nil)
		release()
		return nil, &Error{Op: "request", URL: redact.Redacted(u), Err: fmt.Errorf("%w: %v", ErrInvalidURL, err)}
	}
	for k, vs := range extra {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	hreq.Header.Set("User-Agent", h.cfg.UserAgent)
	if hreq.Header.Get("Accept") == "" {
		hreq.Header.Set("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1")
	}
	hreq.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	if conditional {
		if req.IfNoneMatch != "" {
			hreq.Header.Set("If-None-Match", req.IfNoneMatch)
		}
		if req.IfModifiedSince != "" {
			hreq.Header.Set("If-Modified-Since", req.IfModifiedSince)
		}
	}
	// The transport is used directly: redirects and cookies are ours to
	// handle, and net/http's client would parse Location headers (and
	// quote them in errors) before we see them.
	if h.cfg.Jar != nil {
		for _, c := range h.cfg.Jar.Cookies(hreq.URL) {
			hreq.AddCookie(c)
		}
	}
	resp, err := h.transport.RoundTrip(hreq)
	if err == nil && h.cfg.Jar != nil {
		if rc := resp.Cookies(); len(rc) > 0 {
			h.cfg.Jar.SetCookies(hreq.URL, rc)
		}
	}
	if err != nil {
		werr := h.wrap("request", u, parent, ctx, hctx, err)
		cancel(nil)
		release()
		return nil, werr
	}
	idle := h.cfg.IdleReadTimeout
	t := &hopTrip{
		resp: resp, ctx: hctx, cancel: cancel, release: release, idle: idle,
		timings: tm,
	}
	t.watchdog = time.AfterFunc(idle, func() { cancel(errIdle) })
	return t, nil
}

// wrap turns a transport, context or guard error into an [*Error].
func (h *HTTP) wrap(op string, u *url.URL, parent, ctx, hctx context.Context, err error) error {
	e := &Error{Op: op, URL: redact.Redacted(u)}
	// Never repeat net/http's *url.Error text: it quotes the raw URL.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(parent.Err(), context.Canceled):
		e.Err = context.Canceled
	case errors.Is(parent.Err(), context.DeadlineExceeded):
		e.Err = &timeoutError{phase: "caller deadline", cause: context.DeadlineExceeded}
	case errors.Is(context.Cause(ctx), errBudget):
		e.Err = &timeoutError{phase: "fetch budget", cause: errBudget}
	case hctx != nil && errors.Is(context.Cause(hctx), errIdle):
		e.Err = &timeoutError{phase: fmt.Sprintf("no body progress for %s", h.cfg.IdleReadTimeout), cause: errIdle}
	case errors.Is(err, netguard.ErrBlocked):
		e.Op = "dial"
		e.Err = guardErr(err)
	case errors.Is(err, errOverCap):
		e.Err = ErrBodyTooLarge
	case strings.Contains(err.Error(), "response headers exceeded"):
		e.Err = fmt.Errorf("%w: over %d bytes", ErrHeaderTooLarge, h.cfg.MaxHeaderBytes)
	case isTimeout(err):
		e.Err = &timeoutError{phase: timeoutPhase(err), cause: err}
	default:
		e.Err = fmt.Errorf("%w: %v", ErrConnection, err)
	}
	return e
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func timeoutPhase(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "TLS handshake"):
		return "tls handshake"
	case strings.Contains(msg, "awaiting response headers"):
		return "response header"
	case strings.Contains(msg, "dial"):
		return "connect"
	}
	return "i/o"
}
