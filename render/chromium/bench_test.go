package chromium

import (
	"context"
	"testing"
	"time"

	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/render"
)

// Benchmarks run under whatever load the machine has; compare figures
// only within one run.

func BenchmarkRenderCold(b *testing.B) {
	bin := testenv.ChromePath(b)
	srv, err := startBenchServer()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.close()
	cfg := Config{Bin: bin, TempDir: b.TempDir(), AllowHostPorts: []string{srv.ln.Addr().String()}}
	var ds []time.Duration
	for i := 0; b.Loop(); i++ {
		d, err := benchCold(context.Background(), cfg, srv.url(i))
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, d)
	}
	b.ReportMetric(float64(quantile(ds, 0.5).Milliseconds()), "p50-ms")
}

func BenchmarkRenderWarm(b *testing.B) {
	bin := testenv.ChromePath(b)
	srv, err := startBenchServer()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.close()
	r, err := New(Config{Bin: bin, TempDir: b.TempDir(), AllowHostPorts: []string{srv.ln.Addr().String()}})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(context.Background())
	c, err := r.NewContext(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(context.Background())
	for i := 0; i < 3; i++ {
		if _, err := c.Render(context.Background(), benchRequest(srv.url(i), render.IsolationWarmTab)); err != nil {
			b.Fatal(err)
		}
	}
	var ds []time.Duration
	for i := 0; b.Loop(); i++ {
		st := time.Now()
		if _, err := c.Render(context.Background(), benchRequest(srv.url(i), render.IsolationWarmTab)); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(st))
	}
	b.ReportMetric(float64(quantile(ds, 0.5).Microseconds())/1000, "p50-ms")
}

// BenchmarkThroughput compares, in one run, 4 concurrent renders through
// warm tabs, a new tab per request and a browser per request; it also
// reports the browser tree's RSS idle and at peak.
func BenchmarkThroughput(b *testing.B) {
	bin := testenv.ChromePath(b)
	for b.Loop() {
		res, err := Bench(context.Background(), BenchConfig{Bin: bin, TempDir: b.TempDir(), Pages: 40, Concurrency: 4, ColdRuns: 3})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.PagesPerSec, "pooled-pages/s")
		b.ReportMetric(res.NaivePagesPerSec, "naive-pages/s")
		b.ReportMetric(res.BrowserPerRequestPagesPerSec, "browser-per-req-pages/s")
		b.ReportMetric(float64(res.WarmP50.Microseconds())/1000, "warm-p50-ms")
		b.ReportMetric(float64(res.ColdP50.Milliseconds()), "cold-p50-ms")
		b.ReportMetric(float64(res.IdleRSS>>20), "idle-rss-MiB")
		b.ReportMetric(float64(res.PeakRSS>>20), "peak-rss-MiB")
		b.ReportMetric(float64(res.IdlePSS>>20), "idle-pss-MiB")
		b.ReportMetric(float64(res.LoadPSS>>20), "load-pss-MiB")
		b.Log("\n" + res.String())
	}
}

func TestBenchSmoke(t *testing.T) {
	bin := testenv.ChromePath(t)
	res, err := Bench(context.Background(), BenchConfig{Bin: bin, TempDir: t.TempDir(), Pages: 6, Concurrency: 2, ColdRuns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + res.String())
	if res.PagesPerSec <= 0 || res.WarmP50 <= 0 || res.ColdP50 <= 0 {
		t.Fatalf("missing figures: %+v", res)
	}
	testenv.Figure(t, "render_bench_smoke", "warm_p50_ms", res.WarmP50.Milliseconds(), "cold_p50_ms", res.ColdP50.Milliseconds())
}
