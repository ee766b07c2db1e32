package riptide_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/render"
	"github.com/riptide-go/riptide/render/chromium"
	"github.com/riptide-go/riptide/riptidetest"
	"github.com/riptide-go/riptide/timeout"
)

const shellPage = `<!doctype html><html><head><title>App</title></head><body><div id="root"></div><script src="/app.js"></script></body></html>`

func TestAutoEscalatesJSShellAndRemembers(t *testing.T) {
	f := &riptidetest.Fetcher{}
	r := &riptidetest.Renderer{}
	article := `<html><head><title>Rendered</title></head><body><article><p>` +
		"This text only exists once scripts have run, and it is long enough to be the main content of the page. " +
		`</p></article></body></html>`
	for _, u := range []string{"https://app.example.org/a", "https://app.example.org/b"} {
		f.SetPage(u, shellPage)
		r.SetPage(u, article)
	}
	c := newClient(t, riptide.WithFetcher(f), riptide.WithRenderer(r), riptide.WithEngine(riptide.EngineAuto))

	res, err := c.Extract(context.Background(), "https://app.example.org/a")
	require.NoError(t, err)
	assert.Equal(t, riptide.EngineHeadless, res.Engine)
	assert.Equal(t, "js_shell:empty_mount_node", res.EngineReason)
	assert.Contains(t, res.Document.Text, "only exists once scripts have run")

	// The domain's decision is reused: the next page is rendered without a
	// static fetch first...
	riptide.SetAutoRecheck(c, func() bool { return false })
	fetchesBefore := len(f.Calls())
	res, err = c.Extract(context.Background(), "https://app.example.org/b")
	require.NoError(t, err)
	assert.Equal(t, riptide.EngineHeadless, res.Engine)
	assert.Equal(t, "domain_decision", res.EngineReason)
	assert.Equal(t, fetchesBefore, len(f.Calls()), "no static fetch for a decided domain")

	// ...except for the share re-checked, which is fetched static again
	// (and, still a shell, rendered).
	riptide.SetAutoRecheck(c, func() bool { return true })
	res, err = c.Extract(context.Background(), "https://app.example.org/b")
	require.NoError(t, err)
	assert.Equal(t, riptide.EngineHeadless, res.Engine)
	assert.Equal(t, "js_shell:empty_mount_node", res.EngineReason)
	assert.Equal(t, fetchesBefore+1, len(f.Calls()), "a re-check fetches static first")
}

func TestAutoStaysStaticForArticles(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	r := &riptidetest.Renderer{}
	c := newClient(t, riptide.WithRenderer(r))
	res, err := c.Extract(context.Background(), site.URL("/articles/tide-tables.html"), riptide.WithRequestEngine(riptide.EngineAuto))
	require.NoError(t, err)
	assert.Equal(t, riptide.EngineStatic, res.Engine)
	assert.Equal(t, "auto_static", res.EngineReason)
	assert.Empty(t, r.Calls())
}

func TestActionsNeedABrowserEngine(t *testing.T) {
	c := newClient(t, riptide.WithFetcher(&riptidetest.Fetcher{}))
	_, err := c.Extract(context.Background(), "https://example.org/", riptide.WithActions(render.WaitCSS("#x")))
	assert.ErrorIs(t, err, riptide.ErrValidation)
}

func TestRetriesRetryableAnswers(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		if n.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body><article><p>Second time lucky: the page answered on the second attempt.</p></article></body></html>"))
	}))
	defer srv.Close()
	c := newClient(t)
	res, err := c.Extract(context.Background(), srv.URL+"/page")
	require.NoError(t, err)
	assert.Equal(t, 2, res.Attempts)

	c0 := newClient(t, riptide.WithRetries(0))
	n.Store(0)
	_, err = c0.Extract(context.Background(), srv.URL+"/page")
	assert.ErrorIs(t, err, riptide.ErrFetch)
}

func TestAdaptiveTimeoutsPersist(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	dir := t.TempDir()
	cfg := timeout.AdaptiveConfig{MinSamples: 3, Min: time.Second, Max: 5 * time.Second}
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithCacheDir(dir), riptide.WithAdaptiveTimeouts(cfg))
	require.NoError(t, err)
	for range 5 {
		_, err := c.Extract(context.Background(), site.URL("/articles/rip-currents.html"))
		require.NoError(t, err)
	}
	require.NoError(t, c.Close())

	c2, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithCacheDir(dir), riptide.WithAdaptiveTimeouts(cfg))
	require.NoError(t, err)
	defer c2.Close()
	st := c2.TimeoutProfiles()
	require.NotEmpty(t, st, "profiles learned by the first Client are loaded from the store")
	assert.GreaterOrEqual(t, st[0].Samples, 3)
	assert.FileExists(t, filepath.Join(dir, "riptide.db"))
}

func TestWASMEngineMatchesNative(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	c := newClient(t, riptide.WithCacheDir(t.TempDir()))
	native, err := c.Extract(context.Background(), site.URL("/articles/rip-currents.html"))
	require.NoError(t, err)
	res, err := c.Extract(context.Background(), site.URL("/articles/rip-currents.html"), riptide.WithRequestEngine(riptide.EngineWASM))
	require.NoError(t, err)
	assert.Equal(t, riptide.EngineWASM, res.Engine)
	assert.Equal(t, native.Document.Text, res.Document.Text)
	assert.Equal(t, native.Document.Title, res.Document.Title)
}

