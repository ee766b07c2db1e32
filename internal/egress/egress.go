// Package egress runs the browser's egress proxy: an in-process HTTP and
// CONNECT forward proxy on a loopback port that dials every upstream
// connection through the SSRF guard (internal/netguard). Chromium is
// launched with --proxy-server pointing at it and
// --proxy-bypass-list=<-loopback>, so navigations, redirects, subresources,
// iframes, fetch/XHR and WebSockets all pass the same dial-time check on
// the resolved address, whatever spelling the page used for the host.
//
// A refused dial answers 403 (plain HTTP) or fails the CONNECT with 403;
// the browser sees a network error. Refusals are counted in [Stats].
package egress

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/proxy"

	"github.com/riptide-go/riptide/internal/netguard"
)

// RefusedHeader marks the 403 answer to a plain-HTTP request whose
// destination the guard refused, so a client can tell a policy refusal
// from an origin's own 403.
const RefusedHeader = "X-Riptide-Egress-Refused"

// Config configures a Proxy. The zero value refuses private, loopback and
// link-local destinations.
type Config struct {
	// AllowPrivate lets the proxy reach private networks (tests,
	// intranet deployments). It opens every private destination; prefer
	// AllowHostPorts.
	AllowPrivate bool
	// AllowHostPorts lists exact "host:port" destinations that may be
	// reached even though the guard refuses their address (for example
	// the one test server a test renders). Hosts are compared as written
	// after lower-casing.
	AllowHostPorts []string
	// Dial replaces the guarded dialer (tests). When set, AllowPrivate is
	// ignored; AllowHostPorts still bypasses it with a plain dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// DialTimeout bounds one upstream dial (default 10 s).
	DialTimeout time.Duration
	// Logger receives one debug line per refused destination. Nil
	// discards.
	Logger *slog.Logger
	// Upstream chains every connection through this proxy (http, https
	// or socks5 URL, with optional user:password): a CONNECT tunnel to
	// the destination, or a SOCKS5 connect. Destinations are still
	// checked first, by resolving their host here; the upstream resolves
	// the name again, so it must enforce its own egress policy against
	// DNS rebinding. The upstream's own address is not checked (it may
	// well be on a private network). An http upstream must allow CONNECT
	// to the destination's port, 80 included.
	Upstream *url.URL
	// GuardUpstream checks the upstream proxy's own address like a
	// destination (guard, AllowPrivate, AllowHostPorts). Set it when the
	// upstream comes from untrusted input, such as a request: otherwise a
	// "proxy" on an internal address would be dialled unchecked.
	GuardUpstream bool
}

// ParseUpstream checks an upstream proxy URL: http, https, socks5 or
// socks5h, with a host.
func ParseUpstream(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("egress: invalid upstream proxy url")
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("egress: upstream proxy scheme %q not supported (http, https, socks5)", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("egress: upstream proxy url has no host")
	}
	return u, nil
}

// Stats counts the proxy's decisions.
type Stats struct {
	Allowed int64 // upstream connections opened
	Refused int64 // destinations the guard refused
	Failed  int64 // dials that failed for another reason
}

