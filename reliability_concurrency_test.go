package riptide_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/render"
	"github.com/riptide-go/riptide/render/chromium"
)

// relShell is a JavaScript shell: the auto engine must render it.
const relShell = `<!doctype html><html><head><title>Buoys</title></head><body><div id="root"></div>
<noscript>You need to enable JavaScript to run this app.</noscript>
<script>
var root = document.getElementById("root");
for (var i = 0; i < 4; i++) {
  var p = document.createElement("p");
  p.textContent = "Rendered reading " + i + ": the buoy off the north strand reports a wave height of one metre and a water temperature of fourteen degrees.";
  root.appendChild(p);
}
</script></body></html>`

// TestReliabilityConcurrentEngines runs 64 goroutines on one Client,
// mixing the static, WASM, auto (escalating JavaScript shells) and
// headless engines, ExtractHTML and Health, against four hosts, under the
// race detector in CI. The fetcher's requests in flight never exceed the
// per-host limit on any host, nor the global limit across them.
func TestReliabilityConcurrentEngines(t *testing.T) {
	t.Run("fake renderer", func(t *testing.T) {
		fake := render.Func(func(ctx context.Context, req *render.Request) (*render.Response, error) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(2 * time.Millisecond):
			}
			html := strings.Replace(relShell, `<div id="root"></div>`, `<div id="root"><p>Rendered reading: the buoy off the north strand reports a wave height of one metre and a water temperature of fourteen degrees.</p><p>A second rendered paragraph keeps the extractor content with the page.</p></div>`, 1)
			return &render.Response{URL: req.URL, FinalURL: req.URL, Status: 200, HTML: html}, nil
		})
		iters := 3
		if testing.Short() || raceEnabled {
			iters = 1
		}
		runConcurrentEngines(t, riptide.WithRenderer(fake), 8, iters, true)
	})
	t.Run("chromium", func(t *testing.T) {
		bin := testenv.ChromePath(t)
		// The WASM engine runs in the first subtest already; compiling it
		// again under the race detector costs half a minute.
		runConcurrentEngines(t, riptide.WithChromium(chromium.Config{Bin: bin, MaxBrowsers: 1, TempDir: t.TempDir()}), 16, 1, !raceEnabled)
	})
}

// runConcurrentEngines runs the mix; two goroutines in renderEvery use a
// browser engine, one in three of the others the WASM engine when wasm is
// set; each goroutine makes iters calls.
func runConcurrentEngines(t *testing.T, renderer riptide.Option, renderEvery, iters int, wasm bool) {
	const (
		goroutines = 64
		perHost    = 2
		global     = 6
	)
	// Requests of the fetcher (not the browser's) in flight, across hosts
	// and per host, and their peaks.
	var inflight, peak atomic.Int64
	var hostInflight, hostPeak [4]atomic.Int64
	raise := func(cur, pk *atomic.Int64) func() {
		n := cur.Add(1)
		for p := pk.Load(); n > p && !pk.CompareAndSwap(p, n); p = pk.Load() {
		}
		return func() { cur.Add(-1) }
	}
	handler := func(w http.ResponseWriter, r *http.Request, h int) {
		if strings.HasPrefix(r.UserAgent(), "riptide") {
			defer raise(&inflight, &peak)()
			defer raise(&hostInflight[h], &hostPeak[h])()
		}
		switch {
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
			return
		case strings.HasPrefix(r.URL.Path, "/shell"):
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, relShell)
			return
		}
		time.Sleep(3 * time.Millisecond)
		relArticle(w, "Harbour "+r.URL.Path)
	}
	hosts := make([]*relServer, 4)
	for i := range hosts {
		hosts[i] = newRelServer(t, func(w http.ResponseWriter, r *http.Request) { handler(w, r, i) })
	}
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithPerHostLimit(perHost, 0), riptide.WithConcurrency(global),
		riptide.WithResultCache(32, time.Minute), renderer)
	require.NoError(t, err)
	defer func() { assert.NoError(t, c.Close()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	type role struct {
		name   string
		engine riptide.Engine
		path   string
		want   riptide.Engine
	}
	roleOf := func(i int) role {
		switch i % renderEvery {
		case renderEvery - 2:
			return role{"auto", riptide.EngineAuto, "/shell", riptide.EngineHeadless}
		case renderEvery - 1:
			return role{"headless", riptide.EngineHeadless, "/shell", riptide.EngineHeadless}
		}
		if wasm && i%3 == 0 {
			return role{"wasm", riptide.EngineWASM, "/article", riptide.EngineWASM}
		}
		return role{"static", riptide.EngineStatic, "/article", riptide.EngineStatic}
	}
	var mu sync.Mutex
	byRole := map[string]int{}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ro := roleOf(g)
			for i := range iters {
				host := hosts[(g+i)%len(hosts)]
				u := fmt.Sprintf("%s%s/%d/%d", host.URL, ro.path, g, i)
				res, err := c.Extract(ctx, u, riptide.WithRequestEngine(ro.engine))
				if !assert.NoError(t, err, "%s %s", ro.name, u) {
					continue
				}
				assert.Equal(t, ro.want, res.Engine, "%s %s (%s)", ro.name, u, res.EngineReason)
				assert.NotEmpty(t, res.Document.Text)
				if i == 0 {
					_, err := c.ExtractHTML(ctx, u, []byte("<p>Given HTML, extracted while others fetch.</p>"))
					assert.NoError(t, err)
					_ = c.Health(ctx)
				}
				mu.Lock()
				byRole[ro.name]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("calls by engine: %v; global peak %d", byRole, peak.Load())
	want := []string{"static", "auto", "headless"}
	if wasm {
		want = append(want, "wasm")
	}
	for _, name := range want {
		assert.Positive(t, byRole[name], "the mix ran %s calls", name)
	}
	assert.LessOrEqual(t, peak.Load(), int64(global), "global limit exceeded")
	reached := false
	for i, h := range hosts {
		assert.LessOrEqual(t, hostPeak[i].Load(), int64(perHost), "per-host limit exceeded on %s", h.URL)
		reached = reached || hostPeak[i].Load() == perHost
	}
	assert.True(t, reached, "the load reached the per-host limit somewhere, so the check could fail")
}