func TestHeadlessEngineRendersScripts(t *testing.T) {
	bin := testenv.ChromePath(t)
	site := riptidetest.NewSite()
	defer site.Close()
	c := newClient(t, riptide.WithChromium(chromium.Config{Bin: bin}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	static, err := c.Extract(ctx, site.URL("/js/app.html"))
	require.NoError(t, err)
	assert.NotContains(t, static.Document.Text, "North Strand")

	res, err := c.Extract(ctx, site.URL("/js/app.html"), riptide.WithRequestEngine(riptide.EngineHeadless))
	require.NoError(t, err)
	assert.Equal(t, riptide.EngineHeadless, res.Engine)
	assert.Contains(t, res.Document.Text, "North Strand")

	auto, err := c.Extract(ctx, site.URL("/js/app.html"), riptide.WithRequestEngine(riptide.EngineAuto))
	require.NoError(t, err)
	assert.Equal(t, riptide.EngineHeadless, auto.Engine)
	assert.Contains(t, auto.Document.Text, "North Strand")

	resp, err := c.Render(ctx, render.Request{URL: site.URL("/js/app.html"), Actions: []render.Action{render.WaitCSS("#done")}})
	require.NoError(t, err)
	assert.Contains(t, resp.HTML, `id="done"`)
	require.Len(t, resp.Actions, 1)
	assert.True(t, resp.Actions[0].OK)
}

// TestProxyCarriesFetchesAndRenders: WithProxy sends the fetcher's
// requests and the browser's traffic through the same proxy.
func TestProxyCarriesFetchesAndRenders(t *testing.T) {
	bin := testenv.ChromePath(t)
	site := riptidetest.NewSite()
	defer site.Close()
	proxy := testenv.NewProxy(t, "user", "pw")
	c := newClient(t, riptide.WithProxy(proxy.URL()), riptide.WithChromium(chromium.Config{Bin: bin, MaxBrowsers: 1, TempDir: t.TempDir()}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	host := strings.TrimPrefix(site.URL("/"), "http://")
	host = strings.TrimSuffix(host, "/")

	_, err := c.Extract(ctx, site.URL("/articles/tide-tables.html"))
	require.NoError(t, err)
	fetched := len(proxy.Destinations())
	assert.Positive(t, fetched, "the fetch went through the proxy")

	res, err := c.Extract(ctx, site.URL("/js/app.html"), riptide.WithRequestEngine(riptide.EngineHeadless))
	require.NoError(t, err)
	assert.Contains(t, res.Document.Text, "North Strand")
	assert.Greater(t, len(proxy.Destinations()), fetched, "the render went through the proxy")
	for _, d := range proxy.Destinations() {
		assert.Equal(t, host, d)
	}
}

func TestRenderRefusesPrivateByDefault(t *testing.T) {
	c, err := riptide.New(riptide.WithRenderer(&riptidetest.Renderer{}))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Render(context.Background(), render.Request{URL: "http://127.0.0.1:9/"})
	assert.ErrorIs(t, err, riptide.ErrBlocked)
	_, err = c.Render(context.Background(), render.Request{URL: "http://2130706433/"})
	assert.ErrorIs(t, err, riptide.ErrBlocked)
}

var _ extract.Extractor = (*riptidetest.Extractor)(nil)

func TestCookieJarOption(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		if _, err := r.Cookie("visit"); err != nil {
			http.SetCookie(w, &http.Cookie{Name: "visit", Value: "1", Path: "/"})
			_, _ = w.Write([]byte("<html><body><article><p>First visit to this page, no cookie was sent by the client.</p></article></body></html>"))
			return
		}
		_, _ = w.Write([]byte("<html><body><article><p>Welcome back, the client sent the cookie set on its first visit.</p></article></body></html>"))
	}))
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	withJar := newClient(t, riptide.WithCookieJar(jar))
	without := newClient(t)
	for range 2 {
		_, err := withJar.Extract(context.Background(), srv.URL+"/")
		require.NoError(t, err)
	}
	res, err := withJar.Extract(context.Background(), srv.URL+"/")
	require.NoError(t, err)
	assert.Contains(t, res.Document.Text, "Welcome back")
	res, err = without.Extract(context.Background(), srv.URL+"/")
	require.NoError(t, err)
	assert.Contains(t, res.Document.Text, "First visit", "another Client never sees the jar's cookies")
}

func TestPDFRendersAreCapped(t *testing.T) {
	var inflight, peak atomic.Int32
	r := &riptidetest.Renderer{RenderFn: func(ctx context.Context, req *render.Request) (*render.Response, error) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		return &render.Response{URL: req.URL, FinalURL: req.URL, Status: 200, PDF: []byte("%PDF")}, nil
	}}
	c, err := riptide.New(riptide.WithRenderer(r))
	require.NoError(t, err)
	defer c.Close()
	done := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := c.Render(context.Background(), render.Request{URL: "https://example.org/", PDF: true})
			done <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-done)
	}
	assert.LessOrEqual(t, peak.Load(), int32(2), "at most two PDF jobs at once")
	assert.Equal(t, int32(2), peak.Load(), "the cap is reached, so the check means something")
}