// Proxy is a running egress proxy. It is safe for concurrent use.
type Proxy struct {
	cfg   Config
	ln    net.Listener
	srv   *http.Server
	guard netguard.Dialer
	allow map[string]bool
	log   *slog.Logger

	allowed, refused, failed atomic.Int64

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Start listens on 127.0.0.1:0 and serves until Close.
func Start(cfg Config) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("egress: listen: %w", err)
	}
	p := &Proxy{
		cfg:   cfg,
		ln:    ln,
		guard: netguard.Dialer{AllowPrivate: cfg.AllowPrivate, Timeout: cfg.DialTimeout},
		allow: map[string]bool{},
		log:   cfg.Logger,
		conns: map[net.Conn]struct{}{},
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	for _, hp := range cfg.AllowHostPorts {
		p.allow[strings.ToLower(hp)] = true
	}
	p.srv = &http.Server{
		Handler:           http.HandlerFunc(p.serve),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

// URL is the proxy's address for --proxy-server ("http://127.0.0.1:N").
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Stats returns the counters.
func (p *Proxy) Stats() Stats {
	return Stats{Allowed: p.allowed.Load(), Refused: p.refused.Load(), Failed: p.failed.Load()}
}

// Close stops the proxy and closes every tunnel; it waits for the
// serving goroutines to end, bounded by ctx.
func (p *Proxy) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	err := p.srv.Shutdown(ctx)
	if err != nil {
		_ = p.srv.Close()
	}
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("egress: close: %w", ctx.Err())
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return nil // forced close went through
	}
	return err
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// dial opens an upstream connection to addr through the guard (or, with
// an Upstream, through that proxy once the guard accepts addr).
func (p *Proxy) dial(ctx context.Context, addr string) (net.Conn, error) {
	if p.cfg.Upstream != nil {
		if !p.allow[strings.ToLower(addr)] {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if _, err := p.guard.Resolve(ctx, host); err != nil {
				return nil, err
			}
		}
		return p.dialUpstream(ctx, addr)
	}
	return p.dialDirect(ctx, addr)
}

// dialDirect connects to addr itself, through the guard unless addr is
// allowed by AllowHostPorts.
func (p *Proxy) dialDirect(ctx context.Context, addr string) (net.Conn, error) {
	if p.allow[strings.ToLower(addr)] {
		d := net.Dialer{Timeout: p.timeout()}
		return d.DialContext(ctx, "tcp", addr)
	}
	if p.cfg.Dial != nil {
		return p.cfg.Dial(ctx, "tcp", addr)
	}
	return p.guard.DialContext(ctx, "tcp", addr)
}

func (p *Proxy) timeout() time.Duration {
	if p.cfg.DialTimeout > 0 {
		return p.cfg.DialTimeout
	}
	return netguard.DefaultDialTimeout
}

func (p *Proxy) dialErr(w http.ResponseWriter, addr string, err error) {
	if errors.Is(err, netguard.ErrBlocked) {
		p.refused.Add(1)
		p.log.Debug("egress: refused destination", "addr", addr, "err", err)
		w.Header().Set(RefusedHeader, "1")
		http.Error(w, "destination refused by egress policy", http.StatusForbidden)
		return
	}
	p.failed.Add(1)
	http.Error(w, "upstream unreachable", http.StatusBadGateway)
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.connect(w, r)
		return
	}
	if r.URL.Scheme != "http" || r.URL.Host == "" {
		http.Error(w, "only absolute http URLs are proxied", http.StatusBadRequest)
		return
	}
	p.forward(w, r)
}

func hostPort(host, defPort string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), defPort)
}

// connect tunnels TLS and WebSocket-over-TLS traffic.
func (p *Proxy) connect(w http.ResponseWriter, r *http.Request) {
	addr := hostPort(r.Host, "443")
	up, err := p.dial(r.Context(), addr)
	if err != nil {
		p.dialErr(w, addr, err)
		return
	}
	p.allowed.Add(1)
	hj, ok := w.(http.Hijacker)
	if !ok {
		_ = up.Close()
		http.Error(w, "no hijack", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	down, buf, err := hj.Hijack()
	if err != nil {
		_ = up.Close()
		return
	}
	if !p.track(up) || !p.track(down) {
		_ = up.Close()
		_ = down.Close()
		return
	}
	defer p.untrack(up)
	defer p.untrack(down)
	if n := buf.Reader.Buffered(); n > 0 {
		b, _ := buf.Reader.Peek(n)
		if _, err := up.Write(b); err != nil {
			_ = up.Close()
			_ = down.Close()
			return
		}
	}
	pipe(up, down)
}

// pipe copies both ways until either side ends, then closes both.
func pipe(a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		_ = dst.Close()
		_ = src.Close()
		done <- struct{}{}
	}
	go cp(a, b)
	go cp(b, a)
	<-done
	<-done
}

// hop-by-hop headers are not forwarded.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding"}

// forward proxies one plain-HTTP request; an Upgrade (WebSocket) becomes
// a tunnel after the handshake.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) {
	addr := hostPort(r.URL.Host, "80")
	up, err := p.dial(r.Context(), addr)
	if err != nil {
		p.dialErr(w, addr, err)
		return
	}
	p.allowed.Add(1)
	if !p.track(up) {
		_ = up.Close()
		return
	}
	defer p.untrack(up)
	defer up.Close()

	out := r.Clone(r.Context())
	out.RequestURI = ""
	upgrade := strings.EqualFold(r.Header.Get("Connection"), "upgrade") || r.Header.Get("Upgrade") != ""
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	if upgrade {
		out.Header.Set("Connection", "Upgrade")
		out.Header.Set("Upgrade", r.Header.Get("Upgrade"))
	} else {
		out.Header.Set("Connection", "close")
	}
	out.Close = !upgrade
	if err := out.Write(up); err != nil {
		http.Error(w, "upstream write failed", http.StatusBadGateway)
		return
	}
	br := bufio.NewReader(up)
	resp, err := http.ReadResponse(br, out)
	if err != nil {
		http.Error(w, "bad upstream response", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if upgrade && resp.StatusCode == http.StatusSwitchingProtocols {
		p.tunnelUpgrade(w, resp, up, br)
		return
	}
	for _, h := range hopHeaders {
		resp.Header.Del(h)
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// tunnelUpgrade relays a 101 answer and then the upgraded stream
// (WebSocket) both ways.
func (p *Proxy) tunnelUpgrade(w http.ResponseWriter, resp *http.Response, up net.Conn, br *bufio.Reader) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "no hijack", http.StatusInternalServerError)
		return
	}
	down, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	if !p.track(down) {
		_ = down.Close()
		return
	}
	defer p.untrack(down)
	resp.Body = http.NoBody
	if err := resp.Write(down); err != nil {
		_ = down.Close()
		return
	}
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		_, _ = down.Write(b)
	}
	if n := buf.Reader.Buffered(); n > 0 {
		b, _ := buf.Reader.Peek(n)
		_, _ = up.Write(b)
	}
	pipe(up, down)
}

