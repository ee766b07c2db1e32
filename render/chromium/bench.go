package chromium

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riptide-go/riptide/render"
)

// BenchConfig configures [Bench]. The zero value means the defaults.
type BenchConfig struct {
	// Bin is the Chromium binary (default: LookPath).
	Bin string
	// Pages is the number of pages per throughput and warm run (default 50).
	Pages int
	// Concurrency is the number of concurrent renders in throughput runs
	// (default 4).
	Concurrency int
	// ColdRuns is the number of cold renders (launch, navigate, HTML,
	// close) measured (default 5).
	ColdRuns int
	// TempDir holds the browsers' profile directories (default os.TempDir).
	TempDir string
}

// BenchResult holds the figures of one [Bench] run. Durations are
// latencies of one render; rates are pages per second.
type BenchResult struct {
	Pages, Concurrency int
	// Cold: new renderer, launch, navigate, wait for the page's content,
	// HTML, close.
	ColdP50, ColdP95 time.Duration
	// Warm: sequential renders through one Context (warm tab reuse).
	WarmP50, WarmP95 time.Duration
	// PagesPerSec: Concurrency workers through one Context (warm tabs).
	PagesPerSec float64
	// NaivePagesPerSec: a new tab per request, closed after.
	NaivePagesPerSec float64
	// BrowserPerRequestPagesPerSec: a new browser per request.
	BrowserPerRequestPagesPerSec float64
	// RSS of the browser process tree: idle (one warm browser, no page)
	// and the peak sampled during the pooled throughput run.
	IdleRSS, PeakRSS int64
	// PSS (shared pages counted once) idle and at the end of the pooled
	// run.
	IdlePSS, LoadPSS int64
}

// Speedup is pooled throughput over naive throughput.
func (r BenchResult) Speedup() float64 {
	if r.NaivePagesPerSec == 0 {
		return 0
	}
	return r.PagesPerSec / r.NaivePagesPerSec
}

// String reports the figures; its last line is machine-readable:
// cold_p50_ms=A warm_p50_ms=B pages_per_s=C naive_pages_per_s=D speedup=E.
func (r BenchResult) String() string {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var b strings.Builder
	fmt.Fprintf(&b, "render bench: %d pages, concurrency %d (local script-built pages)\n", r.Pages, r.Concurrency)
	fmt.Fprintf(&b, "cold render (launch+navigate+html+close): p50 %.0f ms, p95 %.0f ms\n", ms(r.ColdP50), ms(r.ColdP95))
	fmt.Fprintf(&b, "warm pooled render (reused tab): p50 %.1f ms, p95 %.1f ms\n", ms(r.WarmP50), ms(r.WarmP95))
	fmt.Fprintf(&b, "throughput: pooled %.1f pages/s, new tab per request %.1f pages/s, browser per request %.2f pages/s\n",
		r.PagesPerSec, r.NaivePagesPerSec, r.BrowserPerRequestPagesPerSec)
	fmt.Fprintf(&b, "browser memory (process tree): RSS sum idle %d MiB, peak under load %d MiB; PSS idle %d MiB, under load %d MiB\n",
		r.IdleRSS>>20, r.PeakRSS>>20, r.IdlePSS>>20, r.LoadPSS>>20)
	fmt.Fprintf(&b, "cold_p50_ms=%.0f warm_p50_ms=%.1f pages_per_s=%.1f naive_pages_per_s=%.1f speedup=%.2f",
		ms(r.ColdP50), ms(r.WarmP50), r.PagesPerSec, r.NaivePagesPerSec, r.Speedup())
	return b.String()
}

// benchPage is built by script: 200 paragraphs inserted at
// DOMContentLoaded, a forced layout, then a fetch whose answer adds #done.
const benchPage = `<!doctype html><html><head><title>bench</title></head><body><main id=root></main>
<script>
document.addEventListener('DOMContentLoaded', () => {
  const root = document.getElementById('root');
  for (let i = 0; i < 200; i++) {
    const p = document.createElement('p');
    p.innerHTML = 'Paragraph <b>' + i + '</b> of a script-built page with <a href="/p' + i + '">a link</a>.';
    root.appendChild(p);
  }
  void root.offsetHeight;
  fetch('/api').then(r => r.json()).then(j => {
    const d = document.createElement('div'); d.id = 'done'; d.textContent = j.msg; document.body.appendChild(d);
  });
});
</script></body></html>`

// benchServer serves the bench pages on a loopback port until ctx ends.
type benchServer struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

