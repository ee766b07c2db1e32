package docjson_test

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/riptide-go/riptide/extract"
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

// corpus extracts, once, every page of the article benchmark's html
// directory (*.html and *.html.gz) with the native engine. Pages the engine
// rejects are left out.
func corpus(tb testing.TB) []corpusDoc {
	tb.Helper()
	dir := filepath.Join(testenv.BenchDir(tb), "html")
	corpusDocs.once.Do(func() {
		corpusDocs.docs, corpusDocs.err = extractAll(dir)
	})
	if corpusDocs.err != nil {
		tb.Fatal(corpusDocs.err)
	}
	if len(corpusDocs.docs) == 0 {
		tb.Fatalf("no pages extracted from %s", dir)
	}
	return corpusDocs.docs
}

func extractAll(dir string) ([]corpusDoc, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var docs []corpusDoc
	for _, e := range entries {
		id, gz := strings.CutSuffix(e.Name(), ".html.gz")
		if !gz {
			var ok bool
			if id, ok = strings.CutSuffix(e.Name(), ".html"); !ok {
				continue
			}
		}
		page, err := readPage(filepath.Join(dir, e.Name()), gz)
		if err != nil {
			return nil, err
		}
		in := extract.Input{URL: "https://example.com/" + id, HTML: page}
		doc, err := (&extract.Native{}).Extract(context.Background(), in)
		if err != nil {
			continue
		}
		docs = append(docs, corpusDoc{id: id, doc: doc})
	}
	slices.SortFunc(docs, func(a, b corpusDoc) int { return strings.Compare(a.id, b.id) })
	return docs, nil
}

func readPage(path string, gz bool) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		r = zr
	}
	return io.ReadAll(r)
}
