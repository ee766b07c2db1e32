package fetch_test

import (
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/riptide-go/riptide/fetch"
)

func BenchmarkFetch(b *testing.B) {
	page := []byte("<html><body>" + strings.Repeat("<p>Rip currents pull swimmers away from shore.</p>", 400) + "</body></html>")
	var gz strings.Builder
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(page)
	_ = zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/gzip" {
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write([]byte(gz.String()))
			return
		}
		_, _ = w.Write(page)
	}))
	defer srv.Close()
	for _, path := range []string{"/plain", "/gzip"} {
		b.Run(path[1:], func(b *testing.B) {
			f, err := fetch.New(fetch.Config{AllowPrivateNetworks: true, IgnoreRobots: true, PerHostConcurrency: 8})
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := get(f, srv.URL+path); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkRobotsAllowed(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("user-agent: *\n")
	for i := range 200 {
		sb.WriteString("disallow: /section-" + strings.Repeat("x", i%20) + "/*.php$\n")
		sb.WriteString("allow: /section-" + strings.Repeat("y", i%20) + "/public\n")
	}
	r := fetch.ParseRobots([]byte(sb.String()))
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Allowed("riptide", "/section-xxxxx/deep/path/to/page.php?query=1")
	}
}
