package chromium

import (
	"context"
	"time"

	"github.com/riptide-go/riptide/internal/egress"
	"github.com/riptide-go/riptide/render"
)

// maxUpstreams bounds the egress proxies kept for requests' own Proxy
// (one per distinct proxy URL); past it the least recently used idle one
// is closed.
const maxUpstreams = 64

// upstream is an egress proxy chained through one request proxy.
type upstream struct {
	p        *egress.Proxy
	users    int
	lastUsed time.Time
}

// acquireUpstream returns the egress proxy for a request's Proxy,
// starting it on first use, and the function that releases it.
func (r *Renderer) acquireUpstream(proxyURL string) (*egress.Proxy, func(), error) {
	r.upMu.Lock()
	defer r.upMu.Unlock()
	if r.upstreams == nil {
		r.mu.Lock()
		closed := r.closed
		r.mu.Unlock()
		if closed {
			return nil, nil, render.ErrClosed
		}
		r.upstreams = map[string]*upstream{}
	}
	u := r.upstreams[proxyURL]
	if u == nil {
		if len(r.upstreams) >= maxUpstreams {
			r.evictUpstreamLocked()
		}
		p, err := r.startEgress(proxyURL, true)
		if err != nil {
			return nil, nil, err
		}
		u = &upstream{p: p}
		r.upstreams[proxyURL] = u
	}
	u.users++
	u.lastUsed = time.Now()
	return u.p, func() {
		r.upMu.Lock()
		u.users--
		u.lastUsed = time.Now()
		r.upMu.Unlock()
	}, nil
}

// evictUpstreamLocked closes the least recently used idle upstream proxy.
func (r *Renderer) evictUpstreamLocked() {
	var oldest string
	for k, u := range r.upstreams {
		if u.users == 0 && (oldest == "" || u.lastUsed.Before(r.upstreams[oldest].lastUsed)) {
			oldest = k
		}
	}
	if oldest == "" {
		return // all in use: one more is allowed for now
	}
	p := r.upstreams[oldest].p
	delete(r.upstreams, oldest)
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	}()
}
