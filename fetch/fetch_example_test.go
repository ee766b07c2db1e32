package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/riptide-go/riptide/fetch"
)

func ExampleNew() {
	// The zero Config gives the defaults: the SSRF guard on, robots.txt
	// obeyed, 10 MiB decoded bodies, 10 redirects, 30 s per fetch.
	f, err := fetch.New(fetch.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()

	// Private, loopback and metadata addresses are refused before any
	// connection is made, in whatever form they are written.
	_, err = f.Fetch(context.Background(), &fetch.Request{URL: "http://0x7f.1/admin"})
	fmt.Println(errors.Is(err, fetch.ErrBlockedAddress))
	_, err = f.Fetch(context.Background(), &fetch.Request{URL: "http://169.254.169.254/latest/meta-data/"})
	fmt.Println(errors.Is(err, fetch.ErrBlockedAddress))
	// Output:
	// true
	// true
}

func ExampleHTTP_Fetch() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nDisallow: /private\n")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=windows-1252")
		fmt.Fprint(w, "<p>Caf\xe9 \x93menu\x94</p>")
	}))
	defer srv.Close()

	// Tests on loopback must opt in to private networks.
	f, err := fetch.New(fetch.Config{AllowPrivateNetworks: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()

	resp, err := f.Fetch(context.Background(), &fetch.Request{URL: srv.URL + "/menu"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status, resp.ContentType, resp.Charset)
	fmt.Println(string(resp.Body))

	_, err = f.Fetch(context.Background(), &fetch.Request{URL: srv.URL + "/private/x"})
	fmt.Println(errors.Is(err, fetch.ErrRobotsDisallowed))
	// Output:
	// 200 text/html windows-1252
	// <p>Café “menu”</p>
	// true
}

func ExampleParseRobots() {
	r := fetch.ParseRobots([]byte(`User-agent: *
Allow: /news/$
Disallow: /news/
Crawl-delay: 2
Sitemap: https://example.com/sitemap.xml
`))
	fmt.Println(r.Allowed("riptide", "/news/"))
	fmt.Println(r.Allowed("riptide", "/news/2026/tides"))
	d, _ := r.CrawlDelay("riptide")
	fmt.Println(d, r.Sitemaps())
	// Output:
	// true
	// false
	// 2s [https://example.com/sitemap.xml]
}
