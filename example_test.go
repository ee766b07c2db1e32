package riptide_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/riptidetest"
)

func ExampleClient_Extract() {
	site := riptidetest.NewSite() // a local demo site on 127.0.0.1
	defer site.Close()

	c, err := riptide.New(riptide.AllowPrivateNetworks())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	res, err := c.Extract(context.Background(), site.URL("/articles/rip-currents.html"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status, res.Document.Title)
	// Output: 200 How rip currents form, and how to escape one
}

func ExampleClient_ExtractHTML() {
	c, err := riptide.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	page := []byte(`<html><head><title>Notes | Example</title><meta property="og:site_name" content="Example"></head>
<body><nav><a href="/">Home</a></nav><article><h1>Notes</h1>
<p>Extraction keeps the article and drops the navigation around it, so the text holds only what a reader came for.</p>
</article></body></html>`)
	res, err := c.ExtractHTML(context.Background(), "https://example.org/notes", page)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Document.Title)
	// Output: Notes
}

func ExampleError() {
	c, err := riptide.New() // private addresses are refused by default
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	_, err = c.Extract(context.Background(), "http://169.254.169.254/latest/meta-data/")
	var re *riptide.Error
	if errors.As(err, &re) {
		fmt.Println(re.Code(), errors.Is(err, riptide.ErrBlocked), re.Retryable())
	}
	// Output: blocked true false
}
