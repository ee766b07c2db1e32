package riptide_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/cookiejar"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/render"
	"github.com/riptide-go/riptide/render/chromium"
)

// tenantSite is one local host for every tenant. /set?who=X sets the
// cookie tenant=X (by Set-Cookie and by script); every page shows the
// Cookie header it received and, in a browser, document.cookie. The server
// also remembers the Cookie header of each request by its ?as= label.
type tenantSite struct {
	*relServer
	mu   sync.Mutex
	seen map[string][]string // ?as= label -> Cookie headers received
}

func newTenantSite(t *testing.T) *tenantSite {
	ts := &tenantSite{seen: map[string][]string{}}
	ts.relServer = newRelServer(t, func(w http.ResponseWriter, r *http.Request) {
		ck := r.Header.Get("Cookie")
		if as := r.URL.Query().Get("as"); as != "" {
			ts.mu.Lock()
			ts.seen[as] = append(ts.seen[as], ck)
			ts.mu.Unlock()
		}
		setJS := ""
		if who := r.URL.Query().Get("who"); r.URL.Path == "/set" && who != "" {
			http.SetCookie(w, &http.Cookie{Name: "tenant", Value: who, Path: "/", MaxAge: 3600})
			setJS = fmt.Sprintf(`document.cookie = "js_tenant=%s; path=/; max-age=3600";`, who)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Tenant page</title></head><body><article><h1>Tenant page</h1>
<p id=h>header=[%s]</p>
<p>The tide tables of this harbour list the high and low waters of every day, and the pilots read them before each departure from the quay.</p>
<p>Spring tides follow the new and the full moon; neap tides fall between them, when the range between high and low water is smallest.</p>
</article><script>%s document.body.insertAdjacentHTML("beforeend", "<p id=js>js=[" + document.cookie + "]</p>");</script></body></html>`,
			html.EscapeString(ck), setJS)
	})
	return ts
}

func (ts *tenantSite) cookies(as string) []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.seen[as]...)
}

// TestReliabilityTenantIsolationHTTP: two Clients on the same host never
// see each other's cookies. The Client gives its built-in fetcher no
// cookie jar at all (cookies are never kept), so the tenants here bring
// their own fetcher with their own jar, which is how a host keeps
// sessions today.
func TestReliabilityTenantIsolationHTTP(t *testing.T) {
	site := newTenantSite(t)
	ctx := context.Background()
	tenant := func(jar bool) *riptide.Client {
		opts := []riptide.Option{riptide.AllowPrivateNetworks(), riptide.WithIgnoreRobots()}
		if jar {
			j, err := cookiejar.New(nil)
			require.NoError(t, err)
			f, err := fetch.New(fetch.Config{AllowPrivateNetworks: true, IgnoreRobots: true, Jar: j})
			require.NoError(t, err)
			t.Cleanup(func() { _ = f.Close() })
			opts = append(opts, riptide.WithFetcher(f))
		}
		c, err := riptide.New(opts...)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}

	t.Run("own jars", func(t *testing.T) {
		a, b := tenant(true), tenant(true)
		_, err := a.Extract(ctx, site.URL+"/set?who=alpha&as=a-set")
		require.NoError(t, err)
		_, err = b.Extract(ctx, site.URL+"/set?who=beta&as=b-set")
		require.NoError(t, err)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, err := a.Extract(ctx, fmt.Sprintf("%s/page/%d?as=a", site.URL, i))
				assert.NoError(t, err)
			})
			wg.Go(func() {
				_, err := b.Extract(ctx, fmt.Sprintf("%s/page/%d?as=b", site.URL, i))
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		require.Len(t, site.cookies("a"), 8)
		require.Len(t, site.cookies("b"), 8)
		for _, ck := range site.cookies("a") {
			assert.Equal(t, "tenant=alpha", ck, "tenant a sends its own cookie, only")
		}
		for _, ck := range site.cookies("b") {
			assert.Equal(t, "tenant=beta", ck, "tenant b sends its own cookie, only")
		}
	})

	t.Run("default clients", func(t *testing.T) {
		a, b := tenant(false), tenant(false)
		_, err := a.Extract(ctx, site.URL+"/set?who=gamma&as=c-set")
		require.NoError(t, err)
		_, err = a.Extract(ctx, site.URL+"/again?as=c")
		require.NoError(t, err)
		_, err = b.Extract(ctx, site.URL+"/other?as=d")
		require.NoError(t, err)
		// Today a default Client keeps no cookies; with a jar of its own
		// it would send its cookie back. Either way, never the other's.
		require.Len(t, site.cookies("c"), 1)
		assert.Contains(t, []string{"", "tenant=gamma"}, site.cookies("c")[0])
		assert.Equal(t, []string{""}, site.cookies("d"), "another Client never sends tenant a's cookie")
	})
}

// TestReliabilityTenantIsolationBrowser: with real Chromium, a cookie set
// in one render session (by header or by script) reaches later renders of
// that session only: not another session, not a render without a session,
// and not a session of the same name in another Client.
func TestReliabilityTenantIsolationBrowser(t *testing.T) {
	bin := testenv.ChromePath(t)
	site := newTenantSite(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	newTenant := func() *riptide.Client {
		c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithCacheDir(t.TempDir()),
			riptide.WithChromium(chromium.Config{Bin: bin, MaxBrowsers: 1, TempDir: t.TempDir()}))
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	one, two := newTenant(), newTenant()
	rend := func(c *riptide.Client, session, path string) string {
		t.Helper()
		resp, err := c.Render(ctx, render.Request{URL: site.URL + path, SessionID: session})
		require.NoError(t, err, "render %s in session %q", path, session)
		return resp.HTML
	}

	rend(one, "A", "/set?who=alpha")
	rend(one, "B", "/set?who=beta")
	rend(two, "A", "/set?who=omega") // same session name, other Client

	got := map[string]string{
		"one/A":       rend(one, "A", "/check"),
		"one/B":       rend(one, "B", "/check"),
		"one/none":    rend(one, "", "/check"),
		"two/A":       rend(two, "A", "/check"),
		"two/C (new)": rend(two, "C", "/check"),
	}
	want := map[string]string{"one/A": "alpha", "one/B": "beta", "one/none": "", "two/A": "omega", "two/C (new)": ""}
	for name, page := range got {
		w := want[name]
		if w != "" {
			assert.Contains(t, page, "header=[tenant="+w+"; js_tenant="+w+"]", "%s keeps its own cookies", name)
			assert.Contains(t, page, "js=[tenant="+w+"; js_tenant="+w+"]", name)
		} else {
			assert.Contains(t, page, "header=[]", "%s starts without cookies", name)
			assert.Contains(t, page, "js=[]", name)
		}
		for _, other := range []string{"alpha", "beta", "omega"} {
			if other != w {
				assert.NotContains(t, page, other, "%s sees another tenant's cookie", name)
			}
		}
	}

	// Concurrent renders of the two sessions of one Client stay apart.
	var wg sync.WaitGroup
	for i := range 4 {
		for _, s := range []struct{ session, who, other string }{{"A", "alpha", "beta"}, {"B", "beta", "alpha"}} {
			wg.Go(func() {
				resp, err := one.Render(ctx, render.Request{URL: fmt.Sprintf("%s/c/%d", site.URL, i), SessionID: s.session})
				if !assert.NoError(t, err) {
					return
				}
				assert.Contains(t, resp.HTML, "header=[tenant="+s.who+"; js_tenant="+s.who+"]")
				assert.NotContains(t, resp.HTML, s.other, "only its own cookie")
			})
		}
	}
	wg.Wait()
}
