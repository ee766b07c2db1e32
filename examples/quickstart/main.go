// Quickstart starts riptide's embedded demo site on 127.0.0.1, extracts a
// few of its pages and prints one JSON line per result. It needs no
// internet.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/riptidetest"
)

// line is what quickstart prints for each page.
type line struct {
	URL       string   `json:"url"`
	Status    int      `json:"status"`
	Engine    string   `json:"engine"`
	Title     string   `json:"title"`
	Authors   []string `json:"authors,omitempty"`
	Published string   `json:"published,omitempty"`
	Language  string   `json:"language,omitempty"`
	Words     int      `json:"word_count"`
	Quality   int      `json:"quality"`
	Excerpt   string   `json:"excerpt"`
	Millis    float64  `json:"ms"`
	Error     string   `json:"error,omitempty"`
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	site := riptidetest.NewSite()
	defer site.Close()

	// The demo site listens on loopback, which a Client refuses by default.
	c, err := riptide.New(riptide.AllowPrivateNetworks())
	if err != nil {
		return err
	}
	defer c.Close()

	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, path := range []string{
		"/articles/rip-currents.html",
		"/articles/tide-tables.html",
		"/articles/kelp-forests.html",
		"/old/rip-currents",    // a redirect
		"/private/secret.html", // disallowed by robots.txt
	} {
		l := line{URL: site.URL(path)}
		res, err := c.Extract(ctx, site.URL(path))
		if err != nil {
			l.Error = err.Error()
		} else {
			d := res.Document
			l.Status, l.Engine = res.Status, string(res.Engine)
			l.Title, l.Authors, l.Published, l.Language = d.Title, d.Authors, d.Published, d.Language
			l.Words, l.Quality = d.WordCount, d.Quality.Score
			l.Excerpt = excerpt(d.Text, 100)
			l.Millis = float64(res.Timings.Total.Microseconds()) / 1000
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

func excerpt(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
