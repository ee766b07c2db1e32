package chromium

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/render"
)

func hostileSite(t *testing.T) (*Renderer, string) {
	s := site(t, map[string]any{
		"/dialogs": `<!doctype html><p id=p>dialogs</p><script>
alert('a'); confirm('c'); prompt('p');
window.addEventListener('beforeunload', e => { e.preventDefault(); e.returnValue = 'stay'; });
document.getElementById('p').textContent = 'after dialogs';
</script>`,
		"/popups": `<!doctype html><p>popups</p><script>
for (let i = 0; i < 5; i++) window.open('/other?' + i, '_blank');
</script><a id=a target=_blank href="/other">x</a>`,
		"/navaway": `<!doctype html><p id=first>first document</p><script>
window.addEventListener('load', () => { location.href = '/other'; setTimeout(() => { location.href = '/other'; }, 30); });
</script>`,
		"/other": `<!doctype html><p>other document</p>`,
		"/loop":  `<!doctype html><p>loop</p><script>while (true) {}</script>`,
		"/loopafter": `<!doctype html><p id=x>loop after load</p><script>
window.addEventListener('load', () => setTimeout(() => { while (true) {} }, 10));
</script>`,
		"/download": `<!doctype html><a id=d download="x.bin" href="/file">d</a><script>
document.getElementById('d').click();
</script>`,
		"/file": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Disposition", `attachment; filename="evil.bin"`)
			w.Header().Set("Content-Type", "application/octet-stream")
			fmt.Fprint(w, "MZ payload")
		}),
		"/oom": `<!doctype html><p>oom</p><script>
const a = []; while (true) { a.push(new Array(1e6).fill(Math.random())); }
</script>`,
		"/ok": `<!doctype html><p id=ok>ok</p>`,
	})
	return newTestRenderer(t, Config{JSHeapMiB: 128}, s), s.URL
}

func TestHostileDialogs(t *testing.T) {
	r, base := hostileSite(t)
	resp, err := r.Render(context.Background(), &render.Request{URL: base + "/dialogs", Timeouts: render.Timeouts{Total: 10 * time.Second}})
	require.NoError(t, err)
	assert.Contains(t, resp.HTML, "after dialogs")
	assert.GreaterOrEqual(t, len(resp.Warnings), 3, "%v", resp.Warnings)
	// beforeunload must not block the tab from being reused or closed.
	resp, err = r.Render(context.Background(), &render.Request{URL: base + "/ok", Isolation: render.IsolationWarmTab})
	require.NoError(t, err)
	assert.Contains(t, resp.HTML, `id="ok"`)
}

func TestHostilePopups(t *testing.T) {
	r, base := hostileSite(t)
	_, err := r.Render(context.Background(), &render.Request{URL: base + "/popups",
		Actions: []render.Action{render.Click("#a"), render.Script("await new Promise(r => setTimeout(r, 300)); return 1")}})
	require.NoError(t, err)
	// Give the popup closer a moment, then count page targets.
	time.Sleep(300 * time.Millisecond)
	extra := 0
	r.mu.Lock()
	for _, b := range r.active {
		var res struct {
			TargetInfos []struct {
				Type     string `json:"type"`
				OpenerID string `json:"openerId"`
			} `json:"targetInfos"`
		}
		require.NoError(t, b.cn.call(context.Background(), "", "Target.getTargets", nil, &res))
		for _, ti := range res.TargetInfos {
			if ti.Type == "page" && ti.OpenerID != "" {
				extra++
			}
		}
	}
	r.mu.Unlock()
	assert.Equal(t, 0, extra, "popup targets left")
	testenv.Figure(t, "browser_popups", "extra_targets", extra)
}

func TestHostileNavigateAway(t *testing.T) {
	r, base := hostileSite(t)
	resp, err := r.Render(context.Background(), &render.Request{URL: base + "/navaway",
		Actions: []render.Action{render.Script("await new Promise(r => setTimeout(r, 200)); return 1")}})
	require.NoError(t, err)
	assert.Contains(t, resp.HTML, "first document")
	assert.NotContains(t, resp.HTML, "other document")
}

func TestHostileDownloadDenied(t *testing.T) {
	r, base := hostileSite(t)
	_, err := r.Render(context.Background(), &render.Request{URL: base + "/download",
		Actions: []render.Action{render.Script("await new Promise(r => setTimeout(r, 300)); return 1")}})
	require.NoError(t, err)
	// Nothing may be written to the profile or the working directory.
	n := 0
	for _, dir := range []string{r.cfg.TempDir, "."} {
		_ = walkFiles(dir, func(name string) {
			if name == "evil.bin" || name == "x.bin" {
				n++
			}
		})
	}
	assert.Equal(t, 0, n)
	testenv.Figure(t, "browser_downloads", "files", n)
}

func TestHostileInfiniteLoop(t *testing.T) {
	r, base := hostileSite(t)
	for _, p := range []string{"/loop", "/loopafter"} {
		t.Run(p[1:], func(t *testing.T) {
			const capd = 1500 * time.Millisecond
			start := time.Now()
			_, err := r.Render(context.Background(), &render.Request{URL: base + p,
				Timeouts: render.Timeouts{Total: capd},
				Actions:  []render.Action{render.WaitCSS("#never")}})
			over := time.Since(start) - capd
			require.Error(t, err)
			assert.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, render.ErrBrowserCrashed), "%v", err)
			assert.Less(t, over, time.Second)
			testenv.Figure(t, "browser_busy_loop", "page", p, "overrun_ms", over.Milliseconds())
			// The next render works.
			resp, err := r.Render(context.Background(), &render.Request{URL: base + "/ok"})
			require.NoError(t, err)
			assert.Contains(t, resp.HTML, `id="ok"`)
		})
	}
}

