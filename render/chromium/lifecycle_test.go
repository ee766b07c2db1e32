package chromium

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/render"
)

func pids(r *Renderer) []int {
	var out []int
	for _, b := range r.Stats().Browsers {
		if !b.Draining {
			out = append(out, b.PID)
		}
	}
	return out
}

func TestRecycleAfterRenders(t *testing.T) {
	s := site(t, map[string]any{"/": `<p id=ok>ok</p>`})
	r := newTestRenderer(t, Config{MaxRendersPerBrowser: 2}, s)
	ctx := context.Background()
	seen := map[int]bool{}
	for i := 0; i < 5; i++ {
		_, err := r.Render(ctx, &render.Request{URL: s.URL + "/", Isolation: render.IsolationFreshTab})
		require.NoError(t, err)
		for _, p := range pids(r) {
			seen[p] = true
		}
	}
	assert.GreaterOrEqual(t, len(seen), 2, "browsers are recycled after MaxRendersPerBrowser renders")
	assert.LessOrEqual(t, len(r.Stats().Browsers), 3)
}

func TestRecycleOnRSS(t *testing.T) {
	s := site(t, map[string]any{"/": `<p id=ok>ok</p>`})
	r := newTestRenderer(t, Config{MaxBrowserRSS: 1, HealthInterval: 100 * time.Millisecond}, s)
	_, err := r.Render(context.Background(), &render.Request{URL: s.URL + "/"})
	require.NoError(t, err)
	seen := map[int]bool{}
	require.Eventually(t, func() bool {
		for _, b := range r.Stats().Browsers {
			seen[b.PID] = true
		}
		return len(seen) >= 2
	}, 15*time.Second, 20*time.Millisecond, "a browser over MaxBrowserRSS is replaced")
}

func TestCrashReplacedInBackground(t *testing.T) {
	s := site(t, map[string]any{"/": `<p id=ok>ok</p>`})
	r := newTestRenderer(t, Config{HealthInterval: 200 * time.Millisecond}, s)
	_, err := r.Render(context.Background(), &render.Request{URL: s.URL + "/"})
	require.NoError(t, err)
	first := pids(r)
	require.Len(t, first, 1)
	require.NoError(t, syscall.Kill(first[0], syscall.SIGKILL))
	// No render needed: the warm browser comes back on its own.
	require.Eventually(t, func() bool {
		p := pids(r)
		return len(p) == 1 && p[0] != first[0]
	}, 15*time.Second, 50*time.Millisecond)
	resp, err := r.Render(context.Background(), &render.Request{URL: s.URL + "/"})
	require.NoError(t, err)
	assert.Contains(t, resp.HTML, `id="ok"`)
	assert.Equal(t, uint64(1), r.Stats().Pool.Broken)
}

func TestSessionExpiry(t *testing.T) {
	s := site(t, map[string]any{"/": `<p id=ok>ok</p>`})
	r := newTestRenderer(t, Config{HealthInterval: 100 * time.Millisecond, SessionIdleTimeout: 300 * time.Millisecond}, s)
	_, err := r.Render(context.Background(), &render.Request{URL: s.URL + "/", SessionID: "s1"})
	require.NoError(t, err)
	require.Len(t, r.ListSessions(), 1)
	require.Eventually(t, func() bool { return len(r.ListSessions()) == 0 }, 10*time.Second, 50*time.Millisecond)
	assert.ErrorIs(t, r.CloseSession(context.Background(), "s1"), render.ErrSessionNotFound)
}
