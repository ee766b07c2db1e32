package htmltree_test

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/net/html"

	"github.com/riptide-go/riptide/extract/wasm/htmltree"
)

// The host encodes the tree it parsed; the guest rebuilds it.
func Example() {
	root, err := html.Parse(strings.NewReader(`<p class=lead>Hello, <b>world</b>`))
	if err != nil {
		fmt.Println(err)
		return
	}
	buf, err := htmltree.Append(nil, root)
	if err != nil {
		fmt.Println(err)
		return
	}
	tree, err := htmltree.Decode(buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := html.Render(os.Stdout, tree); err != nil {
		fmt.Println(err)
	}
	// Output:
	// <html><head></head><body><p class="lead">Hello, <b>world</b></p></body></html>
}
