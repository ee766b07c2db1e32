package extract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/internal/textenc"
	"github.com/riptide-go/riptide/internal/extractbench"
	"github.com/riptide-go/riptide/internal/testenv"
)

// comparableDoc is doc as JSON, less its duration.
func comparableDoc(t *testing.T, doc *extract.Document) string {
	t.Helper()
	d := *doc
	d.Meta.Duration = 0
	b, err := json.Marshal(d)
	require.NoError(t, err)
	return string(b)
}

// render is the tree under root as HTML.
func render(t *testing.T, root *html.Node) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, html.Render(&b, root))
	return b.String()
}

// checkExtractNode fails unless ExtractNode on the parsed page gives the
// Document Extract gives, and leaves the tree as it was.
func checkExtractNode(t *testing.T, in extract.Input) {
	t.Helper()
	ctx := context.Background()
	var n extract.Native
	want, err := n.Extract(ctx, in)
	if err != nil {
		t.Skipf("Extract fails: %v", err)
	}
	root, err := html.Parse(bytes.NewReader(textenc.ToUTF8(in.HTML, in.ContentType)))
	require.NoError(t, err)
	before := render(t, root)
	got, err := n.ExtractNode(ctx, in, root)
	require.NoError(t, err)
	assert.Equal(t, comparableDoc(t, want), comparableDoc(t, got))
	assert.Equal(t, before, render(t, root), "the tree is not modified")
	again, err := n.ExtractNode(ctx, in, root)
	require.NoError(t, err)
	assert.Equal(t, comparableDoc(t, got), comparableDoc(t, again))
}

func TestExtractNode(t *testing.T) {
	for name, page := range map[string]string{
		"article":  `<html lang=en><head><title>T - Site</title><script>var x = "<p>code</p>";</script></head><body><nav><a href="/">Home</a></nav><article><h1>T</h1><p>` + strings.Repeat("Words of the article body. ", 30) + `</p><p>More <a href="/x">text</a>.</p><img src="/i.png" alt="i"><table><tr><th>a<th>b<tr><td>1<td>2</table></article></body></html>`,
		"noscript": `<html><body><div id=app></div><noscript><article><p>` + strings.Repeat("Text kept for readers without scripts. ", 10) + `</p></article></noscript></body></html>`,
		"frameset": `<html><head><title>Frames</title></head><frameset><frame src=a></frameset></html>`,
	} {
		t.Run(name, func(t *testing.T) {
			checkExtractNode(t, extract.Input{URL: "https://example.com/a/b", HTML: []byte(page)})
		})
	}
	t.Run("windows-1252", func(t *testing.T) {
		checkExtractNode(t, extract.Input{ContentType: "text/html; charset=windows-1252",
			HTML: []byte("<article><p>Cr\xe8me br\xfbl\xe9e, " + strings.Repeat("a dessert of custard. ", 20) + "</p></article>")})
	})
	for _, mode := range []extract.Mode{extract.ModeFullPage, extract.ModeMetadata} {
		t.Run(string(mode), func(t *testing.T) {
			checkExtractNode(t, extract.Input{HTML: []byte(`<title>x</title><p>` + strings.Repeat("text ", 50)), Options: extract.Options{Mode: mode}})
		})
	}
	t.Run("selectors", func(t *testing.T) {
		checkExtractNode(t, extract.Input{HTML: []byte(`<div id=price>12 EUR</div><p>other</p>`),
			Options: extract.Options{Mode: extract.ModeSelectors, Selectors: []string{"#price"}}})
	})
}

// TestExtractNodeBench: on every page of the article benchmark, ExtractNode
// on the page's tree gives what Extract gives.
func TestExtractNodeBench(t *testing.T) {
	pages, err := extractbench.LoadPages(testenv.BenchDir(t))
	require.NoError(t, err)
	for _, p := range pages {
		t.Run(p.ID, func(t *testing.T) {
			checkExtractNode(t, extract.Input{URL: "https://example.com/" + p.ID, HTML: p.HTML})
		})
	}
}

