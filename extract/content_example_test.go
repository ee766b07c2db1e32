package extract_test

import (
	"context"
	"fmt"

	"github.com/riptide-go/riptide/extract"
)

// The native engine keeps the article body and drops the navigation,
// title, byline, share bar and comments around it.
func ExampleNative_Extract() {
	page := `<html><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article>
  <h1>Harbour decision delayed</h1>
  <p class="byline">By Ann Smith, <time>2 January 2026</time></p>
  <p>The council again postponed its decision on dredging the harbour channel, which silts up every winter, to the spring session.</p>
  <p>Fishermen say the larger trawlers, unable to enter at low tide, have already started landing their catch at the deeper port down the coast.</p>
  <div class="share"><a href="https://twitter.com/share">Tweet</a></div>
</article>
<section class="comments"><p>The council has promised this for years, and nothing ever happens, so I doubt anything will change.</p></section>
</body></html>`
	var n extract.Native
	doc, err := n.Extract(context.Background(), extract.Input{HTML: []byte(page)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(doc.Text)
	// Output:
	// The council again postponed its decision on dredging the harbour channel, which silts up every winter, to the spring session.
	//
	// Fishermen say the larger trawlers, unable to enter at low tide, have already started landing their catch at the deeper port down the coast.
}

// ModeSelectors keeps only what the selectors match.
func ExampleNative_Extract_selectors() {
	page := `<div id="price">12.50 EUR</div><div class="note">Prices include VAT.</div><p>Other text</p>`
	var n extract.Native
	doc, err := n.Extract(context.Background(), extract.Input{
		HTML:    []byte(page),
		Options: extract.Options{Mode: extract.ModeSelectors, Selectors: []string{"#price", "div.note"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(doc.Text)
	// Output:
	// 12.50 EUR
	// Prices include VAT.
}