func TestHostileOOM(t *testing.T) {
	r, base := hostileSite(t)
	start := time.Now()
	_, err := r.Render(context.Background(), &render.Request{URL: base + "/oom", Timeouts: render.Timeouts{Total: 20 * time.Second}})
	took := time.Since(start)
	require.Error(t, err)
	assert.ErrorIs(t, err, render.ErrBrowserCrashed)
	testenv.Figure(t, "browser_oom", "ms_to_error", took.Milliseconds())
	resp, err := r.Render(context.Background(), &render.Request{URL: base + "/ok"})
	require.NoError(t, err)
	assert.Contains(t, resp.HTML, `id="ok"`)
}

// TestBrowserKill SIGKILLs the browser in the middle of renders, 20 times:
// in-flight renders must fail fast with ErrBrowserCrashed, the next render
// must work, and nothing may be left behind.
func TestBrowserKill(t *testing.T) {
	r, base := hostileSite(t)
	ctx := context.Background()
	_, err := r.Render(ctx, &render.Request{URL: base + "/ok"})
	require.NoError(t, err)
	z0 := zombies()
	const kills = 20
	var worst time.Duration
	for i := 0; i < kills; i++ {
		var wg sync.WaitGroup
		errs := make([]error, 3)
		durs := make([]time.Duration, 3)
		ends := make([]time.Time, 3)
		for j := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				_, errs[j] = r.Render(ctx, &render.Request{URL: base + "/ok", Isolation: render.IsolationWarmTab,
					Actions: []render.Action{render.WaitCSS("#never").WithTimeout(10 * time.Second)}})
				durs[j] = time.Since(start)
				ends[j] = time.Now()
			}()
		}
		// Kill the browser the warm-tab renders run on, once all three
		// have loaded their page and wait in their action.
		var pid int
		require.Eventually(t, func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.shared == nil {
				return false
			}
			r.shared.mu.Lock()
			b := r.shared.b
			r.shared.mu.Unlock()
			if b == nil {
				return false
			}
			loaded := 0
			b.mu.Lock()
			for _, tb := range b.tabs {
				tb.mu.Lock()
				if tb.status == 200 && !tb.navOpen {
					loaded++
				}
				tb.mu.Unlock()
			}
			b.mu.Unlock()
			pid = b.pid
			return loaded >= 3
		}, 10*time.Second, 5*time.Millisecond)
		killedAt := time.Now()
		if pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		wg.Wait()
		for j, err := range errs {
			require.Error(t, err)
			if pid > 0 {
				assert.ErrorIs(t, err, render.ErrBrowserCrashed, "kill %d render %d", i, j)
			}
		}
		for j := range ends {
			if d := ends[j].Sub(killedAt); d > worst {
				worst = d
				t.Logf("kill %d render %d: failed %s after the kill: %v", i, j, d, errs[j])
			}
		}
		resp, err := r.Render(ctx, &render.Request{URL: base + "/ok", Isolation: render.IsolationWarmTab})
		require.NoError(t, err, "render after kill %d", i)
		assert.Contains(t, resp.HTML, `id="ok"`)
	}
	assert.Less(t, worst, 2*time.Second, "in-flight renders must fail fast")
	z := zombies() - z0
	for deadline := time.Now().Add(3 * time.Second); z > 0 && time.Now().Before(deadline); z = zombies() - z0 {
		time.Sleep(50 * time.Millisecond) // a killed process is a zombie until reaped
	}
	testenv.Figure(t, "browser_kill", "count", kills, "zombies", max(z, 0), "fail_ms_max", worst.Milliseconds())
	assert.LessOrEqual(t, z, 0)
}

func walkFiles(dir string, f func(name string)) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			_ = walkFiles(dir+"/"+e.Name(), f)
			continue
		}
		f(e.Name())
	}
	return nil
}

// TestStuckCloseDoesNotBlock renders a page stuck in a loop (its close
// escalates in the background) while other renders check out tabs: their
// latency must not wait for the stuck close.
func TestStuckCloseDoesNotBlock(t *testing.T) {
	r, base := hostileSite(t)
	ctx := context.Background()
	_, err := r.Render(ctx, &render.Request{URL: base + "/ok", Isolation: render.IsolationFreshTab})
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		_, _ = r.Render(ctx, &render.Request{URL: base + "/loop", Isolation: render.IsolationFreshTab,
			Timeouts: render.Timeouts{Total: 300 * time.Millisecond}})
	})
	time.Sleep(350 * time.Millisecond) // the stuck page is being discarded now
	const n = 12
	lat := make([]time.Duration, n)
	for i := 0; i < n; i++ {
		wg.Go(func() {
			st := time.Now()
			_, err := r.Render(ctx, &render.Request{URL: base + "/ok", Isolation: render.IsolationFreshTab})
			lat[i] = time.Since(st)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	p99 := quantile(lat, 0.99)
	testenv.Figure(t, "browser_stuck_close", "checkouts", n, "p99_ms", p99.Milliseconds())
	assert.Less(t, p99, 5*time.Second)
}
