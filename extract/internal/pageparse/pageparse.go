// Package pageparse gives the WebAssembly host the native engine's parser,
// so that it can hand a guest the tree package extract would build.
package pageparse

import (
	"context"

	"golang.org/x/net/html"
)

// Parse parses page (UTF-8) exactly as [extract.Native.Extract] does
// before it looks for content: a page that is not markup is refused with
// extract.ErrInvalidHTML; script and style text is left out; and a token
// scan replaces the tree when the tree parser gives up or the page has
// more than maxNodes tags (0: the default budget), and degraded is then
// true. Package extract
// sets it when it is initialised, so it is set wherever extract is
// imported.
var Parse func(ctx context.Context, page []byte, maxNodes int) (root *html.Node, degraded bool, err error)
