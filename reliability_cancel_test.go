package riptide_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/render"
	"github.com/riptide-go/riptide/render/chromium"
)

// slowArticle writes an article in chunks with short pauses, so that a
// cancellation can land before the headers, in the body or after it.
func slowArticle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("ETag", `"v1"`)
	fl, _ := w.(http.Flusher)
	fmt.Fprintf(w, "<!doctype html><html><head><title>Page %s</title></head><body><article><h1>Page %s</h1>", r.URL.Path, r.URL.Path)
	for i := range 4 {
		if fl != nil {
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(time.Duration(rand.IntN(1500)) * time.Microsecond):
		}
		fmt.Fprintf(w, "<p>Part %d: the tide turns every six hours and the currents along the coast follow it, strong at mid-tide and slack at the turn, and swimmers learn to read them.</p>", i)
	}
	fmt.Fprint(w, "</article></body></html>")
}

// cancelPoint picks when to cancel a call that takes about d: log-uniform
// between 20 µs and 1.5 d, so the first steps of a call (admission, cache
// lookup, dial) are hit as often as the later, longer ones, and some calls
// complete.
func cancelPoint(d time.Duration) time.Duration {
	lo, hi := math.Log(float64(20*time.Microsecond)), math.Log(float64(d)*1.5)
	if hi <= lo {
		return d
	}
	return time.Duration(math.Exp(lo + rand.Float64()*(hi-lo)))
}

// closeWithin closes c and reports whether Close returned within d. A
// bbolt transaction left open makes the store's Close wait for it, so a
// Close that hangs is how a leaked transaction shows.
func closeWithin(t *testing.T, c *riptide.Client, d time.Duration) bool {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		assert.NoError(t, err)
		return true
	case <-time.After(d):
		return false
	}
}

// storeReleased reopens the Client's store file: its lock must have been
// released and the file must be sound.
func storeReleased(t *testing.T, dir string) bool {
	t.Helper()
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{LockTimeout: 2 * time.Second})
	if err != nil {
		t.Errorf("store not released: %v", err)
		return false
	}
	defer db.Close()
	return assert.Empty(t, db.Quarantined(), "the file was damaged") && assert.NoError(t, db.Check(context.Background()))
}

