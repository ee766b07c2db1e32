package docjson_test

import (
	"context"
	"sync"
	"testing"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/internal/extractbench"
	"github.com/riptide-go/riptide/internal/testenv"
)

// TestCorpus checks AppendDocument against encoding/json on the documents
// the native engine extracts from the pages of the article benchmark
// (RIPTIDE_BENCH_DIR); it is skipped when the benchmark is absent.
func TestCorpus(t *testing.T) {
	docs := corpus(t)
	for _, d := range docs {
		t.Run(d.id, func(t *testing.T) { checkSame(t, d.doc) })
	}
	t.Logf("%d documents", len(docs))
}

type corpusDoc struct {
	id  string
	doc *extract.Document
}

var corpusDocs struct {
	once sync.Once
	docs []corpusDoc
	err  error
}

// corpus extracts, once, every page of the article benchmark with the
// native engine. Pages the engine rejects are left out.
func corpus(tb testing.TB) []corpusDoc {
	tb.Helper()
	dir := testenv.BenchDir(tb)
	corpusDocs.once.Do(func() {
		pages, err := extractbench.LoadPages(dir)
		corpusDocs.err = err
		for _, p := range pages {
			in := extract.Input{URL: "https://example.com/" + p.ID, HTML: p.HTML}
			if doc, err := (&extract.Native{}).Extract(context.Background(), in); err == nil {
				corpusDocs.docs = append(corpusDocs.docs, corpusDoc{id: p.ID, doc: doc})
			}
		}
	})
	if corpusDocs.err != nil {
		tb.Fatal(corpusDocs.err)
	}
	if len(corpusDocs.docs) == 0 {
		tb.Fatalf("no pages extracted from %s", dir)
	}
	return corpusDocs.docs
}
