package wasm

import (
	"context"
	"testing"

	"github.com/riptide-go/riptide/extract"
)

// BenchmarkInstanceMemory reports an instance's linear memory when fresh,
// after one document of about 100 KB and after the largest pages.
func BenchmarkInstanceMemory(b *testing.B) {
	ctx := context.Background()
	e, err := New(ctx, WithPool(1, 1), WithInterrupt(false))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	html := make([]byte, 0, 100<<10)
	for len(html) < 100<<10 {
		html = append(html, "<p>Some paragraph text with <a href=\"/x\">a link</a> and more words.</p>\n"...)
	}
	var fresh, after100k, after50 int64
	for b.Loop() {
		in, err := e.newInstance(ctx)
		if err != nil {
			b.Fatal(err)
		}
		fresh = in.memSize()
		for i := range 50 {
			if _, _, err := e.run(ctx, in, extract.Input{HTML: html}); err != nil {
				b.Fatal(err)
			}
			if i == 0 {
				after100k = in.memSize()
			}
		}
		after50 = in.memSize()
		e.closeInstance(in)
	}
	b.ReportMetric(float64(fresh)/(1<<20), "fresh-MiB")
	b.ReportMetric(float64(after100k)/(1<<20), "after-1x100KB-MiB")
	b.ReportMetric(float64(after50)/(1<<20), "after-50x100KB-MiB")
}
