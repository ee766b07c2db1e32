package riptide_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/riptidetest"
	"github.com/riptide-go/riptide/stream"
)

func collect(t *testing.T, seq func(func(*riptide.Result, error) bool)) (pages []*riptide.Result, errs []error) {
	t.Helper()
	for res, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pages = append(pages, res)
	}
	return pages, errs
}

func TestCrawlWholeSite(t *testing.T) {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(100))
	defer site.Close()
	c := newClient(t, riptide.WithPerHostLimit(8, 0))
	pages, errs := collect(t, c.Crawl(context.Background(), riptide.CrawlRequest{
		URLs: []string{site.URL("/gen/0.html")}, Follow: riptide.ScopeSameHost, MaxDepth: 20, Concurrency: 8,
		Include: []string{`/gen/`},
	}))
	require.Empty(t, errs)
	seen := map[string]int{}
	for _, p := range pages {
		seen[p.URL]++
	}
	assert.Len(t, seen, 100, "every generated page is reached")
	for u, n := range seen {
		assert.Equal(t, 1, n, "page %s crawled once", u)
	}
}

func TestCrawlLimitsAreExact(t *testing.T) {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(200))
	defer site.Close()
	c := newClient(t, riptide.WithPerHostLimit(8, 0))
	t.Run("max pages", func(t *testing.T) {
		pages, errs := collect(t, c.Crawl(context.Background(), riptide.CrawlRequest{
			URLs: []string{site.URL("/gen/0.html")}, Follow: riptide.ScopeSameHost, MaxDepth: 20, MaxPages: 10,
			Include: []string{`/gen/`},
		}))
		require.Empty(t, errs)
		assert.Len(t, pages, 10)
	})
	t.Run("max depth", func(t *testing.T) {
		pages, errs := collect(t, c.Crawl(context.Background(), riptide.CrawlRequest{
			URLs: []string{site.URL("/gen/0.html")}, Follow: riptide.ScopeSameHost, MaxDepth: 2,
			Include: []string{`/gen/`},
		}))
		require.Empty(t, errs)
		var got []string
		for _, p := range pages {
			got = append(got, strings.TrimPrefix(p.URL, site.URL("/gen/")))
			assert.LessOrEqual(t, p.Depth, 2)
		}
		sort.Strings(got)
		assert.Equal(t, []string{"0.html", "1.html", "2.html", "3.html", "4.html", "5.html", "6.html"}, got)
	})
	t.Run("seeds only without follow", func(t *testing.T) {
		pages, errs := collect(t, c.Crawl(context.Background(), riptide.CrawlRequest{
			URLs: []string{site.URL("/gen/0.html"), site.URL("/gen/0.html#dup"), site.URL("/gen/5.html")},
		}))
		require.Empty(t, errs)
		assert.Len(t, pages, 2, "seeds are deduplicated after normalisation")
	})
}

func TestCrawlInputOrder(t *testing.T) {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(30))
	defer site.Close()
	c := newClient(t, riptide.WithPerHostLimit(8, 0))
	var seeds []string
	for i := 29; i >= 0; i-- {
		seeds = append(seeds, site.URL(fmt.Sprintf("/gen/%d.html", i)))
	}
	seeds = append(seeds, site.URL("/slow?ms=300")) // a slow page among fast ones
	seeds[0], seeds[len(seeds)-1] = seeds[len(seeds)-1], seeds[0]
	var got []string
	for res, err := range c.Crawl(context.Background(), riptide.CrawlRequest{URLs: seeds, Order: riptide.OrderInput, ReorderBuffer: 4, Concurrency: 4}) {
		require.NoError(t, err)
		got = append(got, res.URL)
	}
	assert.Equal(t, seeds, got)
}

func TestCrawlRobotsAndNoFollow(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	c := newClient(t)
	pages, errs := collect(t, c.Crawl(context.Background(), riptide.CrawlRequest{
		URLs:         []string{site.URL("/"), site.URL("/private/secret.html")},
		Follow:       riptide.ScopeSameHost,
		MaxDepth:     1,
		ObeyNoFollow: true,
	}))
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], riptide.ErrRobots)
	for _, p := range pages {
		assert.NotContains(t, p.URL, "privacy", "rel=nofollow links are not followed")
	}
	assert.GreaterOrEqual(t, len(pages), 4)
}

