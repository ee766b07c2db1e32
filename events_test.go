package riptide_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/riptidetest"
	"github.com/riptide-go/riptide/stream"
)

func TestErrorEvent(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want stream.ErrorEvent
	}{
		{"fetch status", &riptide.Error{Kind: riptide.KindFetch, Op: "crawl", URL: "https://a.example/x", Status: 404,
			Err: &fetch.Error{Op: "get", Status: 404, Err: fetch.ErrHTTPStatus}},
			stream.ErrorEvent{ErrorType: "fetch", Code: "http_status_404", URL: "https://a.example/x",
				Context: map[string]any{"op": "crawl", "status": 404}}},
		{"server error is retryable", &riptide.Error{Kind: riptide.KindFetch, Op: "crawl", URL: "https://a.example/", Status: 503},
			stream.ErrorEvent{ErrorType: "fetch", Code: "http_status_503", URL: "https://a.example/", Retryable: true,
				Context: map[string]any{"op": "crawl", "status": 503}}},
		{"robots", &riptide.Error{Kind: riptide.KindRobots, Op: "extract", URL: "https://a.example/p", Err: fetch.ErrRobotsDisallowed},
			stream.ErrorEvent{ErrorType: "robots_disallowed", Code: "robots_disallowed", URL: "https://a.example/p",
				Context: map[string]any{"op": "extract"}}},
		{"timeout", &riptide.Error{Kind: riptide.KindTimeout, Op: "crawl", URL: "https://a.example/slow", Err: context.DeadlineExceeded},
			stream.ErrorEvent{ErrorType: "timeout", Code: "deadline_exceeded", URL: "https://a.example/slow", Retryable: true,
				Context: map[string]any{"op": "crawl"}}},
		{"no content", &riptide.Error{Kind: riptide.KindExtraction, Op: "crawl", URL: "https://a.example/e", Err: extract.ErrNoContent},
			stream.ErrorEvent{ErrorType: "extraction", Code: "no_content", URL: "https://a.example/e",
				Context: map[string]any{"op": "crawl"}}},
		{"whole crawl invalid is fatal", &riptide.Error{Kind: riptide.KindValidation, Op: "crawl", Err: errors.New("no seed urls")},
			stream.ErrorEvent{ErrorType: "validation", Code: "validation", Fatal: true, Context: map[string]any{"op": "crawl"}}},
		{"wrapped", fmt.Errorf("page: %w", &riptide.Error{Kind: riptide.KindBlocked, Op: "crawl", URL: "http://10.0.0.1/"}),
			stream.ErrorEvent{ErrorType: "blocked", Code: "blocked", URL: "http://10.0.0.1/", Context: map[string]any{"op": "crawl"}}},
		{"plain error", errors.New("boom"), stream.ErrorEvent{ErrorType: "internal"}},
		{"plain deadline", context.DeadlineExceeded, stream.ErrorEvent{ErrorType: "timeout", Retryable: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := riptide.ErrorEvent(tc.err)
			require.Equal(t, stream.TypeError, ev.Type)
			require.NotNil(t, ev.Error)
			assert.NotEmpty(t, ev.Error.Message)
			ev.Error.Message = ""
			assert.Equal(t, tc.want, *ev.Error)
		})
	}
}

func TestErrorEventRedactsMessage(t *testing.T) {
	err := &riptide.Error{Kind: riptide.KindFetch, Op: "crawl", URL: "https://a.example/?token=REDACTED",
		Err: errors.New(`Get "https://a.example/?token=CANARY1": connection refused`)}
	b, jerr := json.Marshal(riptide.ErrorEvent(err))
	require.NoError(t, jerr)
	assert.NotContains(t, string(b), "CANARY1")
	assert.Contains(t, string(b), "connection refused")
}

func TestResultEventRedactsDocumentURLs(t *testing.T) {
	res := &riptide.Result{URL: "https://a.example/?token=REDACTED", Engine: riptide.EngineStatic,
		Document: &extract.Document{URL: "https://a.example/?token=CANARY2", Title: "T"}}
	b, err := json.Marshal(riptide.ResultEvent(res))
	require.NoError(t, err)
	assert.NotContains(t, string(b), "CANARY2")
	assert.Equal(t, "https://a.example/?token=CANARY2", res.Document.URL, "the caller's result is untouched")

	plain := &riptide.Result{URL: "https://a.example/", Document: &extract.Document{URL: "https://a.example/"}}
	assert.Same(t, plain, riptide.ResultEvent(plain).Result, "nothing to redact: no copy")
}

