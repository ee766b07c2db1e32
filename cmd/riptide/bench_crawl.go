package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/httpapi"
	"github.com/riptide-go/riptide/riptidetest"
	"github.com/riptide-go/riptide/stream"
)

// crawlBenchRun is one crawl of the generated site.
type crawlBenchRun struct {
	concurrency int
	pages       int
	errors      int
	elapsed     time.Duration
	peakRSS     int64 // bytes, sampled; 0 when unknown
}

func (r crawlBenchRun) pagesPerSecond() float64 {
	return float64(r.pages) / max(r.elapsed.Seconds(), 1e-9)
}

// runBenchCrawl is "riptide bench crawl": it crawls a local generated site
// with the static engine, samples the process's RSS during the crawl and
// measures the time to the first NDJSON event over a real HTTP connection.
// The last line of its output is
//
//	pages=N pages_per_s=P peak_rss_mb=M ttfb_ms=T
//
// for the run at --concurrency.
func runBenchCrawl(ctx context.Context, e env, args []string) int {
	fs := flag.NewFlagSet("bench crawl", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	pages := fs.Int("pages", 2000, "generated pages on the local site (all are crawled)")
	concurrency := fs.Int("concurrency", 8, "pages in flight, and the per-host limit")
	sweep := fs.Bool("sweep", false, "also run at concurrency 1, 4 and 16")
	ttfbRuns := fs.Int("ttfb-runs", 20, "NDJSON requests timed for the time to first byte")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) > 0 || *pages <= 0 || *concurrency <= 0 || *ttfbRuns <= 0 {
		fmt.Fprintln(e.stderr, "usage: riptide bench crawl [--pages N] [--concurrency C] [--sweep] [--ttfb-runs N]")
		return exitUsage
	}
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(*pages))
	defer site.Close()

	levels := []int{*concurrency}
	if *sweep {
		levels = append(levels, 1, 4, 16)
		slices.Sort(levels)
		levels = slices.Compact(levels)
	}
	var runs []crawlBenchRun
	var main crawlBenchRun
	for _, c := range levels {
		r, err := benchCrawlOnce(ctx, site, *pages, c)
		if err != nil {
			return exitCode(e, err)
		}
		runs = append(runs, r)
		if c == *concurrency {
			main = r
		}
	}
	ttfb, err := benchTTFB(ctx, site, *concurrency, *ttfbRuns)
	if err != nil {
		return exitCode(e, err)
	}
	slices.Sort(ttfb)
	median := ttfb[len(ttfb)/2]
	p95 := ttfb[min(len(ttfb)-1, len(ttfb)*95/100)]

	fmt.Fprintf(e.stdout, "crawl of a local site of %d generated pages, static engine, NDJSON to io.Discard (%s, %d CPUs)\n",
		*pages, runtime.Version(), runtime.NumCPU())
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "concurrency\tpages\terrors\tseconds\tpages/s\tpeak RSS MB\t")
	for _, r := range runs {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.2f\t%.0f\t%s\t\n", r.concurrency, r.pages, r.errors, r.elapsed.Seconds(),
			r.pagesPerSecond(), mb(r.peakRSS))
	}
	if err := tw.Flush(); err != nil {
		return exitInternal
	}
	fmt.Fprintf(e.stdout, "ttfb (request sent to start event read, POST /crawl, NDJSON): median %.2f ms, p95 %.2f ms over %d requests\n",
		ms(median), ms(p95), len(ttfb))
	fmt.Fprintf(e.stdout, "pages=%d pages_per_s=%.1f peak_rss_mb=%s ttfb_ms=%.2f\n",
		main.pages, main.pagesPerSecond(), mb(main.peakRSS), ms(median))
	return exitOK
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mb(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64)
}

// benchClient is a Client for the local site with concurrency pages in
// flight per host.
func benchClient(concurrency int) (*riptide.Client, error) {
	return riptide.New(riptide.AllowPrivateNetworks(), riptide.WithPerHostLimit(concurrency, 0),
		riptide.WithConcurrency(max(concurrency, 64)))
}

// benchCrawlRequest crawls every generated page of site from /gen/0.html.
func benchCrawlRequest(site *riptidetest.Site, pages, concurrency int) riptide.CrawlRequest {
	return riptide.CrawlRequest{
		URLs:        []string{site.URL("/gen/0.html")},
		Engine:      riptide.EngineStatic,
		Follow:      riptide.ScopeSameHost,
		Include:     []string{`/gen/`},
		MaxDepth:    1 << 10,
		MaxPages:    pages,
		Concurrency: concurrency,
	}
}

func benchCrawlOnce(ctx context.Context, site *riptidetest.Site, pages, concurrency int) (crawlBenchRun, error) {
	run := crawlBenchRun{concurrency: concurrency}
	c, err := benchClient(concurrency)
	if err != nil {
		return run, err
	}
	defer c.Close()
	runtime.GC()
	debug.FreeOSMemory()

	sctx, stopSampling := context.WithCancel(ctx)
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		run.peakRSS = samplePeakRSS(sctx, 20*time.Millisecond)
	}()

	start := time.Now()
	events := riptide.Events(ctx, c.Crawl(ctx, benchCrawlRequest(site, pages, concurrency)), "crawl")
	counted := func(yield func(stream.Event) bool) {
		for ev := range events {
			switch ev.Type {
			case stream.TypeResult:
				run.pages++
			case stream.TypeError:
				run.errors++
			}
			if !yield(ev) {
				return
			}
		}
	}
	err = stream.NDJSON(ctx, io.Discard, counted)
	run.elapsed = time.Since(start)
	stopSampling()
	sampler.Wait()
	if err != nil {
		return run, err
	}
	return run, nil
}

// samplePeakRSS reads the resident set size every interval until ctx ends
// and returns the highest value seen (0 where /proc is missing).
func samplePeakRSS(ctx context.Context, interval time.Duration) int64 {
	peak := readRSS()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return max(peak, readRSS())
		case <-t.C:
			peak = max(peak, readRSS())
		}
	}
}

// readRSS returns VmRSS from /proc/self/status, in bytes.
func readRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				n, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return n << 10
				}
			}
		}
	}
	return 0
}

// benchTTFB serves the HTTP API on 127.0.0.1 and times, runs times, from
// sending a POST /crawl to reading the stream's first line (the start
// event), over a kept-alive connection.
func benchTTFB(ctx context.Context, site *riptidetest.Site, concurrency, runs int) ([]time.Duration, error) {
	c, err := benchClient(concurrency)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: httpapi.New(c, httpapi.Options{}), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		_ = srv.Close()
		<-served
	}()

	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	body := fmt.Sprintf(`{"urls":[%q],"follow":"same_host","include":["/gen/"],"max_pages":20,"max_depth":8}`, site.URL("/gen/0.html"))
	out := make([]time.Duration, 0, runs)
	for range runs {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+ln.Addr().String()+"/crawl",
			bytes.NewReader([]byte(body)))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		br := bufio.NewReader(resp.Body)
		line, err := br.ReadBytes('\n')
		d := time.Since(start)
		_, _ = io.Copy(io.Discard, br)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(line, []byte(`"type":"start"`)) {
			return nil, errors.New("ttfb: unexpected answer " + resp.Status + ": " + string(line))
		}
		out = append(out, d)
	}
	return out, nil
}
