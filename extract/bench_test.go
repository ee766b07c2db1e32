package extract

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/riptide-go/riptide/internal/testenv"
)

// benchPages reads the article benchmark's pages (skipping when absent).
func benchPages(b testing.TB) [][]byte {
	b.Helper()
	dir := testenv.BenchDir(b)
	files, err := filepath.Glob(filepath.Join(dir, "html", "*.html*"))
	if err != nil || len(files) == 0 {
		b.Skipf("no pages in %s", dir)
	}
	var pages [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if strings.HasSuffix(f, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				b.Fatal(err)
			}
			if raw, err = io.ReadAll(zr); err != nil {
				b.Fatal(err)
			}
		}
		pages = append(pages, raw)
	}
	return pages
}

// BenchmarkExtract runs the native engine over every page of the article
// benchmark: one op is one page. Run it single core to compare with the
// published figures:
//
//	go test ./extract -run '^$' -bench Extract -cpu 1
func BenchmarkExtract(b *testing.B) {
	pages := benchPages(b)
	var size int64
	for _, p := range pages {
		size += int64(len(p))
	}
	ctx := context.Background()
	var n Native
	b.SetBytes(size / int64(len(pages)))
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := n.Extract(ctx, Input{HTML: pages[i%len(pages)]}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkParse is the floor under BenchmarkExtract: html.Parse alone
// on the same pages.
func BenchmarkParse(b *testing.B) {
	pages := benchPages(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := html.Parse(bytes.NewReader(pages[i%len(pages)])); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkContent measures content detection and the text writer alone
// (parsing excluded), over the benchmark pages.
func BenchmarkContent(b *testing.B) {
	pages := benchPages(b)
	roots := make([]*html.Node, len(pages))
	for i, p := range pages {
		r, err := html.Parse(bytes.NewReader(p))
		if err != nil {
			b.Fatal(err)
		}
		roots[i] = r
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	s := scorer{classes: map[string]uint32{}}
	for b.Loop() {
		s.ctx, s.limit, s.visited, s.err = ctx, defaultMaxNodes, 0, nil
		clear(s.classes)
		s.walk(findElement(roots[i%len(roots)], atom.Body))
		content, _ := s.copyContent(s.choose(), false)
		_ = writeText(content)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
