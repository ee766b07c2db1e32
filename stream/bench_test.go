package stream

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkTTFB measures, over a real loopback HTTP connection, the time
// from sending the request to reading the whole first line (the start
// event) of an NDJSON stream whose source yields at once.
func BenchmarkTTFB(b *testing.B) {
	for _, gz := range []bool{false, true} {
		name := "identity"
		if gz {
			name = "gzip"
		}
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				src := func(yield func(Event) bool) {
					if !yield(NewStart(Start{Op: "crawl"})) {
						return
					}
					_ = yield(NewResult("done"))
				}
				_ = NDJSON(r.Context(), w, src, WithRequest(r))
			}))
			defer srv.Close()
			client := srv.Client()
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
				if !gz {
					req.Header.Set("Accept-Encoding", "identity")
				}
				resp, err := client.Do(req) // gzip: the transport decodes
				if err != nil {
					b.Fatal(err)
				}
				if _, err := bufio.NewReader(resp.Body).ReadBytes('\n'); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			b.ReportMetric(float64(total)/float64(b.N)/float64(time.Millisecond), "ttfb_ms")
			client.CloseIdleConnections()
		})
	}
}

// BenchmarkNDJSONEncode measures writing result events to memory.
func BenchmarkNDJSONEncode(b *testing.B) {
	type doc struct {
		URL   string `json:"url"`
		Title string `json:"title"`
		Text  string `json:"text"`
	}
	d := doc{URL: "https://example.com/a", Title: "A title", Text: strings.Repeat("lorem ipsum ", 170)}
	src := func(yield func(Event) bool) {
		for i := 0; i < b.N; i++ {
			if !yield(NewResult(d)) {
				return
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := NDJSON(context.Background(), io.Discard, src); err != nil {
		b.Fatal(err)
	}
}
