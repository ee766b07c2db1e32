// Crawl starts riptide's embedded demo site on 127.0.0.1, crawls its
// generated pages from the first one, following links on the same host,
// and writes the crawl's events to standard output as NDJSON: a start
// event, one result or error event per page, progress events, and a
// summary. It needs no internet.
//
//	go run ./examples/crawl | jq -c 'select(.type != "result")'
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/riptidetest"
	"github.com/riptide-go/riptide/stream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "crawl:", err)
		os.Exit(1)
	}
}

// run crawls the demo site's 60 generated pages and writes the events to w.
func run(ctx context.Context, w io.Writer) error {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(60))
	defer site.Close()

	// The demo site listens on loopback, which a Client refuses by default.
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithPerHostLimit(4, 0))
	if err != nil {
		return err
	}
	defer c.Close()

	crawl := c.Crawl(ctx, riptide.CrawlRequest{
		URLs:        []string{site.URL("/gen/0.html")},
		Follow:      riptide.ScopeSameHost,
		Include:     []string{`/gen/`},
		MaxDepth:    10,
		Concurrency: 4,
	})
	// Events adds the start, progress and summary events; NDJSON writes
	// one complete line per event.
	return stream.NDJSON(ctx, w, riptide.Events(ctx, crawl, "crawl"))
}
