// Package extractbench runs an [extract.Extractor] over a directory of
// HTML pages (the layout of the article-extraction benchmark: html/<id>.html.gz
// or html/<id>.html) and writes its predictions as JSON lines, measuring
// throughput on the way. The score itself lives in [Score].
package extractbench

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/riptide-go/riptide/extract"
)

// Config says what to run.
type Config struct {
	// Dataset is the directory holding html/.
	Dataset string
	// Extractor is the engine to measure; nil means extract.Native.
	Extractor extract.Extractor
	// Out, if not nil, receives one JSON line per page:
	// {"id","articleBody","title","author","date"}, in id order.
	Out io.Writer
	// Procs is the number of pages extracted at once; 0 means 1.
	Procs int
}

// Summary is the outcome of a run. Seconds covers extraction only: the
// pages are read and decompressed before the clock starts.
type Summary struct {
	Pages       int
	Bytes       int64 // HTML bytes extracted (decompressed)
	Seconds     float64
	PagesPerSec float64
	MBPerSec    float64
	Failed      int // pages whose extraction returned an error
}

// String formats s as "pages=N seconds=S pages_per_s=P mb_per_s=M".
func (s Summary) String() string {
	return fmt.Sprintf("pages=%d seconds=%.3f pages_per_s=%.1f mb_per_s=%.2f", s.Pages, s.Seconds, s.PagesPerSec, s.MBPerSec)
}

// Prediction is one output line.
type Prediction struct {
	ID          string `json:"id"`
	ArticleBody string `json:"articleBody"`
	Title       string `json:"title"`
	Author      string `json:"author"`
	Date        string `json:"date"`
}

// Page is one input page.
type Page struct {
	ID   string
	HTML []byte
}

// LoadPages reads every html/<id>.html.gz and html/<id>.html of dir,
// sorted by id.
func LoadPages(dir string) ([]Page, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "html"))
	if err != nil {
		return nil, err
	}
	var pages []Page
	for _, e := range entries {
		name := e.Name()
		var id string
		switch {
		case strings.HasSuffix(name, ".html.gz"):
			id = strings.TrimSuffix(name, ".html.gz")
		case strings.HasSuffix(name, ".html"):
			id = strings.TrimSuffix(name, ".html")
		default:
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "html", name))
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			b, err = io.ReadAll(zr)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
		pages = append(pages, Page{ID: id, HTML: b})
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("extractbench: no pages in %s", filepath.Join(dir, "html"))
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].ID < pages[j].ID })
	return pages, nil
}

// Run extracts every page of cfg.Dataset, writes the predictions to
// cfg.Out and returns the throughput. The whole raw HTML goes in and no
// URL. A page that fails is written with an empty body and counted in
// Summary.Failed; only ctx ending or an output error stops the run.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	pages, err := LoadPages(cfg.Dataset)
	if err != nil {
		return Summary{}, err
	}
	ex := cfg.Extractor
	if ex == nil {
		ex = &extract.Native{}
	}
	procs := max(cfg.Procs, 1)
	preds := make([]Prediction, len(pages))
	failed := make([]bool, len(pages))
	var bytesTotal int64
	for _, p := range pages {
		bytesTotal += int64(len(p.HTML))
	}

	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	errc := make(chan error, 1)
	for range procs {
		wg.Go(func() {
			for i := range next {
				p := pages[i]
				preds[i].ID = p.ID
				doc, err := ex.Extract(ctx, extract.Input{HTML: p.HTML})
				if err != nil {
					if ctx.Err() != nil {
						select {
						case errc <- ctx.Err():
						default:
						}
						continue
					}
					failed[i] = true
					continue
				}
				preds[i] = Prediction{
					ID:          p.ID,
					ArticleBody: strings.ReplaceAll(doc.Text, "\u00ad", ""),
					Title:       doc.Title,
					Author:      strings.Join(doc.Authors, ", "),
					Date:        doc.Published,
				}
			}
		})
	}
feed:
	for i := range pages {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	select {
	case err := <-errc:
		return Summary{}, err
	default:
	}

	sum := Summary{Pages: len(pages), Bytes: bytesTotal, Seconds: elapsed}
	for _, f := range failed {
		if f {
			sum.Failed++
		}
	}
	if elapsed > 0 {
		sum.PagesPerSec = float64(len(pages)) / elapsed
		sum.MBPerSec = float64(bytesTotal) / 1e6 / elapsed
	}
	if cfg.Out != nil {
		enc := json.NewEncoder(cfg.Out)
		enc.SetEscapeHTML(false)
		for i := range preds {
			preds[i].ID = pages[i].ID
			if err := enc.Encode(&preds[i]); err != nil {
				return sum, errors.Join(errors.New("extractbench: writing predictions"), err)
			}
		}
	}
	return sum, nil
}
