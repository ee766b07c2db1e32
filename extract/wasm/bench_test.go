package wasm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm"
	"github.com/riptide-go/riptide/internal/extractbench"
	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/wasmcache"
)

// page is one page of the article benchmark.
type page struct {
	id   string
	html []byte
}

var benchPages struct {
	once  sync.Once
	pages []page
	err   error
}

// loadPages returns every page of the benchmark set, sorted by id.
func loadPages(t testing.TB) []page {
	t.Helper()
	dir := testenv.BenchDir(t)
	benchPages.once.Do(func() {
		pages, err := extractbench.LoadPages(dir)
		benchPages.err = err
		for _, p := range pages {
			benchPages.pages = append(benchPages.pages, page{id: p.ID, html: p.HTML})
		}
	})
	if benchPages.err != nil {
		t.Fatal(benchPages.err)
	}
	if len(benchPages.pages) == 0 {
		t.Fatalf("no pages in %s/html", dir)
	}
	return benchPages.pages
}

func totalBytes(pages []page) int64 {
	var n int64
	for _, p := range pages {
		n += int64(len(p.html))
	}
	return n
}

// benchDocs extracts the benchmark pages in turn with e, one goroutine.
func benchDocs(b *testing.B, e extract.Extractor) {
	pages := loadPages(b)
	ctx := context.Background()
	b.SetBytes(totalBytes(pages) / int64(len(pages)))
	b.ResetTimer()
	start := time.Now()
	i := 0
	for b.Loop() {
		p := pages[i%len(pages)]
		i++
		if _, err := e.Extract(ctx, extract.Input{URL: "https://example.com/" + p.id, HTML: p.html}); err != nil {
			b.Fatalf("%s: %v", p.id, err)
		}
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "docs/s")
}

// benchRatio extracts each page natively, then with e, and reports the
// mean time of each and their ratio. Interleaved, both see the machine in
// the same state: a slower minute slows both, where separate runs drift
// apart by several percent.
func benchRatio(b *testing.B, e extract.Extractor) {
	pages := loadPages(b)
	ctx := context.Background()
	var native extract.Native
	var tn, tw time.Duration
	i := 0
	for b.Loop() {
		p := pages[i%len(pages)]
		i++
		in := extract.Input{URL: "https://example.com/" + p.id, HTML: p.html}
		t0 := time.Now()
		if _, err := native.Extract(ctx, in); err != nil {
			b.Fatalf("%s: %v", p.id, err)
		}
		t1 := time.Now()
		if _, err := e.Extract(ctx, in); err != nil {
			b.Fatalf("%s: %v", p.id, err)
		}
		tn, tw = tn+t1.Sub(t0), tw+time.Since(t1)
	}
	b.ReportMetric(float64(tn.Microseconds())/1e3/float64(i), "native-ms/doc")
	b.ReportMetric(float64(tw.Microseconds())/1e3/float64(i), "wasm-ms/doc")
	b.ReportMetric(float64(tw)/float64(tn), "wasm/native")
}

