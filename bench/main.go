// Command bench measures riptide's native extractor side by side with
// go-trafilatura and readeck's go-readability on the same pages in the
// same run: pages per second on a given number of cores, allocations per
// page, and, when the benchmark's Python evaluator is given, F1.
//
// It lives in its own module so that the main module never depends on
// the libraries it is compared with.
//
//	go run . -dataset ../../shared/bench/articles -eval ../../shared/bench/eval_extraction.py
//
// Every engine gets the whole raw HTML and no URL, parses it itself, and
// returns plain text; soft hyphens are removed, as the benchmark's
// runners do. Pages are read and decompressed before any clock starts.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/internal/extractbench"
)

// engine turns one page into plain text.
type engine struct {
	name string
	run  func(page []byte) (string, error)
}

func engines() []engine {
	native := &extract.Native{}
	rd := readability.NewParser()
	return []engine{
		{"riptide native", func(page []byte) (string, error) {
			doc, err := native.Extract(context.Background(), extract.Input{HTML: page})
			if err != nil {
				return "", err
			}
			return doc.Text, nil
		}},
		{"go-trafilatura v1.12.2", func(page []byte) (string, error) {
			doc, err := html.Parse(bytes.NewReader(page))
			if err != nil {
				return "", err
			}
			res, err := trafilatura.ExtractDocument(doc, trafilatura.Options{})
			if err != nil {
				return "", err
			}
			return res.ContentText, nil
		}},
		{"readeck go-readability v2.1.3", func(page []byte) (string, error) {
			doc, err := html.Parse(bytes.NewReader(page))
			if err != nil {
				return "", err
			}
			art, err := rd.ParseDocument(doc, nil)
			if err != nil {
				return "", err
			}
			var b strings.Builder
			if err := art.RenderText(&b); err != nil {
				return "", err
			}
			return b.String(), nil
		}},
	}
}

type result struct {
	name        string
	pagesPerSec float64
	allocsPage  float64
	bytesPage   float64
	failed      int
	f1, p, r    string
}

func main() {
	dataset := flag.String("dataset", "../../shared/bench/articles", "benchmark directory holding html/")
	evalPath := flag.String("eval", "", "path of eval_extraction.py; when set, F1 is computed with python3")
	procs := flag.Int("procs", 1, "GOMAXPROCS for the timed runs")
	rounds := flag.Int("rounds", 5, "timed passes over the pages per engine, engines taking turns (the best pass is kept)")
	outDir := flag.String("out", "", "directory for the prediction files (default: a temporary one)")
	only := flag.String("only", "", "run only engines whose name contains this")
	flag.Parse()

	pages, err := extractbench.LoadPages(*dataset)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var total int
	for _, p := range pages {
		total += len(p.HTML)
	}
	dir := *outDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "extract-bench"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
	}

	prev := runtime.GOMAXPROCS(*procs)
	fmt.Printf("pages=%d html=%.1f MB GOMAXPROCS=%d rounds=%d %s/%s %s\n",
		len(pages), float64(total)/1e6, *procs, *rounds, runtime.GOOS, runtime.GOARCH, runtime.Version())
	var sel []engine
	for _, e := range engines() {
		if *only == "" || strings.Contains(e.name, *only) {
			sel = append(sel, e)
		}
	}
	results := make([]result, len(sel))
	texts := make([][]string, len(sel))
	for k, e := range sel {
		// Untimed pass: predictions, warm-up.
		results[k].name = e.name
		texts[k] = make([]string, len(pages))
		for i, p := range pages {
			t, err := e.run(p.HTML)
			if err != nil {
				results[k].failed++
			}
			texts[k][i] = strings.ReplaceAll(t, "\u00ad", "")
		}
	}
	// Timed passes, the engines taking turns in every round so that a
	// burst of load on the machine hits them alike; the best pass counts.
	var ms0, ms1 runtime.MemStats
	for range *rounds {
		for k, e := range sel {
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			start := time.Now()
			for _, p := range pages {
				_, _ = e.run(p.HTML)
			}
			el := time.Since(start).Seconds()
			runtime.ReadMemStats(&ms1)
			r := &results[k]
			if pps := float64(len(pages)) / el; pps > r.pagesPerSec {
				r.pagesPerSec = pps
				r.allocsPage = float64(ms1.Mallocs-ms0.Mallocs) / float64(len(pages))
				r.bytesPage = float64(ms1.TotalAlloc-ms0.TotalAlloc) / float64(len(pages))
			}
		}
	}
	if *evalPath != "" {
		for k, e := range sel {
			path := filepath.Join(dir, slug(e.name)+".jsonl")
			if err := writePreds(path, pages, texts[k]); err == nil {
				results[k].f1, results[k].p, results[k].r = evaluate(*evalPath, path)
			}
		}
	}
	runtime.GOMAXPROCS(prev)

	fmt.Printf("\n%-32s %10s %8s %12s %10s %7s %7s %7s %6s\n", "engine", "pages/s", "vs first", "allocs/page", "KB/page", "F1", "P", "R", "failed")
	for _, r := range results {
		fmt.Printf("%-32s %10.1f %7.2fx %12.0f %10.0f %7s %7s %7s %6d\n", r.name, r.pagesPerSec,
			results[0].pagesPerSec/r.pagesPerSec, r.allocsPage, r.bytesPage/1024, r.f1, r.p, r.r, r.failed)
	}
}

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(s))
}

func writePreds(path string, pages []extractbench.Page, texts []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for i, p := range pages {
		if err := enc.Encode(map[string]string{"id": p.ID, "articleBody": texts[i]}); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// evaluate runs the Python evaluator and returns F1, precision, recall.
func evaluate(script, preds string) (f1, p, r string) {
	out, err := exec.Command("python3", script, "--json", "--n-bootstrap", "0", preds).Output()
	if err != nil {
		return "err", "", ""
	}
	var rows map[string]map[string]any
	if err := json.Unmarshal(out, &rows); err != nil || len(rows) != 1 {
		return "?", "", ""
	}
	var row map[string]any
	for _, v := range rows {
		row = v
	}
	num := func(k string) string {
		if v, ok := row[k].(float64); ok {
			return fmt.Sprintf("%.3f", v)
		}
		return fmt.Sprint(row[k])
	}
	return num("f1"), num("precision"), num("recall")
}
