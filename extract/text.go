package extract

import "golang.org/x/net/html"

// writeText writes the plain text of n, paragraphs separated by a blank line.
func writeText(n *html.Node) string { return "" }
