package extract

import (
	"net/url"

	"golang.org/x/net/html"
)

// readMetadata fills doc's metadata fields (title, authors, dates, site,
// description, language, categories, tags, favicon, lead image, canonical
// URL, schema, OpenGraph, Twitter, robots) from the whole page.
func readMetadata(root *html.Node, base *url.URL, in Input, doc *Document) {}
