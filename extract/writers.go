package extract

import (
	"net/url"

	"golang.org/x/net/html"
)

// writeMarkdown writes the content subtree as CommonMark with GFM tables.
func writeMarkdown(content *html.Node, base *url.URL) string { return "" }

// writeHTML writes the content subtree as cleaned HTML.
func writeHTML(content *html.Node, base *url.URL) string { return "" }

// collectLinks lists every link of the page, marking those inside content.
func collectLinks(root, content *html.Node, base *url.URL) []Link { return nil }

// collectMedia lists the media of the content subtree.
func collectMedia(content *html.Node, base *url.URL) []Media { return nil }

// collectTables lists the data tables of the content subtree.
func collectTables(content *html.Node) []Table { return nil }

// scoreQuality computes the 0-100 quality score and its parts.
func scoreQuality(doc *Document, s contentStats) Quality { return Quality{} }