func TestEventsOverCrawl(t *testing.T) {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(60))
	defer site.Close()
	c := newClient(t, riptide.WithPerHostLimit(8, 0))
	ctx := context.Background()
	seq := c.Crawl(ctx, riptide.CrawlRequest{
		URLs:   []string{site.URL("/gen/0.html"), site.URL("/broken")},
		Follow: riptide.ScopeSameHost, MaxDepth: 20, Concurrency: 4, Include: []string{`/gen/`},
	})
	evs := slices.Collect(riptide.Events(ctx, seq, "crawl"))

	require.NotEmpty(t, evs)
	assert.Equal(t, stream.TypeStart, evs[0].Type)
	assert.Equal(t, "crawl", evs[0].Start.Op)
	last := evs[len(evs)-1]
	require.Equal(t, stream.TypeSummary, last.Type)
	counts := map[stream.Type]int{}
	for _, ev := range evs {
		counts[ev.Type]++
	}
	assert.Equal(t, 60, counts[stream.TypeResult])
	assert.Equal(t, 1, counts[stream.TypeError])
	assert.Equal(t, 61/riptide.ProgressEvery, counts[stream.TypeProgress])

	s := last.Summary
	assert.Equal(t, 61, s.Total)
	assert.Equal(t, 60, s.Succeeded)
	assert.Equal(t, 1, s.Errors)
	assert.Equal(t, map[string]int{"200": 60, "500": 1}, s.ByStatus)
	assert.Equal(t, map[string]int{"static": 60}, s.ByEngine)
	assert.Positive(t, s.Bytes)
	assert.Positive(t, s.P50MS)
	assert.GreaterOrEqual(t, s.P95MS, s.P50MS)

	for _, ev := range evs {
		if ev.Type == stream.TypeError {
			assert.Equal(t, "fetch", ev.Error.ErrorType)
			assert.Equal(t, "http_status_500", ev.Error.Code)
			assert.True(t, ev.Error.Retryable)
			assert.Equal(t, site.URL("/broken"), ev.Error.URL)
		}
	}
}

func TestEventsInvalidCrawlIsFatal(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	evs := slices.Collect(riptide.Events(ctx, c.Crawl(ctx, riptide.CrawlRequest{}), "crawl"))
	require.Len(t, evs, 2)
	assert.Equal(t, stream.TypeStart, evs[0].Type)
	require.Equal(t, stream.TypeError, evs[1].Type)
	assert.True(t, evs[1].Error.Fatal)
	assert.Equal(t, "validation", evs[1].Error.ErrorType)
}

func TestEventsCancelEndsWithoutSummary(t *testing.T) {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(500))
	defer site.Close()
	c := newClient(t, riptide.WithPerHostLimit(4, 0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seq := c.Crawl(ctx, riptide.CrawlRequest{URLs: []string{site.URL("/gen/0.html")},
		Follow: riptide.ScopeSameHost, MaxDepth: 50, Include: []string{`/gen/`}})
	var buf bytes.Buffer
	n := 0
	src := func(yield func(stream.Event) bool) {
		for ev := range riptide.Events(ctx, seq, "crawl") {
			if !yield(ev) {
				return
			}
			if n++; n == 5 {
				cancel()
			}
		}
	}
	err := stream.NDJSON(ctx, &buf, src)
	require.ErrorIs(t, err, context.Canceled)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var lastEv stream.Event
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &lastEv))
	require.Equal(t, stream.TypeError, lastEv.Type)
	assert.True(t, lastEv.Error.Fatal)
	assert.Equal(t, "canceled", lastEv.Error.ErrorType)
	assert.Less(t, len(lines), 100, "the crawl stopped soon after cancel")
}

func ExampleEvents() {
	site := riptidetest.NewSite()
	defer site.Close()
	c, err := riptide.New(riptide.AllowPrivateNetworks())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	ctx := context.Background()
	crawl := c.Crawl(ctx, riptide.CrawlRequest{URLs: []string{
		site.URL("/articles/rip-currents.html"), site.URL("/broken"),
	}, Order: riptide.OrderInput})
	// Write the stream to a buffer; an HTTP handler would pass its
	// ResponseWriter instead.
	var buf bytes.Buffer
	if err := stream.NDJSON(ctx, &buf, riptide.Events(ctx, crawl, "crawl")); err != nil {
		fmt.Println(err)
		return
	}
	for line := range strings.Lines(buf.String()) {
		var ev stream.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			fmt.Println(err)
			return
		}
		switch ev.Type {
		case stream.TypeError:
			fmt.Println(ev.ID, ev.Type, ev.Error.ErrorType, ev.Error.Code)
		case stream.TypeSummary:
			fmt.Println(ev.ID, ev.Type, ev.Summary.Succeeded, "ok", ev.Summary.Errors, "failed")
		default:
			fmt.Println(ev.ID, ev.Type)
		}
	}
	// Output:
	// 1 start
	// 2 result
	// 3 error fetch http_status_500
	// 4 summary 1 ok 1 failed
}

// BenchmarkCrawlStatic crawls a local site of generated pages with the
// static engine and reports pages per second. RIPTIDE_BENCH_PAGES sets the
// site's size (default 500).
func BenchmarkCrawlStatic(b *testing.B) {
	pages := 500
	if s := os.Getenv("RIPTIDE_BENCH_PAGES"); s != "" {
		if _, err := fmt.Sscan(s, &pages); err != nil {
			b.Fatal(err)
		}
	}
	for _, conc := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			site := riptidetest.NewSite(riptidetest.WithGeneratedPages(pages))
			defer site.Close()
			c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithPerHostLimit(conc, 0))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			req := riptide.CrawlRequest{URLs: []string{site.URL("/gen/0.html")}, Follow: riptide.ScopeSameHost,
				MaxDepth: 64, MaxPages: pages, Concurrency: conc, Include: []string{`/gen/`}}
			var total int
			var elapsed time.Duration
			for b.Loop() {
				start := time.Now()
				for _, err := range c.Crawl(context.Background(), req) {
					if err != nil {
						b.Fatal(err)
					}
					total++
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(total)/elapsed.Seconds(), "pages/s")
		})
	}
}
