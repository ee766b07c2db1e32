package riptidetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/riptide-go/riptide/extract"
)

// conformancePage is a small article every extractor must handle.
const conformancePage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Conformance</title></head>
<body><nav><a href="/">Home</a></nav><article><h1>Conformance</h1>
<p>An extractor that passes this suite honours its context, is safe for concurrent use, rejects empty input with an error and always returns valid UTF-8.</p>
<p>Second paragraph of the conformance page, long enough to count as content for any reasonable main-content detector.</p>
</article><footer>Footer</footer></body></html>`

// TestExtractor checks that e follows the [extract.Extractor] contract:
// it extracts a simple article, returns an error matching ctx.Err() for a
// cancelled context, fails cleanly on empty input, returns valid UTF-8 for
// invalid input, and is safe for concurrent use (run it with -race). It
// returns the joined errors of every failed check (nil when e conforms),
// so it can be used from any test framework.
func TestExtractor(ctx context.Context, e extract.Extractor) error {
	var errs []error
	check := func(name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	check("article", func() error {
		doc, err := e.Extract(ctx, extract.Input{URL: "https://example.org/c", HTML: []byte(conformancePage)})
		if err != nil {
			return err
		}
		if doc == nil {
			return errors.New("nil document without error")
		}
		return nil
	}())
	check("cancelled context", func() error {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := e.Extract(cctx, extract.Input{HTML: []byte(conformancePage)})
		if !errors.Is(err, context.Canceled) {
			return fmt.Errorf("got %v, want an error matching context.Canceled", err)
		}
		return nil
	}())
	check("empty input", func() error {
		doc, err := e.Extract(ctx, extract.Input{})
		if err == nil && doc == nil {
			return errors.New("nil document without error")
		}
		return nil
	}())
	check("invalid utf-8", func() error {
		doc, err := e.Extract(ctx, extract.Input{HTML: []byte("<html><body><p>bad \xff\xfe bytes \xc3 here, and more words after them to be content.</p></body></html>")})
		if err != nil {
			return nil // an error is an acceptable answer
		}
		if doc == nil {
			return errors.New("nil document without error")
		}
		for name, s := range map[string]string{"text": doc.Text, "markdown": doc.Markdown, "html": doc.HTML, "title": doc.Title} {
			if !utf8.ValidString(s) {
				return fmt.Errorf("%s is not valid UTF-8", name)
			}
		}
		return nil
	}())
	check("concurrent use", func() error {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.Extract(ctx, extract.Input{HTML: []byte(conformancePage)}); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return first
	}())
	return errors.Join(errs...)
}

// RequireExtractor runs [TestExtractor] and fails t on any error.
func RequireExtractor(t testing.TB, e extract.Extractor) {
	t.Helper()
	if err := TestExtractor(context.Background(), e); err != nil {
		t.Error(err)
	}
}
