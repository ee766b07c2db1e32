package riptidetest_test

import (
	"context"
	"fmt"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/riptidetest"
)

// A Client pointed at the local demo site; it needs AllowPrivateNetworks
// because the site listens on 127.0.0.1.
func ExampleNewSite() {
	site := riptidetest.NewSite()
	defer site.Close()

	c, err := riptide.New(riptide.AllowPrivateNetworks())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	res, err := c.Extract(context.Background(), site.URL("/articles/kelp-forests.html"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Document.Title, res.NoIndex)
	// Output: Kelp forests are growing back in cold water true
}

// A fake fetcher serves pages from memory, so a service built on a Client
// can be tested without a network.
func ExampleFetcher() {
	f := &riptidetest.Fetcher{}
	f.SetPage("https://news.example/a", `<html><head><title>Harbour reopens</title></head>
<body><article><p>The harbour reopened on Monday after a week of repairs to the sea wall.</p></article></body></html>`)
	c, err := riptide.New(riptide.WithFetcher(f))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	res, err := c.Extract(context.Background(), "https://news.example/a")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Document.Title, len(f.Calls()))
	// Output: Harbour reopens 1
}
