package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/extract"
)

// maxInputBytes caps a page read from a file or standard input: the
// largest page the extractors take.
const maxInputBytes = extract.MaxInputBytes

func runExtract(ctx context.Context, e env, args []string) int {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var g globals
	g.register(fs, e.getenv)
	format := fs.String("format", "json", "output format: json|markdown|text")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "usage: riptide extract [flags] URL|FILE|-")
		return exitUsage
	}
	switch *format {
	case "json", "markdown", "text":
	default:
		fmt.Fprintf(e.stderr, "riptide: unknown format %q (want json, markdown or text)\n", *format)
		return exitUsage
	}
	lc, err := g.load(fs)
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return exitInvalid
	}
	c, err := riptide.New(clientOptions(lc)...)
	if err != nil {
		return exitCode(e, err)
	}
	defer c.Close()

	target := pos[0]
	var res *riptide.Result
	switch {
	case target == "-":
		html, rerr := readCapped(e.stdin)
		if rerr != nil {
			fmt.Fprintln(e.stderr, "riptide: read stdin:", rerr)
			return exitInvalid
		}
		res, err = c.ExtractHTML(ctx, "", html)
	case isURL(target):
		res, err = c.Extract(ctx, target)
	default:
		f, oerr := os.Open(target)
		if oerr != nil {
			fmt.Fprintln(e.stderr, "riptide:", oerr)
			return exitInvalid
		}
		html, rerr := readCapped(f)
		f.Close()
		if rerr != nil {
			fmt.Fprintln(e.stderr, "riptide: read file:", rerr)
			return exitInvalid
		}
		res, err = c.ExtractHTML(ctx, "", html)
	}
	if err != nil {
		return exitCode(e, err)
	}
	return printResult(e.stdout, res, *format)
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.Contains(s, "://")
}

func readCapped(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInputBytes {
		return nil, fmt.Errorf("input is larger than %d bytes", maxInputBytes)
	}
	return b, nil
}

func printResult(w io.Writer, res *riptide.Result, format string) int {
	switch format {
	case "markdown":
		fmt.Fprintln(w, strings.TrimRight(res.Document.Markdown, "\n"))
	case "text":
		fmt.Fprintln(w, strings.TrimRight(res.Document.Text, "\n"))
	default:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			return exitInternal
		}
	}
	return exitOK
}
