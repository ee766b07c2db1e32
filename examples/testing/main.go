// Testing shows how to unit-test a service built on riptide without a
// network or a browser: the service depends on a Client configured by the
// caller, and its test gives the Client riptidetest fakes.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/riptide-go/riptide"
)

// Summarizer is a host service: it returns the first sentence of a page.
type Summarizer struct {
	Client *riptide.Client
}

// Summary returns the first sentence of the page at url.
func (s *Summarizer) Summary(ctx context.Context, url string) (string, error) {
	res, err := s.Client.Extract(ctx, url)
	if err != nil {
		return "", fmt.Errorf("summary of %s: %w", url, err)
	}
	text := strings.TrimSpace(res.Document.Text)
	if i := strings.Index(text, ". "); i >= 0 {
		text = text[:i+1]
	}
	return text, nil
}

func main() {
	c, err := riptide.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer c.Close()
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: testing URL")
		os.Exit(2)
	}
	s := &Summarizer{Client: c}
	sum, err := s.Summary(context.Background(), os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(sum)
}
