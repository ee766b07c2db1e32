// Extract fetches one URL and prints its title and main text as Markdown.
//
//	go run ./examples/extract https://example.org/article
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/riptide-go/riptide"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: extract URL")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, url string, opts ...riptide.Option) error {
	c, err := riptide.New(opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.Extract(ctx, url)
	if err != nil {
		return err
	}
	d := res.Document
	fmt.Fprintf(w, "# %s\n\n", d.Title)
	if len(d.Authors) > 0 || d.Published != "" {
		fmt.Fprintf(w, "%v %s\n\n", d.Authors, d.Published)
	}
	fmt.Fprintln(w, d.Markdown)
	return nil
}