// TestReliabilityCancelExtract cancels Extract at random points (before
// the fetch, while headers or body arrive, during extraction, around the
// result cache's bbolt transactions) with the static and the WASM engine,
// then checks that nothing is left: no goroutine, no server connection,
// no limiter slot (the Client still serves as many requests per host as
// before), no bbolt transaction (Close returns; the file reopens).
func TestReliabilityCancelExtract(t *testing.T) {
	for _, tc := range []struct {
		path   string
		engine riptide.Engine
		runs   int
		race   int // runs under the race detector
	}{
		{"extract", riptide.EngineStatic, 200, 200},
		// A cancelled WASM call discards its instance; making a new one
		// under the race detector takes a few hundred milliseconds.
		{"extract_wasm", riptide.EngineWASM, 200, 60},
	} {
		t.Run(tc.path, func(t *testing.T) {
			runs := tc.runs
			switch {
			case testing.Short():
				runs = 30
			case raceEnabled:
				runs = tc.race
			}
			srv := newRelServer(t, slowArticle)
			before := goleak.IgnoreCurrent()
			dir := t.TempDir()
			c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithEngine(tc.engine),
				riptide.WithCacheDir(dir), riptide.WithResultCache(16, time.Hour), riptide.WithRetries(0))
			require.NoError(t, err)
			ctx := context.Background()

			// An uncancelled call sizes the window the cancellations fall in
			// (and compiles the WASM module once).
			_, err = c.Extract(ctx, srv.URL+"/warm")
			require.NoError(t, err)
			start := time.Now()
			_, err = c.Extract(ctx, srv.URL+"/warm2")
			require.NoError(t, err)
			window := max(time.Since(start), 2*time.Millisecond)

			completed, canceled := 0, 0
			var stops []time.Duration
			for i := range runs {
				cctx, cancel := context.WithCancel(ctx)
				at := cancelPoint(window)
				var fired time.Time
				var mu sync.Mutex
				timer := time.AfterFunc(at, func() {
					mu.Lock()
					fired = time.Now()
					mu.Unlock()
					cancel()
				})
				// Every third URL repeats, so cache hits and revalidations
				// are cancelled too.
				u := srv.URL + "/p/" + strconv.Itoa(i-i%3)
				res, err := c.Extract(cctx, u)
				returned := time.Now()
				timer.Stop()
				cancel()
				switch {
				case err == nil:
					require.NotNil(t, res)
					completed++
				default:
					require.ErrorIs(t, err, context.Canceled, "run %d: a cancelled call fails with a cancellation", i)
					require.ErrorIs(t, err, riptide.ErrCanceled)
					canceled++
					mu.Lock()
					if !fired.IsZero() {
						stops = append(stops, returned.Sub(fired))
					}
					mu.Unlock()
				}
			}
			t.Logf("%d runs: %d completed, %d cancelled (window %s)", runs, completed, canceled, window)
			assert.Positive(t, canceled, "some runs were cancelled")

			// No limiter or admission slot was lost: more calls than the
			// per-host limit run together and all finish.
			var wg sync.WaitGroup
			errs := make(chan error, 6)
			for i := range 6 {
				wg.Go(func() {
					cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
					defer cancel()
					_, err := c.Extract(cctx, srv.URL+"/after/"+strconv.Itoa(i))
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				assert.NoError(t, err, "a slot leaked by a cancelled call blocks later ones")
			}

			leaked := 0
			if !closeWithin(t, c, 20*time.Second) {
				t.Error("Close hangs: a bbolt transaction (or a call) was left open")
				leaked++
			} else if !storeReleased(t, dir) {
				leaked++
			}
			if n := srv.openConns(5 * time.Second); n != 0 {
				t.Errorf("%d connections left open", n)
				leaked += int(n)
			}
			n, err := leakedGoroutines(before)
			if err != nil {
				t.Error(err)
			}
			leaked += n
			slices.Sort(stops)
			var p99 time.Duration
			if len(stops) > 0 {
				p99 = stops[min(len(stops)-1, len(stops)*99/100)]
			}
			testenv.Figure(t, "cancel", "runs", runs, "leaked", leaked, "path", tc.path,
				"canceled", canceled, "completed", completed, "stop_p99_ms", p99.Milliseconds())
			assert.Zero(t, leaked)
			assert.Less(t, p99, 2*time.Second, "a cancelled call returns promptly")
		})
	}
}

// TestReliabilityCancelRender cancels Client.Render at random points of a
// page that loads slow subresources, with real Chromium, then checks that
// no tab is left open (the renderer's own count), that the browser
// processes end with Close, and that no goroutine or connection is left.
func TestReliabilityCancelRender(t *testing.T) {
	bin := testenv.ChromePath(t)
	runs := 40
	if testing.Short() {
		runs = 10
	}
	srv := newRelServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow.js":
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Duration(rand.IntN(150)) * time.Millisecond):
			}
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `document.body.insertAdjacentHTML("beforeend", "<p>late</p>")`)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><title>R</title><body><p>Page %s</p><script src="/slow.js?%s"></script><img src="/slow.js?img%s">`,
				r.URL.Path, r.URL.Path, r.URL.Path)
		}
	})
	tmp := t.TempDir()
	before := goleak.IgnoreCurrent()
	rend, err := chromium.New(chromium.Config{Bin: bin, AllowPrivateNetworks: true, MaxBrowsers: 1, TempDir: tmp})
	require.NoError(t, err)
	dir := t.TempDir()
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithRenderer(rend), riptide.WithCacheDir(dir), riptide.WithRetries(0))
	require.NoError(t, err)
	ctx := context.Background()

	_, err = c.Render(ctx, render.Request{URL: srv.URL + "/warm"})
	require.NoError(t, err, "warm-up render")
	start := time.Now()
	_, err = c.Render(ctx, render.Request{URL: srv.URL + "/warm2"})
	require.NoError(t, err)
	window := time.Since(start)

	openTabs := func() int {
		n := 0
		for _, b := range rend.Stats().Browsers {
			n += b.Tabs
		}
		return n
	}
	canceled := 0
	for i := range runs {
		cctx, cancel := context.WithCancel(ctx)
		timer := time.AfterFunc(cancelPoint(window), cancel)
		_, err := c.Render(cctx, render.Request{URL: srv.URL + "/p/" + strconv.Itoa(i)})
		timer.Stop()
		cancel()
		if err != nil {
			require.True(t, errors.Is(err, context.Canceled), "run %d: %v", i, err)
			canceled++
		}
	}
	assert.Positive(t, canceled)

	leaked := 0
	// A lone render's tab and incognito context are closed in the
	// background after Render returns: wait for that, then count.
	deadline := time.Now().Add(10 * time.Second)
	for openTabs() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if tabs := openTabs(); tabs != 0 {
		t.Errorf("%d tabs left open after the renders returned", tabs)
		leaked += tabs
	}
	t.Logf("%d runs, %d cancelled", runs, canceled)

	if !closeWithin(t, c, 20*time.Second) {
		t.Error("Client.Close hangs")
		leaked++
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	require.NoError(t, rend.Close(cctx))
	cancel()
	if n := processesUsing(tmp); n != 0 {
		t.Errorf("%d browser processes left after Close", n)
		leaked += n
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("profile directories left: %d", len(ents))
	}
	if n := srv.openConns(5 * time.Second); n != 0 {
		t.Errorf("%d connections left open", n)
		leaked += int(n)
	}
	n, err := leakedGoroutines(before)
	if err != nil {
		t.Error(err)
	}
	leaked += n
	testenv.Figure(t, "cancel", "runs", runs, "leaked", leaked, "path", "render", "canceled", canceled)
	assert.Zero(t, leaked)
}
