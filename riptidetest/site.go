// Package riptidetest helps test code that uses riptide: a local demo site
// served on 127.0.0.1, fakes of the engine interfaces, and conformance
// suites for custom engines.
//
// Nothing here touches the internet. A Client pointed at a [Site] needs
// [riptide.AllowPrivateNetworks], since the site listens on loopback.
package riptidetest

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

//go:embed site
var siteFS embed.FS

// Site is a small multi-page web site served on 127.0.0.1:
//
//	/                          home page linking to everything
//	/articles/                 a listing page
//	/articles/*.html           three articles with metadata (JSON-LD,
//	                           OpenGraph, Dublin Core, microdata, a table)
//	/js/app.html               a page whose content is built by JavaScript
//	/api/buoys.json            the JSON that page fetches
//	/about.html                a plain page
//	/robots.txt, /sitemap.xml  robots rules (Disallow: /private/) and a sitemap
//	/private/secret.html       a page robots.txt disallows
//	/old/rip-currents          a 301 redirect to an article
//	/loop/a, /loop/b           a redirect loop
//	/slow?ms=N                 answers after N ms (default 2000), or when the
//	                           client goes away
//	/broken                    always 500
//	/gen/N.html                generated pages 0..Pages-1, each linking to
//	                           the next ones (for crawl benchmarks)
//
// Close it when done.
type Site struct {
	srv      *httptest.Server
	pages    int
	requests atomic.Int64
}

// SiteOption configures NewSite.
type SiteOption func(*Site)

// WithGeneratedPages makes the site serve n generated pages under /gen/.
func WithGeneratedPages(n int) SiteOption { return func(s *Site) { s.pages = n } }

// NewSite starts the demo site.
func NewSite(opts ...SiteOption) *Site {
	s := &Site{}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(s.handler())
	return s
}

// URL returns the absolute URL of path on the site ("/" when empty).
func (s *Site) URL(path string) string {
	if path == "" {
		path = "/"
	}
	return s.srv.URL + path
}

// Requests returns how many requests the site has served.
func (s *Site) Requests() int64 { return s.requests.Load() }

// Close stops the site and closes its connections.
func (s *Site) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func (s *Site) handler() http.Handler {
	sub, _ := fs.Sub(siteFS, "site")
	files := http.FileServerFS(sub)
	mux := http.NewServeMux()
	mux.Handle("/", files)
	mux.HandleFunc("/private/", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Private", "<p>This page is disallowed by robots.txt.</p>")
	})
	mux.HandleFunc("/sitemap.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
		for _, p := range []string{"/", "/articles/rip-currents.html", "/articles/tide-tables.html", "/articles/kelp-forests.html", "/about.html"} {
			fmt.Fprintf(&b, "<url><loc>%s</loc></url>\n", s.URL(p))
		}
		b.WriteString("</urlset>\n")
		_, _ = w.Write([]byte(b.String()))
	})
	mux.HandleFunc("/api/buoys.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"updated":"2026-03-12T09:00:00Z","buoys":3}`))
	})
	mux.HandleFunc("/old/rip-currents", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/articles/rip-currents.html", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/loop/a", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop/b", http.StatusFound)
	})
	mux.HandleFunc("/loop/b", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop/a", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms < 0 {
			ms = 2000
		}
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
			page(w, "Slow", fmt.Sprintf("<p>This page took %d milliseconds to answer.</p>", ms))
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "internal error", http.StatusInternalServerError)
	})
	mux.HandleFunc("/gen/", s.generated)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		mux.ServeHTTP(w, r)
	})
}

// generated serves /gen/N.html: an article-like page linking to the next
// pages, so a crawl from /gen/0.html reaches every page.
func (s *Site) generated(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/gen/"), ".html")
	n, err := strconv.Atoi(name)
	if err != nil || n < 0 || n >= s.pages {
		http.NotFound(w, r)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<p>Generated page %d of %d. Each page of this site carries a few paragraphs of text so that the extractor has real work to do, and links to the pages after it so that a crawler starting at the first page reaches every page.</p>", n, s.pages)
	for i := range 3 {
		fmt.Fprintf(&b, "<p>Paragraph %d of page %d: the tide rises and falls twice a day on most coasts, pulled by the moon and, to a lesser extent, by the sun. Sailors plan around it, and so do the birds that feed on the exposed mud.</p>", i+1, n)
	}
	b.WriteString("<ul>")
	for _, next := range []int{2*n + 1, 2*n + 2} {
		if next < s.pages {
			fmt.Fprintf(&b, `<li><a href="/gen/%d.html">Page %d</a></li>`, next, next)
		}
	}
	b.WriteString("</ul>")
	page(w, fmt.Sprintf("Generated page %d", n), b.String())
}

func page(w http.ResponseWriter, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%s</title></head><body><nav><a href="/">Home</a></nav><main><h1>%s</h1>%s</main></body></html>`, title, title, body)
}