// BenchmarkExtract compares the native engine with the WASM engine on the
// article benchmark, one document at a time on one goroutine: pooled
// instances, and a fresh instance per document.
func BenchmarkExtract(b *testing.B) {
	ctx := context.Background()
	b.Run("native", func(b *testing.B) { benchDocs(b, &extract.Native{}) })
	b.Run("wasm-pooled", func(b *testing.B) { benchDocs(b, defaultEngine(b)) })
	b.Run("wasm-vs-native", func(b *testing.B) { benchRatio(b, defaultEngine(b)) })
	// The cost of being interruptible: the same guest without the
	// rewrite, run as given and under wazero's own checks.
	for _, v := range []struct {
		name string
		opt  wasm.Option
	}{
		{"wasm-pooled-uninterruptible", wasm.WithInterrupt(false)},
		{"wasm-pooled-wazero-checks", wasm.WithWazeroChecks()},
	} {
		b.Run(v.name, func(b *testing.B) {
			e, err := wasm.New(ctx, wasm.Module(rawDefaultModule(b)), v.opt, wasm.WithPool(1, 1), wasm.WithCache(benchCache(b)), wasm.WithTimeout(time.Minute))
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close(ctx)
			benchDocs(b, e)
		})
	}
	b.Run("wasm-per-call", func(b *testing.B) {
		e, err := wasm.New(ctx, wasm.WithInstancePerCall(1), wasm.WithCache(benchCache(b)))
		if err != nil {
			b.Fatal(err)
		}
		defer e.Close(ctx)
		benchDocs(b, e)
	})
	for _, r := range []struct {
		name string
		docs int
		mem  int64
	}{
		{"wasm-recycle-50-docs", 50, 0},
		{"wasm-recycle-64MiB", 0, 64 << 20},
	} {
		b.Run(r.name, func(b *testing.B) {
			e, err := wasm.New(ctx, wasm.WithPool(1, 1), wasm.WithRecycle(r.docs, r.mem), wasm.WithCache(benchCache(b)))
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close(ctx)
			benchDocs(b, e)
			s := e.Stats()
			b.ReportMetric(float64(s.Recycled)/float64(max(s.Extractions, 1))*1000, "recycled/kdoc")
		})
	}
}

// BenchmarkThroughput runs documents on every core (GOMAXPROCS goroutines).
func BenchmarkThroughput(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, e extract.Extractor) {
		pages := loadPages(b)
		start := time.Now()
		var mu sync.Mutex
		n := 0
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				p := pages[i%len(pages)]
				i++
				if _, err := e.Extract(ctx, extract.Input{HTML: p.html}); err != nil {
					b.Error(err)
					return
				}
			}
			mu.Lock()
			n += i
			mu.Unlock()
		})
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "docs/s")
	}
	b.Run("native", func(b *testing.B) { run(b, &extract.Native{}) })
	b.Run("wasm-pooled", func(b *testing.B) { run(b, defaultEngine(b)) })
	b.Run("wasm-per-call", func(b *testing.B) {
		e, err := wasm.New(ctx, wasm.WithInstancePerCall(0), wasm.WithCache(benchCache(b)))
		if err != nil {
			b.Fatal(err)
		}
		defer e.Close(ctx)
		run(b, e)
	})
}

// loadChildEnv makes the test binary a fresh process that loads the
// default module through the cache in the directory it names, and prints
// what it measured as JSON.
const loadChildEnv = "RIPTIDE_WASM_LOAD_CHILD"

type loadReport struct {
	CompileNanos int64 `json:"compile_ns"` // cache.Compile: verified load or compile
	EngineNanos  int64 `json:"engine_ns"`  // wasm.New: compile + first instance + info
	Hit          bool  `json:"hit"`
}

func loadChild(dir string) int {
	ctx := context.Background()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, err); return 1 }
	start := time.Now()
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	c, err := wasmcache.Open(filepath.Join(dir, "wasm"), db, wasmcache.Options{})
	if err != nil {
		return fail(err)
	}
	mod := wasm.DefaultModule() // a copy, made before the clock starts
	t0 := time.Now()
	// Compiled exactly as wasm.New compiles the default module, so the
	// Engine below loads the same entry.
	m, err := c.Compile(ctx, mod, wasm.DefaultCompileOptions())
	if err != nil {
		return fail(err)
	}
	compile := time.Since(t0)
	_ = m.Close(ctx)
	e, err := wasm.New(ctx, wasm.WithCache(c), wasm.WithPool(1, 1))
	if err != nil {
		return fail(err)
	}
	_ = e.Close(ctx)
	_ = start
	r := loadReport{CompileNanos: int64(compile), Hit: m.Hit()}
	// Engine load measured separately: a second wasm.New is a hit too.
	t1 := time.Now()
	e, err = wasm.New(ctx, wasm.WithCache(c), wasm.WithPool(1, 1))
	if err != nil {
		return fail(err)
	}
	r.EngineNanos = int64(time.Since(t1))
	_ = e.Close(ctx)
	return enc(r)
}

