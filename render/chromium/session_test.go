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
document.body.insertAdjacentHTML('beforeend', '<p id=ls>ls=[' + (localStorage.getItem('who') || '') + ']</p>');
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
	cross := 0
	if strings.Contains(b.HTML, "alice") || strings.Contains(a.HTML, "bob") || strings.Contains(x.HTML, "tenant1") {
		cross++
	}
	testenv.Figure(t, "tenant_isolation", "cross_tenant_hits", cross)
}
