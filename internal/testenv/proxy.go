package testenv

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Proxy is an HTTP forward proxy on 127.0.0.1 for tests: it answers
// absolute-form requests and CONNECT tunnels, requires Basic credentials
// when it has any, and records the destinations it served.
type Proxy struct {
	srv        *httptest.Server
	user, pass string

	mu    sync.Mutex
	dests []string // host:port of each tunnel or forwarded request
	open  map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewProxy starts a proxy that requires user:pass (none when user is
// empty). It is closed when the test ends.
func NewProxy(t testing.TB, user, pass string) *Proxy {
	t.Helper()
	p := &Proxy{user: user, pass: pass, open: map[net.Conn]struct{}{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.srv.Close()
		// Tunnels are hijacked: the server does not close them.
		p.mu.Lock()
		for c := range p.open {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// URL is the proxy's address, with its credentials.
func (p *Proxy) URL() string {
	if p.user == "" {
		return p.srv.URL
	}
	return strings.Replace(p.srv.URL, "http://", "http://"+p.user+":"+p.pass+"@", 1)
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return strings.TrimPrefix(p.srv.URL, "http://") }

// Destinations lists the host:port of every tunnel opened and request
// forwarded, in order.
func (p *Proxy) Destinations() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.dests...)
}

func (p *Proxy) record(dest string) {
	p.mu.Lock()
	p.dests = append(p.dests, dest)
	p.mu.Unlock()
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if p.user != "" {
		auth := &http.Request{Header: http.Header{"Authorization": {r.Header.Get("Proxy-Authorization")}}}
		if u, pw, ok := auth.BasicAuth(); !ok || u != p.user || pw != p.pass {
			w.Header().Set("Proxy-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
	}
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.Header.Del("Proxy-Authorization")
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	p.record(r.URL.Host)
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	// Counted before the hijack, while the server still waits for this
	// handler, so that the cleanup's Wait cannot miss it.
	p.wg.Add(1)
	defer p.wg.Done()
	up, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	down, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		_ = up.Close()
		return
	}
	p.record(r.Host)
	p.mu.Lock()
	p.open[up], p.open[down] = struct{}{}, struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.open, up)
		delete(p.open, down)
		p.mu.Unlock()
	}()
	if _, err := io.WriteString(down, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		_ = up.Close()
		_ = down.Close()
		return
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, down)
		_ = up.Close()
		close(done)
	}()
	_, _ = io.Copy(down, up)
	_ = down.Close()
	<-done
}