func enc(r loadReport) int {
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return 1
	}
	return 0
}

// runLoadChild runs one new process against dir and returns its report
// and the process's wall time.
func runLoadChild(tb testing.TB, dir string) (loadReport, time.Duration) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), loadChildEnv+"="+dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		tb.Fatalf("load child: %v: %s", err, errb.String())
	}
	wall := time.Since(start)
	var r loadReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		tb.Fatalf("load child output %q: %v", out.String(), err)
	}
	return r, wall
}

// BenchmarkLoadNewProcess measures, in new processes, a cold compile of the
// default module (empty cache) and a warm load (the cache filled), and
// reports the warm/cold ratio.
func BenchmarkLoadNewProcess(b *testing.B) {
	dir := b.TempDir()
	require0700(b, filepath.Join(dir, "wasm"))
	cold, _ := runLoadChild(b, dir)
	if cold.Hit {
		b.Fatal("first load was a hit")
	}
	var warm, engine, wall time.Duration
	minWarm := time.Duration(1<<63 - 1)
	var loads []time.Duration
	n := 0
	for b.Loop() {
		r, w := runLoadChild(b, dir)
		if !r.Hit {
			b.Fatal("warm load was a miss")
		}
		minWarm = min(minWarm, time.Duration(r.CompileNanos))
		loads = append(loads, time.Duration(r.CompileNanos))
		warm += time.Duration(r.CompileNanos)
		engine += time.Duration(r.EngineNanos)
		wall += w
		n++
	}
	b.ReportMetric(float64(cold.CompileNanos)/1e6, "cold-compile-ms")
	b.ReportMetric(float64(warm)/float64(n)/1e6, "warm-load-ms")
	// The minimum is the least disturbed by other load on the machine.
	b.ReportMetric(float64(minWarm)/1e6, "warm-load-min-ms")
	slices.Sort(loads)
	b.ReportMetric(float64(loads[len(loads)/2])/1e6, "warm-load-p50-ms")
	b.ReportMetric(float64(engine)/float64(n)/1e6, "warm-engine-ms")
	b.ReportMetric(float64(wall)/float64(n)/1e6, "process-wall-ms")
	b.ReportMetric(100*float64(warm)/float64(n)/float64(cold.CompileNanos), "warm/cold-%")
}

func require0700(tb testing.TB, dir string) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
}

// benchCompiled shares compiled code between the benchmarks' engines, so
// each configuration after the first loads from disk instead of compiling.
var benchCompiled struct {
	once  sync.Once
	dir   string
	cache *wasmcache.Cache
	err   error
}

func benchCache(tb testing.TB) *wasmcache.Cache {
	tb.Helper()
	benchCompiled.once.Do(func() {
		if benchCompiled.dir, benchCompiled.err = os.MkdirTemp("", "riptide-wasm-bench"); benchCompiled.err != nil {
			return
		}
		benchCompiled.cache, benchCompiled.err = wasmcache.Open(filepath.Join(benchCompiled.dir, "wasm"), nil, wasmcache.Options{})
	})
	if benchCompiled.err != nil {
		tb.Fatal(benchCompiled.err)
	}
	return benchCompiled.cache
}

var rawDefault struct {
	once sync.Once
	b    []byte
	err  error
}

// rawDefaultModule builds the default guest without the interruption
// rewrite (gen_default.go -raw), once per test binary.
func rawDefaultModule(tb testing.TB) []byte {
	tb.Helper()
	rawDefault.once.Do(func() {
		dir, err := os.MkdirTemp("", "riptide-raw-guest")
		if err != nil {
			rawDefault.err = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "raw.wasm")
		if msg, err := exec.Command("go", "run", "gen_default.go", "-raw", "-o", out).CombinedOutput(); err != nil {
			rawDefault.err = fmt.Errorf("build the raw default guest: %v\n%s", err, msg)
			return
		}
		rawDefault.b, rawDefault.err = os.ReadFile(out)
	})
	if rawDefault.err != nil {
		tb.Skip(rawDefault.err)
	}
	return rawDefault.b
}
