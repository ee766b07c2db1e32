package httpapi_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/httpapi"
	"github.com/riptide-go/riptide/riptidetest"
)

// BenchmarkCrawlTTFB measures, over a real loopback connection, the time
// from sending POST /crawl to reading the stream's first line (the start
// event), and the time to the whole stream of a 50-page crawl.
func BenchmarkCrawlTTFB(b *testing.B) {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(50))
	defer site.Close()
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithPerHostLimit(4, 0))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	srv := httptest.NewServer(httpapi.New(c, httpapi.Options{}))
	defer srv.Close()
	body := `{"urls":["` + site.URL("/gen/0.html") + `"],"follow":"same_host","include":["/gen/"],"max_depth":10,"concurrency":4}`
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	var first, whole time.Duration
	for b.Loop() {
		start := time.Now()
		resp, err := client.Post(srv.URL+"/crawl", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		br := bufio.NewReader(resp.Body)
		if _, err := br.ReadBytes('\n'); err != nil {
			b.Fatal(err)
		}
		first += time.Since(start)
		if _, err := io.Copy(io.Discard, br); err != nil {
			b.Fatal(err)
		}
		whole += time.Since(start)
		resp.Body.Close()
	}
	b.ReportMetric(float64(first)/float64(b.N)/float64(time.Millisecond), "ttfb_ms")
	b.ReportMetric(float64(whole)/float64(b.N)/float64(time.Millisecond), "stream_ms")
}
