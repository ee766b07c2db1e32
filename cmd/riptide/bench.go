package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm"
	"github.com/riptide-go/riptide/internal/extractbench"
	"github.com/riptide-go/riptide/render/chromium"
)

func runBench(ctx context.Context, e env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "usage: riptide bench extract|render|crawl [flags]")
		return exitUsage
	}
	switch args[0] {
	case "extract":
		return runBenchExtract(ctx, e, args[1:])
	case "crawl":
		return runBenchCrawl(ctx, e, args[1:])
	case "render":
		return runBenchRender(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "riptide: unknown benchmark %q\n", args[0])
	return exitUsage
}

// runBenchExtract extracts every page of a dataset directory (html/*.html.gz
// and html/*.html) and prints the throughput as its last line.
func runBenchExtract(ctx context.Context, e env, args []string) int {
	fs := flag.NewFlagSet("bench extract", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dataset := fs.String("dataset", "", "dataset directory holding html/")
	engine := fs.String("engine", "native", "extraction engine: native|wasm")
	out := fs.String("out", "", "write one JSON prediction per page to this file")
	procs := fs.Int("procs", 1, "pages extracted at once")
	if _, err := parseFlags(fs, args); err != nil {
		return exitUsage
	}
	if *dataset == "" || *procs < 1 {
		fmt.Fprintln(e.stderr, "usage: riptide bench extract --dataset DIR [--engine native|wasm] [--out FILE] [--procs N]")
		return exitUsage
	}
	var ex extract.Extractor = &extract.Native{}
	switch *engine {
	case "native":
	case "wasm":
		w, err := wasm.New(ctx, wasm.WithPool(*procs, *procs))
		if err != nil {
			fmt.Fprintln(e.stderr, "riptide:", err)
			return exitExtraction
		}
		defer w.Close(context.WithoutCancel(ctx))
		ex = w
	default:
		fmt.Fprintf(e.stderr, "riptide: unknown engine %q (want native or wasm)\n", *engine)
		return exitUsage
	}
	var w io.Writer
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(e.stderr, "riptide:", err)
			return exitInvalid
		}
		defer f.Close()
		w = f
	}
	sum, err := extractbench.Run(ctx, extractbench.Config{Dataset: *dataset, Extractor: ex, Out: w, Procs: *procs})
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return exitInvalid
	}
	fmt.Fprintln(e.stdout, sum.String())
	return exitOK
}

// runBenchRender measures cold and warm renders and pooled vs naive
// throughput on local script-built pages.
func runBenchRender(ctx context.Context, e env, args []string) int {
	fs := flag.NewFlagSet("bench render", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	pages := fs.Int("pages", 50, "pages per run")
	conc := fs.Int("concurrency", 4, "concurrent renders")
	cold := fs.Int("cold", 5, "cold renders measured")
	bin := fs.String("chrome", "", "Chromium binary (default: RIPTIDE_CHROME, then PATH)")
	if _, err := parseFlags(fs, args); err != nil {
		return exitUsage
	}
	if *bin == "" {
		*bin = e.getenv("RIPTIDE_CHROME")
	}
	res, err := chromium.Bench(ctx, chromium.BenchConfig{Bin: *bin, Pages: *pages, Concurrency: *conc, ColdRuns: *cold})
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return exitRendering
	}
	fmt.Fprintln(e.stdout, res.String())
	return exitOK
}
