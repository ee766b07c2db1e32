package chromium

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/render"
)

// cookieSite sets a cookie named after ?set= and echoes the Cookie header
// it received.
func cookieSite(t *testing.T) *httptest.Server {
	s := site(t, map[string]any{
		"/": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if v := r.URL.Query().Get("set"); v != "" {
				http.SetCookie(w, &http.Cookie{Name: "who", Value: v, Path: "/", MaxAge: 3600})
			}
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<!doctype html><p id=c>cookie=[%s]</p><script>
if (new URLSearchParams(location.search).get('set')) localStorage.setItem('who', new URLSearchParams(location.search).get('set'));
if (new URLSearchParams(location.search).get('big')) localStorage.setItem('big', 'x'.repeat(1200000));
document.body.insertAdjacentHTML('beforeend', '<p id=ls>ls=[' + (localStorage.getItem('who') || '') + ']</p>');
document.body.insertAdjacentHTML('beforeend', '<p id=big>big=[' + (localStorage.getItem('big') || '').length + ']</p>');
</script>`, r.Header.Get("Cookie"))
		}),
	})
	return s
}

func TestSessionIsolation(t *testing.T) {
	srv := cookieSite(t)
	base := srv.URL
	cfg := Config{}
	db, err := store.Open(filepath.Join(t.TempDir(), "riptide.db"), store.Options{})
	require.NoError(t, err)
	defer db.Close()
	cfg.Store = db
	r2 := newTestRenderer(t, cfg, srv)
	ctx := context.Background()

	_, err = r2.Render(ctx, &render.Request{URL: base + "/?set=alice", SessionID: "A"})
	require.NoError(t, err)
	_, err = r2.Render(ctx, &render.Request{URL: base + "/?set=bob", SessionID: "B"})
	require.NoError(t, err)

	a, err := r2.Render(ctx, &render.Request{URL: base + "/", SessionID: "A"})
	require.NoError(t, err)
	assert.Contains(t, a.HTML, "cookie=[who=alice]")
	assert.Contains(t, a.HTML, "ls=[alice]")
	assert.Equal(t, "A", a.SessionID)
	b, err := r2.Render(ctx, &render.Request{URL: base + "/", SessionID: "B"})
	require.NoError(t, err)
	assert.Contains(t, b.HTML, "cookie=[who=bob]")

	// No session, no context handle: no cookie at all.
	for _, iso := range []render.Isolation{render.IsolationDefault, render.IsolationWarmTab, render.IsolationFreshTab} {
		n, err := r2.Render(ctx, &render.Request{URL: base + "/", Isolation: iso})
		require.NoError(t, err)
		assert.Contains(t, n.HTML, "cookie=[]", iso)
	}
	// Two context handles never share cookies.
	c1, err := r2.NewContext(ctx)
	require.NoError(t, err)
	c2, err := r2.NewContext(ctx)
	require.NoError(t, err)
	_, err = c1.Render(ctx, &render.Request{URL: base + "/?set=tenant1"})
	require.NoError(t, err)
	x, err := c2.Render(ctx, &render.Request{URL: base + "/"})
	require.NoError(t, err)
	assert.Contains(t, x.HTML, "cookie=[]")
	require.NoError(t, c1.Close(ctx))
	require.NoError(t, c2.Close(ctx))

	ids := r2.ListSessions()
	require.Len(t, ids, 2)
	assert.Equal(t, "A", ids[0].ID)

	// Closing a session persists its cookies; a new session with the same
	// id starts with them restored.
	require.NoError(t, r2.CloseSession(ctx, "A"))
	assert.ErrorIs(t, r2.CloseSession(ctx, "A"), render.ErrSessionNotFound)
	a2, err := r2.Render(ctx, &render.Request{URL: base + "/", SessionID: "A"})
	require.NoError(t, err)
	assert.Contains(t, a2.HTML, "cookie=[who=alice]")
	assert.Contains(t, a2.HTML, "ls=[alice]", "localStorage is restored with the session")
	cross := 0
	if strings.Contains(b.HTML, "alice") || strings.Contains(a.HTML, "bob") || strings.Contains(x.HTML, "tenant1") {
		cross++
	}
	testenv.Figure(t, "tenant_isolation", "cross_tenant_hits", cross)
}

// TestSessionStoragePersists: a session's localStorage outlives its browser
// context and the renderer (through the store), follows the page's own
// later writes, stays with its session, and goes with DeleteSession.
func TestSessionStoragePersists(t *testing.T) {
	srv := cookieSite(t)
	base := srv.URL
	db, err := store.Open(filepath.Join(t.TempDir(), "riptide.db"), store.Options{})
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()

	r1 := newTestRenderer(t, Config{Store: db}, srv)
	_, err = r1.Render(ctx, &render.Request{URL: base + "/?set=alice", SessionID: "S"})
	require.NoError(t, err)
	_, err = r1.Render(ctx, &render.Request{URL: base + "/?set=carol", SessionID: "S"})
	require.NoError(t, err)
	require.NoError(t, r1.Close(ctx))

	// A new renderer on the same store: the latest value comes back, once
	// per context, and the page's own writes win afterwards.
	r2 := newTestRenderer(t, Config{Store: db}, srv)
	got, err := r2.Render(ctx, &render.Request{URL: base + "/", SessionID: "S"})
	require.NoError(t, err)
	assert.Contains(t, got.HTML, "ls=[carol]")
	_, err = r2.Render(ctx, &render.Request{URL: base + "/?set=dave", SessionID: "S"})
	require.NoError(t, err)
	got, err = r2.Render(ctx, &render.Request{URL: base + "/", SessionID: "S"})
	require.NoError(t, err)
	assert.Contains(t, got.HTML, "ls=[dave]")

	other, err := r2.Render(ctx, &render.Request{URL: base + "/", SessionID: "T"})
	require.NoError(t, err)
	assert.Contains(t, other.HTML, "ls=[]", "another session sees nothing")

	// A store past the cap is not persisted (the last one that fitted is
	// kept), and the render still succeeds.
	big, err := r2.Render(ctx, &render.Request{URL: base + "/?big=1", SessionID: "S"})
	require.NoError(t, err)
	assert.Contains(t, big.HTML, "big=[1200000]")
	require.NoError(t, r2.CloseSession(ctx, "S"))
	back, err := r2.Render(ctx, &render.Request{URL: base + "/", SessionID: "S"})
	require.NoError(t, err)
	assert.Contains(t, back.HTML, "big=[0]")
	assert.Contains(t, back.HTML, "ls=[dave]")

	require.NoError(t, r2.DeleteSession(ctx, "S"))
	gone, err := r2.Render(ctx, &render.Request{URL: base + "/", SessionID: "S"})
	require.NoError(t, err)
	assert.Contains(t, gone.HTML, "ls=[]", "DeleteSession removes the saved storage")
}

func TestStorageOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080/a?b": "http://127.0.0.1:8080",
		"https://Example.COM:443/x": "https://example.com",
		"http://example.com:80/":    "http://example.com",
		"https://example.com:8443/": "https://example.com:8443",
		"http://[::1]:9000/":        "http://[::1]:9000",
		"not a url":                 "",
		"data:text/html,<p>x</p>":   "",
	} {
		assert.Equal(t, want, storageOrigin(in), in)
	}
}
