package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/stream"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runCrawl is "riptide crawl URL... [flags]": it writes the crawl's events
// as NDJSON to stdout or --out, with a progress bar on stderr when stderr
// is a terminal. Page failures are events, not failures of the command:
// it exits 0 when the crawl completed.
func runCrawl(ctx context.Context, e env, args []string) int {
	fs := flag.NewFlagSet("crawl", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var g globals
	g.register(fs, e.getenv)
	depth := fs.Int("depth", -1, "link depth from the seeds (default: crawl.max_depth, 3)")
	maxPages := fs.Int("max-pages", 0, "pages to crawl at most (default: crawl.max_pages, 1000)")
	follow := fs.String("follow", "same_host", "links to follow: same_host|same_domain|any|none")
	concurrency := fs.Int("concurrency", 0, "pages in flight (default: crawl.concurrency, 8; per host: crawl.per_host)")
	order := fs.String("order", "", "result order: completed (default) or input")
	out := fs.String("out", "", "write the NDJSON events to FILE instead of standard output")
	var include, exclude stringList
	fs.Var(&include, "include", "follow only links matching this regular expression (repeatable)")
	fs.Var(&exclude, "exclude", "do not follow links matching this regular expression (repeatable)")
	seeds, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(seeds) == 0 {
		fmt.Fprintln(e.stderr, "usage: riptide crawl [flags] URL...")
		return exitUsage
	}
	lc, err := g.load(fs)
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return exitInvalid
	}
	req := riptide.CrawlRequest{
		URLs:        seeds,
		Concurrency: lc.Crawl.Concurrency,
		MaxDepth:    lc.Crawl.MaxDepth,
		MaxPages:    lc.Crawl.MaxPages,
		Include:     include,
		Exclude:     exclude,
		Order:       riptide.Order(*order),
	}
	if *order == "completed" {
		req.Order = riptide.OrderCompleted
	}
	if *depth >= 0 {
		req.MaxDepth = *depth
	}
	if *maxPages != 0 {
		req.MaxPages = *maxPages
	}
	if *concurrency != 0 {
		req.Concurrency = *concurrency
	}
	switch *follow {
	case "none", "":
		req.Follow = riptide.ScopeNone
	default:
		req.Follow = riptide.Scope(*follow)
	}

	c, err := riptide.New(clientOptions(lc)...)
	if err != nil {
		return exitCode(e, err)
	}
	defer c.Close()

	w := e.stdout
	var file *os.File
	if *out != "" {
		if file, err = os.Create(*out); err != nil {
			fmt.Fprintln(e.stderr, "riptide:", err)
			return exitInvalid
		}
		defer file.Close()
		w = file
	}

	// fatal keeps the error that ended the whole crawl, if any.
	var fatal error
	crawl := func(yield func(*riptide.Result, error) bool) {
		for res, err := range c.Crawl(ctx, req) {
			var re *riptide.Error
			if err != nil && (!errors.As(err, &re) || re.URL == "") {
				fatal = err
			}
			if !yield(res, err) {
				return
			}
		}
	}
	events := c.Events(ctx, crawl, "crawl")
	var bar *progressBar
	if isTerminal(e.stderr) {
		bar = newProgressBar(e.stderr)
		events = bar.observe(events)
		bar.start()
	}
	werr := stream.NDJSON(ctx, w, events)
	if bar != nil {
		bar.stop()
	}
	if file != nil {
		if cerr := file.Close(); cerr != nil && werr == nil {
			werr = cerr
		}
	}
	switch {
	case fatal != nil:
		return exitCode(e, fatal)
	case ctx.Err() != nil:
		return exitCode(e, &riptide.Error{Kind: riptide.KindCanceled, Op: "crawl", Err: context.Cause(ctx)})
	case werr != nil:
		fmt.Fprintln(e.stderr, "riptide: writing the events:", werr)
		return exitInternal
	}
	return exitOK
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressBar redraws one status line on a terminal: pages done, rate and
// errors.
type progressBar struct {
	w       io.Writer
	begin   time.Time
	done    atomic.Int64
	failed  atomic.Int64
	quit    chan struct{}
	stopped sync.WaitGroup
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, begin: time.Now(), quit: make(chan struct{})}
}

// observe counts the events passing through.
func (p *progressBar) observe(events iter.Seq[stream.Event]) iter.Seq[stream.Event] {
	return func(yield func(stream.Event) bool) {
		for ev := range events {
			switch ev.Type {
			case stream.TypeResult:
				p.done.Add(1)
			case stream.TypeError:
				if ev.Error != nil && !ev.Error.Fatal {
					p.failed.Add(1)
				}
			}
			if !yield(ev) {
				return
			}
		}
	}
}

// start redraws the line every 200ms until stop.
func (p *progressBar) start() {
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.draw(false)
			case <-p.quit:
				p.draw(true)
				return
			}
		}
	}()
}

// stop draws the final line and ends the redraws.
func (p *progressBar) stop() {
	close(p.quit)
	p.stopped.Wait()
}

func (p *progressBar) draw(final bool) {
	done, failed := p.done.Load(), p.failed.Load()
	elapsed := time.Since(p.begin)
	rate := float64(done+failed) / max(elapsed.Seconds(), 1e-3)
	const width = 24
	cells := int(time.Since(p.begin)/(200*time.Millisecond)) % (width + 1)
	bar := strings.Repeat("=", cells) + strings.Repeat(" ", width-cells)
	if final {
		bar = strings.Repeat("=", width)
	}
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(p.w, "\r[%s] %d pages, %d errors, %.1f pages/s, %s\x1b[K%s", bar, done, failed, rate,
		elapsed.Truncate(100*time.Millisecond), end)
}