// dialUpstream opens a connection to addr through the Upstream proxy.
func (p *Proxy) dialUpstream(ctx context.Context, addr string) (net.Conn, error) {
	u := p.cfg.Upstream
	d := dialFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := net.Dialer{Timeout: p.timeout()}
		return nd.DialContext(ctx, network, addr)
	})
	if p.cfg.GuardUpstream {
		d = func(ctx context.Context, _, addr string) (net.Conn, error) { return p.dialDirect(ctx, addr) }
	}
	switch u.Scheme {
	case "socks5", "socks5h":
		var auth *proxy.Auth
		if u.User != nil {
			pw, _ := u.User.Password()
			auth = &proxy.Auth{User: u.User.Username(), Password: pw}
		}
		sd, err := proxy.SOCKS5("tcp", hostPort(u.Host, "1080"), auth, d)
		if err != nil {
			return nil, upstreamErr(err)
		}
		c, err := sd.(proxy.ContextDialer).DialContext(ctx, "tcp", addr)
		if err != nil {
			if errors.Is(err, netguard.ErrBlocked) {
				return nil, err
			}
			return nil, upstreamErr(err)
		}
		return c, nil
	}
	def := "80"
	if u.Scheme == "https" {
		def = "443"
	}
	c, err := d.DialContext(ctx, "tcp", hostPort(u.Host, def))
	if err != nil {
		if errors.Is(err, netguard.ErrBlocked) {
			return nil, err // the upstream's address is refused: a 403 like any destination
		}
		return nil, upstreamErr(err)
	}
	if u.Scheme == "https" {
		tc := tls.Client(c, &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = c.Close()
			return nil, upstreamErr(err)
		}
		c = tc
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	} else {
		_ = c.SetDeadline(time.Now().Add(p.timeout()))
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if u.User != nil {
		pw, _ := u.User.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
	}
	if err := req.Write(c); err != nil {
		_ = c.Close()
		return nil, upstreamErr(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		_ = c.Close()
		return nil, upstreamErr(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_ = c.Close()
		return nil, upstreamErr(fmt.Errorf("CONNECT %s: %s", addr, resp.Status))
	}
	_ = c.SetDeadline(time.Time{})
	if br.Buffered() > 0 {
		return &bufferedConn{Conn: c, r: br}, nil
	}
	return c, nil
}

// upstreamErr wraps a failure of the upstream proxy; the proxy URL (and
// its credentials) never appears in it.
func upstreamErr(err error) error { return fmt.Errorf("egress: upstream proxy: %w", err) }

// bufferedConn is a connection whose first bytes were read ahead.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// dialFunc is a dial function usable as a proxy.Dialer and
// proxy.ContextDialer.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialFunc) Dial(network, addr string) (net.Conn, error) {
	return f(context.Background(), network, addr)
}

func (f dialFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}
