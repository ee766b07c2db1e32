package wasm

import (
	"bytes"
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
	html := page100K()
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

// page100K is about 100 KB of paragraphs with links.
func page100K() []byte {
	html := make([]byte, 0, 100<<10)
	for len(html) < 100<<10 {
		html = append(html, "<p>Some paragraph text with <a href=\"/x\">a link</a> and more words.</p>\n"...)
	}
	return html
}

// TestInstanceMemoryLevels: the default guest collects between documents,
// so an instance that serves many documents keeps a small memory; with
// the collector left to its own pacing (as before) it grew past 100 MiB
// after 50 such pages.
func TestInstanceMemoryLevels(t *testing.T) {
	ctx := context.Background()
	e, err := New(ctx, WithPool(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	in, err := e.newInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer e.closeInstance(in)
	html := page100K()
	for range 80 {
		if _, _, err := e.run(ctx, in, extract.Input{HTML: html}); err != nil {
			t.Fatal(err)
		}
	}
	if got := in.memSize(); got > 48<<20 {
		t.Errorf("linear memory after 80 pages of 100 KB: %d MiB, want <= 48 MiB", got>>20)
	}
}

// TestLargeDocumentUnderTightLimit: a page whose extraction allocates
// more than the guest's soft memory limit (the guest's code allocates
// about 52 MB for it natively; the limit is 3/4 of 64 MiB, 48 MiB) succeeds,
// again and again in one instance, since the soft limit collects in the
// middle of it. (The guest built with the collector's own pacing at 400%
// ran out of memory here.)
func TestLargeDocumentUnderTightLimit(t *testing.T) {
	ctx := context.Background()
	const limit = 64 << 20
	e, err := New(ctx, WithPool(1, 1), WithMemoryLimit(limit))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	big := bytes.Repeat(page100K(), 10) // 1 MB
	native, err := (&extract.Native{}).Extract(ctx, extract.Input{HTML: big})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		doc, err := e.Extract(ctx, extract.Input{HTML: big})
		if err != nil {
			t.Fatal(err)
		}
		if doc.Text != native.Text {
			t.Fatalf("text differs from the native engine's (%d vs %d bytes)", len(doc.Text), len(native.Text))
		}
	}
	if s := e.Stats(); s.Faults != 0 || s.Recycled != 0 {
		t.Errorf("stats %+v: want no fault and no recycled instance", s)
	}
}