// TestExtractNodeWithoutHTML: the page itself is optional; without it a
// page whose text is in <noscript> is not read again with scripting off.
func TestExtractNodeWithoutHTML(t *testing.T) {
	ctx := context.Background()
	var n extract.Native
	page := `<html><body><div id=app></div><noscript><article><p>` + strings.Repeat("Text kept for readers without scripts. ", 10) + `</p></article></noscript></body></html>`
	root, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	with, err := n.ExtractNode(ctx, extract.Input{HTML: []byte(page)}, root)
	require.NoError(t, err)
	assert.Contains(t, with.Text, "Text kept")
	without, err := n.ExtractNode(ctx, extract.Input{}, root)
	require.NoError(t, err)
	assert.NotContains(t, without.Text, "Text kept")

	article := `<article><p>` + strings.Repeat("Plain article text. ", 20) + `</p></article>`
	root, err = html.Parse(strings.NewReader(article))
	require.NoError(t, err)
	a, err := n.ExtractNode(ctx, extract.Input{HTML: []byte(article)}, root)
	require.NoError(t, err)
	b, err := n.ExtractNode(ctx, extract.Input{}, root)
	require.NoError(t, err)
	assert.Equal(t, comparableDoc(t, a), comparableDoc(t, b))
}

func TestExtractNodeErrors(t *testing.T) {
	ctx := context.Background()
	var n extract.Native
	root, err := html.Parse(strings.NewReader(`<p>text</p>`))
	require.NoError(t, err)

	_, err = n.ExtractNode(ctx, extract.Input{}, nil)
	assert.ErrorIs(t, err, extract.ErrInvalidHTML)

	_, err = n.ExtractNode(ctx, extract.Input{Options: extract.Options{Mode: "summary"}}, root)
	assert.ErrorIs(t, err, extract.ErrUnsupportedMode)

	_, err = n.ExtractNode(ctx, extract.Input{Options: extract.Options{Mode: extract.ModeSelectors, Selectors: []string{"p >"}}}, root)
	assert.Error(t, err)

	_, err = n.ExtractNode(ctx, extract.Input{HTML: make([]byte, extract.MaxInputBytes+1)}, root)
	assert.ErrorIs(t, err, extract.ErrResourceLimit)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = n.ExtractNode(cctx, extract.Input{}, root)
	assert.ErrorIs(t, err, context.Canceled)

	// An empty document, and a lone element that is not a document.
	_, err = n.ExtractNode(ctx, extract.Input{}, &html.Node{Type: html.DocumentNode})
	assert.ErrorIs(t, err, extract.ErrInvalidHTML)
	_, err = n.ExtractNode(ctx, extract.Input{}, &html.Node{Type: html.ElementNode, Data: "p"})
	assert.ErrorIs(t, err, extract.ErrInvalidHTML)

	// A node budget smaller than the page gives a degraded Document (the
	// budget is checked every thousand nodes).
	big, err := html.Parse(strings.NewReader("<body>" + strings.Repeat("<p>paragraph text</p>", 2000)))
	require.NoError(t, err)
	doc, err := n.ExtractNode(ctx, extract.Input{Options: extract.Options{MaxNodes: 50}}, big)
	require.NoError(t, err)
	assert.True(t, doc.Meta.Degraded)
}

// A tree parsed elsewhere (by html.Parse here, or kept by a library built
// on it) is extracted without parsing the page again.
func ExampleNative_ExtractNode() {
	page := `<html><body><nav><a href="/">Home</a></nav>
<article><h1>Tide tables</h1><p>High water at the harbour is at 06:12 and 18:40 today, with a coefficient of 95, one of the year's largest.</p></article>
</body></html>`
	root, err := html.Parse(strings.NewReader(page))
	if err != nil {
		fmt.Println(err)
		return
	}
	var n extract.Native
	doc, err := n.ExtractNode(context.Background(), extract.Input{URL: "https://example.com/tides"}, root)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(doc.Title)
	fmt.Println(doc.Text)
	// Output:
	// Tide tables
	// High water at the harbour is at 06:12 and 18:40 today, with a coefficient of 95, one of the year's largest.
}