func startBenchServer() (*benchServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"msg":"loaded"}`))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(benchPage))
	})
	s := &benchServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln: ln, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

func (s *benchServer) url(i int) string { return fmt.Sprintf("http://%s/page/%d", s.ln.Addr(), i) }

func (s *benchServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done
}

func benchRequest(u string, iso render.Isolation) *render.Request {
	return &render.Request{URL: u, Isolation: iso, Actions: []render.Action{render.WaitCSS("#done")},
		Timeouts: render.Timeouts{Total: 30 * time.Second}}
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(int(q*float64(len(s))), len(s)-1)]
}

// Bench measures rendering on this machine with local, script-built
// pages: cold and warm latency, pooled versus naive throughput, and the
// browsers' memory. It launches and closes its own renderers and takes
// roughly 10-30 s. Run it on a quiet machine: figures from a loaded one
// vary by 1.5x or more.
func Bench(ctx context.Context, cfg BenchConfig) (BenchResult, error) {
	if cfg.Pages <= 0 {
		cfg.Pages = 50
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.ColdRuns <= 0 {
		cfg.ColdRuns = 5
	}
	res := BenchResult{Pages: cfg.Pages, Concurrency: cfg.Concurrency}
	srv, err := startBenchServer()
	if err != nil {
		return res, err
	}
	defer srv.close()
	rcfg := Config{Bin: cfg.Bin, TempDir: cfg.TempDir, AllowHostPorts: []string{srv.ln.Addr().String()},
		MaxBrowsers: 1, TabsPerBrowser: cfg.Concurrency + 1, WarmTabs: cfg.Concurrency}

	// Cold.
	var cold []time.Duration
	for i := 0; i < cfg.ColdRuns; i++ {
		d, err := benchCold(ctx, rcfg, srv.url(i))
		if err != nil {
			return res, fmt.Errorf("cold render: %w", err)
		}
		cold = append(cold, d)
	}
	res.ColdP50, res.ColdP95 = quantile(cold, 0.5), quantile(cold, 0.95)

	r, err := New(rcfg)
	if err != nil {
		return res, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		_ = r.Close(cctx)
	}()
	c, err := r.NewContext(ctx)
	if err != nil {
		return res, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	// Warm up: start the renderer process and fill the warm tabs.
	if err := benchRun(ctx, c.Render, srv, cfg.Concurrency, cfg.Concurrency*2, render.IsolationWarmTab, nil); err != nil {
		return res, err
	}
	res.IdleRSS, res.IdlePSS = r.rss(), r.pss()

	// Warm, sequential.
	var warm []time.Duration
	for i := 0; i < cfg.Pages; i++ {
		st := time.Now()
		if _, err := c.Render(ctx, benchRequest(srv.url(i), render.IsolationWarmTab)); err != nil {
			return res, fmt.Errorf("warm render: %w", err)
		}
		warm = append(warm, time.Since(st))
	}
	res.WarmP50, res.WarmP95 = quantile(warm, 0.5), quantile(warm, 0.95)

	// Pooled throughput with RSS sampling.
	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if v := r.rss(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	})
	st := time.Now()
	err = benchRun(ctx, c.Render, srv, cfg.Concurrency, cfg.Pages, render.IsolationWarmTab, nil)
	res.PagesPerSec = float64(cfg.Pages) / time.Since(st).Seconds()
	res.LoadPSS = r.pss()
	close(stop)
	wg.Wait()
	res.PeakRSS = peak.Load()
	if err != nil {
		return res, fmt.Errorf("pooled run: %w", err)
	}

	// Naive: a new tab per request.
	st = time.Now()
	if err := benchRun(ctx, c.Render, srv, cfg.Concurrency, cfg.Pages, render.IsolationFreshTab, nil); err != nil {
		return res, fmt.Errorf("naive run: %w", err)
	}
	res.NaivePagesPerSec = float64(cfg.Pages) / time.Since(st).Seconds()

	// A browser per request (few pages: each costs a launch).
	n := min(cfg.Pages, cfg.Concurrency)
	st = time.Now()
	err = benchRun(ctx, func(ctx context.Context, req *render.Request) (*render.Response, error) {
		d, err := benchCold(ctx, rcfg, req.URL)
		_ = d
		return nil, err
	}, srv, cfg.Concurrency, n, render.IsolationDefault, nil)
	if err != nil {
		return res, fmt.Errorf("browser-per-request run: %w", err)
	}
	res.BrowserPerRequestPagesPerSec = float64(n) / time.Since(st).Seconds()
	return res, nil
}

// benchCold renders u with a new renderer and closes it.
func benchCold(ctx context.Context, cfg Config, u string) (time.Duration, error) {
	st := time.Now()
	r, err := New(cfg)
	if err != nil {
		return 0, err
	}
	_, rerr := r.Render(ctx, benchRequest(u, render.IsolationWarmTab))
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	cerr := r.Close(cctx)
	return time.Since(st), errors.Join(rerr, cerr)
}

// benchRun renders n pages with conc workers.
func benchRun(ctx context.Context, fn render.Func, srv *benchServer, conc, n int, iso render.Isolation, lat *[]time.Duration) error {
	var next atomic.Int64
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				st := time.Now()
				resp, err := fn(ctx, benchRequest(srv.url(i), iso))
				if err == nil && resp != nil && !strings.Contains(resp.HTML, `id="done"`) {
					err = errors.New("page content missing")
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else if lat != nil {
					*lat = append(*lat, time.Since(st))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// pss sums the proportional memory of all running browsers' trees.
func (r *Renderer) pss() int64 {
	r.mu.Lock()
	active := slices.Clone(r.active)
	r.mu.Unlock()
	var sum int64
	for _, b := range active {
		sum += treePSS(b.pid)
	}
	return sum
}

// rss sums the resident memory of all running browsers' process trees.
func (r *Renderer) rss() int64 {
	r.mu.Lock()
	active := slices.Clone(r.active)
	r.mu.Unlock()
	var sum int64
	for _, b := range active {
		sum += b.rss()
	}
	return sum
}