func TestCrawlInvalidRequest(t *testing.T) {
	c := newClient(t)
	for name, req := range map[string]riptide.CrawlRequest{
		"no seeds":    {},
		"bad seed":    {URLs: []string{"/relative"}},
		"bad scope":   {URLs: []string{"http://example.org/"}, Follow: "sideways"},
		"bad pattern": {URLs: []string{"http://example.org/"}, Include: []string{"("}},
		"negative":    {URLs: []string{"http://example.org/"}, MaxPages: -1},
		"bad engine":  {URLs: []string{"http://example.org/"}, Engine: "warp"},
	} {
		t.Run(name, func(t *testing.T) {
			_, errs := collect(t, c.Crawl(context.Background(), req))
			require.Len(t, errs, 1)
			assert.ErrorIs(t, errs[0], riptide.ErrValidation)
		})
	}
}

// countingServer serves generated pages and counts open connections and
// requests in flight per host.
type countingServer struct {
	*httptest.Server
	open        atomic.Int64
	inflight    sync.Map // host -> *atomic.Int64
	maxInflight atomic.Int64
}

func newCountingServer(t *testing.T, delay time.Duration) *countingServer {
	cs := &countingServer{}
	cs.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := cs.inflight.LoadOrStore(r.Host, new(atomic.Int64))
		n := v.(*atomic.Int64).Add(1)
		defer v.(*atomic.Int64).Add(-1)
		for {
			m := cs.maxInflight.Load()
			if n <= m || cs.maxInflight.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		var i int
		fmt.Sscanf(r.URL.Path, "/p/%d", &i)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><body><article><p>Page %d has enough words to be an article body for the extractor to keep.</p><a href="/p/%d">next</a> <a href="/p/%d">other</a></article></body></html>`, i, 2*i+1, 2*i+2)
	}))
	cs.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			cs.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			cs.open.Add(-1)
		}
	}
	cs.Start()
	t.Cleanup(cs.Close)
	return cs
}

func TestCrawlPerHostLimit(t *testing.T) {
	cs := newCountingServer(t, 20*time.Millisecond)
	c := newClient(t, riptide.WithPerHostLimit(2, 0))
	pages, errs := collect(t, c.Crawl(context.Background(), riptide.CrawlRequest{
		URLs: []string{cs.URL + "/p/0"}, Follow: riptide.ScopeSameHost, MaxDepth: 10, MaxPages: 40, Concurrency: 16,
	}))
	require.Empty(t, errs)
	assert.Len(t, pages, 40)
	assert.LessOrEqual(t, cs.maxInflight.Load(), int64(2), "per-host concurrency never exceeded")
}

func TestCrawlBreakStopsEverything(t *testing.T) {
	cs := newCountingServer(t, 5*time.Millisecond)
	before := goleak.IgnoreCurrent()
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithPerHostLimit(8, 0))
	require.NoError(t, err)
	n := 0
	for _, err := range c.Crawl(context.Background(), riptide.CrawlRequest{
		URLs: []string{cs.URL + "/p/0"}, Follow: riptide.ScopeSameHost, MaxDepth: 30, MaxPages: 500, Concurrency: 8,
	}) {
		require.NoError(t, err)
		n++
		if n == 5 {
			break
		}
	}
	assert.Equal(t, 5, n)
	require.NoError(t, c.Close())
	assert.NoError(t, goleak.Find(before), "breaking out of the loop leaves no goroutine behind")
}

// TestCrawlCancelFuzz cancels crawls at random points and checks that
// nothing is left behind: no goroutine, no open connection.
func TestCrawlCancelFuzz(t *testing.T) {
	runs := 200
	if testing.Short() {
		runs = 20
	}
	cs := newCountingServer(t, time.Millisecond)
	before := goleak.IgnoreCurrent() // goroutines alive before the runs
	leaked := 0
	for i := range runs {
		c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithPerHostLimit(8, 0))
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		stopAfter := rand.IntN(20)
		go func() {
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
			cancel()
		}()
		n := 0
		for res, err := range c.Crawl(ctx, riptide.CrawlRequest{
			URLs: []string{cs.URL + fmt.Sprintf("/p/%d", i%7)}, Follow: riptide.ScopeSameHost, MaxDepth: 10, MaxPages: 60, Concurrency: 4,
		}) {
			if err == nil && res == nil {
				t.Fatal("nil result without error")
			}
			n++
			if n > stopAfter {
				break
			}
		}
		cancel()
		require.NoError(t, c.Close())
	}
	// Connections close asynchronously on the server side; give them a moment.
	deadline := time.Now().Add(5 * time.Second)
	for cs.open.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if cs.open.Load() != 0 {
		leaked += int(cs.open.Load())
	}
	if err := goleak.Find(before); err != nil {
		leaked++
		t.Error(err)
	}
	testenv.Figure(t, "cancel", "runs", runs, "leaked", leaked, "path", "crawl")
	assert.Zero(t, leaked, "open connections or goroutines left after cancelled crawls")
}

func TestCrawlSitemapSeeds(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	c := newClient(t)
	pages, errs := collect(t, c.Crawl(context.Background(), riptide.CrawlRequest{
		URLs: []string{site.URL("/about.html")}, Sitemaps: true,
	}))
	require.Empty(t, errs)
	got := map[string]bool{}
	for _, p := range pages {
		got[strings.TrimPrefix(p.URL, strings.TrimSuffix(site.URL("/"), "/"))] = true
	}
	// robots.txt names /sitemap.xml, which lists the home page, three
	// articles and the about page.
	for _, p := range []string{"/", "/articles/rip-currents.html", "/articles/tide-tables.html", "/articles/kelp-forests.html", "/about.html"} {
		assert.True(t, got[p], "page %s from the sitemap", p)
	}
	assert.Len(t, pages, 5)
}

func TestCrawlMaxDurationEndsNormally(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	c := newClient(t)
	start := time.Now()
	pages, errs := collect(t, c.Crawl(context.Background(), riptide.CrawlRequest{
		URLs:        []string{site.URL("/about.html"), site.URL("/slow?ms=10000")},
		MaxDuration: 300 * time.Millisecond,
	}))
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Empty(t, errs, "running out of time is the crawl's normal end, not an error")
	assert.Len(t, pages, 1)
	assert.NoError(t, riptide.CrawlRequest{URLs: []string{"https://example.org/"}}.Validate())
	assert.ErrorIs(t, riptide.CrawlRequest{}.Validate(), riptide.ErrValidation)
}

func TestCrawlPerHostLimitsOfTheRequest(t *testing.T) {
	cs := newCountingServer(t, 10*time.Millisecond)
	c := newClient(t, riptide.WithPerHostLimit(8, 0))
	pages, errs := collect(t, c.Crawl(context.Background(), riptide.CrawlRequest{
		URLs: []string{cs.URL + "/p/0"}, Follow: riptide.ScopeSameHost, MaxDepth: 10, MaxPages: 20, Concurrency: 8,
		PerHostConcurrency: 1,
	}))
	require.Empty(t, errs)
	assert.Len(t, pages, 20)
	assert.LessOrEqual(t, cs.maxInflight.Load(), int64(1), "the crawl's own per-host limit holds")

	// The delay spaces the starts of the crawl's pages on one host.
	var seeds []string
	for i := range 5 {
		seeds = append(seeds, fmt.Sprintf("%s/p/%d", cs.URL, 100+i))
	}
	start := time.Now()
	pages, errs = collect(t, c.Crawl(context.Background(), riptide.CrawlRequest{URLs: seeds, PerHostDelay: 40 * time.Millisecond, Concurrency: 5}))
	require.Empty(t, errs)
	assert.Len(t, pages, 5)
	assert.GreaterOrEqual(t, time.Since(start), 4*40*time.Millisecond, "five starts need four gaps")
}

func TestCrawlSummaryReportsResourceControl(t *testing.T) {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(10))
	defer site.Close()
	c := newClient(t, riptide.WithAdmissionLimit(3))
	var summary *stream.Summary
	for ev := range c.Events(context.Background(), c.Crawl(context.Background(), riptide.CrawlRequest{
		URLs: []string{site.URL("/gen/0.html")}, Follow: riptide.ScopeSameHost, MaxDepth: 5, Include: []string{`/gen/`}, Concurrency: 6,
	}), "crawl") {
		if ev.Type == stream.TypeSummary {
			summary = ev.Summary
		}
	}
	require.NotNil(t, summary)
	assert.Equal(t, 10, summary.Total)
	assert.EqualValues(t, 3, summary.Resources["admission_limit"])
	assert.EqualValues(t, 6, summary.Resources["crawl_concurrency_limit"])
	assert.EqualValues(t, 2, summary.Resources["max_pdf_jobs"])
	assert.Contains(t, summary.Resources, "heap_bytes")
}
