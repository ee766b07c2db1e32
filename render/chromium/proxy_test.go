package chromium

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/render"
)

// TestRequestProxy: a request's own proxy carries its page (and only its
// page), behind the same destination checks; combinations that would
// share a browser context are refused.
func TestRequestProxy(t *testing.T) {
	srv := site(t, map[string]any{"/": `<!doctype html><p id=x>through the proxy</p><img src="/pixel">`})
	host := strings.TrimPrefix(srv.URL, "http://")
	direct := site(t, map[string]any{"/": `<!doctype html><p>direct</p>`})
	up := testenv.NewProxy(t, "user", "pw")
	// A request's proxy is input: it must pass the guard like a page.
	r := newTestRenderer(t, Config{AllowHostPorts: []string{up.Addr()}}, srv, direct)
	ctx := context.Background()

	sentinel := testenv.NewSentinel(t, "")
	_, _ = r.Render(ctx, &render.Request{URL: srv.URL + "/", Proxy: "http://" + sentinel.Addr(), Timeouts: render.Timeouts{Total: 5 * time.Second}})
	_, _ = r.Render(ctx, &render.Request{URL: srv.URL + "/", Proxy: "socks5://" + sentinel.Addr(), Timeouts: render.Timeouts{Total: 5 * time.Second}})
	assert.Zero(t, sentinel.Hits(), "a request's proxy on a private address is never dialled")

	resp, err := r.Render(ctx, &render.Request{URL: srv.URL + "/", Proxy: up.URL()})
	require.NoError(t, err)
	assert.Contains(t, resp.HTML, "through the proxy")
	assert.Contains(t, up.Destinations(), host, "the page went through the request's proxy")

	resp, err = r.Render(ctx, &render.Request{URL: direct.URL + "/"})
	require.NoError(t, err)
	assert.Contains(t, resp.HTML, "direct")
	assert.NotContains(t, up.Destinations(), strings.TrimPrefix(direct.URL, "http://"), "a render without Proxy does not use it")

	// The destination check still comes first: a private address that is
	// not allowed never reaches the upstream.
	_, _ = r.Render(ctx, &render.Request{URL: "http://10.255.255.1/", Proxy: up.URL(), Timeouts: render.Timeouts{Total: 3 * time.Second}})
	for _, s := range up.Destinations() {
		assert.NotContains(t, s, "10.255.255.1")
	}

	// An upstream that is not there: the render ends (on the error page
	// or with an error) within its budget, and leaves nothing behind.
	start := time.Now()
	_, _ = r.Render(ctx, &render.Request{URL: srv.URL + "/", Proxy: "http://user:pw@127.0.0.1:1", Timeouts: render.Timeouts{Total: 5 * time.Second}})
	assert.Less(t, time.Since(start), 10*time.Second)

	for name, req := range map[string]*render.Request{
		"session":    {URL: srv.URL, Proxy: up.URL(), SessionID: "s"},
		"warm tab":   {URL: srv.URL, Proxy: up.URL(), Isolation: render.IsolationWarmTab},
		"fresh tab":  {URL: srv.URL, Proxy: up.URL(), Isolation: render.IsolationFreshTab},
		"bad scheme": {URL: srv.URL, Proxy: "ftp://p:21"},
		"not a url":  {URL: srv.URL, Proxy: "p:3128"},
	} {
		_, err := r.Render(ctx, req)
		assert.ErrorIs(t, err, render.ErrInvalidRequest, name)
		assert.NotContains(t, err.Error(), "pw", "%s: credentials in the error", name)
	}
	c, err := r.NewContext(ctx)
	require.NoError(t, err)
	_, err = c.Render(ctx, &render.Request{URL: srv.URL, Proxy: up.URL()})
	assert.ErrorIs(t, err, render.ErrInvalidRequest)
	require.NoError(t, c.Close(ctx))
}

// TestRendererProxy: Config.Proxy carries every render, warm tabs and
// sessions included.
func TestRendererProxy(t *testing.T) {
	srv := site(t, map[string]any{"/": `<!doctype html><p>renderer-wide proxy</p>`})
	host := strings.TrimPrefix(srv.URL, "http://")
	up := testenv.NewProxy(t, "user", "pw")
	r := newTestRenderer(t, Config{Proxy: up.URL()}, srv)
	ctx := context.Background()
	for _, req := range []*render.Request{
		{URL: srv.URL + "/"},
		{URL: srv.URL + "/?warm", Isolation: render.IsolationWarmTab},
		{URL: srv.URL + "/?session", SessionID: "a"},
	} {
		resp, err := r.Render(ctx, req)
		require.NoError(t, err, req.URL)
		assert.Contains(t, resp.HTML, "renderer-wide proxy")
	}
	assert.GreaterOrEqual(t, len(up.Destinations()), 3)
	for _, s := range up.Destinations() {
		assert.Equal(t, host, s)
	}

	_, err := New(Config{Proxy: "gopher://p"})
	assert.Error(t, err)
	u, _ := url.Parse(up.URL())
	assert.NotEmpty(t, u.User)
}
