package extract

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/riptide-go/riptide/extract/internal/textenc"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// treeWithoutRawText renders the tree html.Parse builds from page, without
// the text of script (other than +json types) and style elements, so
// that a page and its elided copy can be compared.
func treeWithoutRawText(t testing.TB, page []byte) string {
	t.Helper()
	root, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var b strings.Builder
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		fmt.Fprintf(&b, "%*s%d %q %q %q\n", depth, "", n.Type, n.Namespace, n.Data, n.Attr)
		skipText := n.Type == html.ElementNode && n.Namespace == "" &&
			(n.DataAtom == atom.Style || n.DataAtom == atom.Script && !strings.Contains(strings.ToLower(attrOf(n, "type")), "+json"))
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if skipText && c.Type == html.TextNode {
				continue
			}
			walk(c, depth+1)
		}
	}
	walk(root, 0)
	return b.String()
}

func checkElided(t testing.TB, page []byte) []byte {
	t.Helper()
	got := elideRawText(page)
	if want, have := treeWithoutRawText(t, page), treeWithoutRawText(t, got); want != have {
		t.Fatalf("elided page parses differently\npage:   %q\nelided: %q\nwant:\n%s\nhave:\n%s", page, got, want, have)
	}
	return got
}

func TestElideRawText(t *testing.T) {
	for _, tc := range []struct {
		name, page, want string
	}{
		{"script and style", `<head><style>p{x:y}</style><script>var a = "<p>";</script></head><p>t</p>`,
			`<head><style></style><script></script></head><p>t</p>`},
		{"case and attributes", `<SCRIPT src="a>b" data-x='</script>'>x</SCRIPT ><Style media=all>y</sTyLe>`,
			`<SCRIPT src="a>b" data-x='</script>'></SCRIPT ><Style media=all></sTyLe>`},
		{"json-ld kept", `<script type="application/LD+JSON">{"a":1}</script><script>b()</script>`,
			`<script type="application/LD+JSON">{"a":1}</script><script></script>`},
		{"reference in the tag keeps it", `<script type="application/ld&#43;json">{}</script>`,
			`<script type="application/ld&#43;json">{}</script>`},
		{"end tag needs a delimiter", `<script>a</scripts>b</script>c`, `<script></script>c`},
		{"end tag at the very end", `<script>a</script`, `<script>a</script`},
		{"unclosed script", `<p>x<script>a`, `<p>x<script>a`},
		{"escaped script stops the scan", `<script><!-- a </script> b`, `<script><!-- a </script> b`},
		{"comment hides a script", `<!-- <script> --><script>x</script>`, `<!-- <script> --><script></script>`},
		{"short comments", `<!--><script>x</script><!---><style>y</style>`, `<!--><script></script><!---><style></style>`},
		{"comment with --!>", `<!-- a --!><script>x</script>`, `<!-- a --!><script></script>`},
		{"comment with dashes", `<!-- a -- b ---><script>x</script>`, `<!-- a -- b ---><script></script>`},
		{"title is RCDATA", `<title><script>x</script></title><script>y</script>`, `<title><script>x</script></title><script></script>`},
		{"textarea", `<textarea></textarea ><style>x</style></textarea>`, `<textarea></textarea ><style></style></textarea>`},
		{"noscript stepped over", `<noscript><style>x</style></noscript><style>y</style>`, `<noscript><style>x</style></noscript><style></style>`},
		{"svg stops the scan", `<style>a</style><svg><style>b</style></svg><style>c</style>`, `<style></style><svg><style>b</style></svg><style>c</style>`},
		{"math stops the scan", `<MATH><style>b</style></MATH><style>c</style>`, `<MATH><style>b</style></MATH><style>c</style>`},
		{"plaintext", `<plaintext><script>x</script>`, `<plaintext><script>x</script>`},
		{"self-closing script is raw", `<script/>x</script><p>`, `<script/></script><p>`},
		{"equals first in a name", `<a =">"><script>x</script>`, `<a =">"><script></script>`},
		{"slash in attributes", `<a / b=/ c/="'"><script>x</script>`, `<a / b=/ c/="'"><script></script>`},
		{"unquoted value with quote", `<a b=x"y><script>x</script>`, `<a b=x"y><script></script>`},
		{"bogus comments", `<?php echo "<script>" ?><! x ><script>y</script></ 3><style>z</style>`, `<?php echo "<script>" ?><! x ><script></script></ 3><style></style>`},
		{"empty end tag", `</><script>y</script>`, `</><script></script>`},
		{"doctype", `<!DOCTYPE html><script>y</script>`, `<!DOCTYPE html><script></script>`},
		{"unclosed tag", `<script>y</script><p a="`, `<script></script><p a="`},
		{"nothing to remove", `<p>a<b>c</b></p>`, `<p>a<b>c</b></p>`},
		{"lone angles", `a < b <`, `a < b <`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkElided(t, []byte(tc.page))
			if string(got) != tc.want {
				t.Errorf("elideRawText(%q)\n got %q\nwant %q", tc.page, got, tc.want)
			}
		})
	}
}

func TestElideRawTextNoCopy(t *testing.T) {
	page := []byte(`<p>no script here</p>`)
	if got := elideRawText(page); &got[0] != &page[0] {
		t.Error("a page with nothing to remove was copied")
	}
}

// TestElideRawTextBenchmarkPages: on every page of the article benchmark,
// the elided page parses to the same tree less the removed text.
func TestElideRawTextBenchmarkPages(t *testing.T) {
	pages := benchPages(t)
	var before, after int
	for _, page := range pages {
		page = textenc.ToUTF8(page, "")
		before += len(page)
		after += len(checkElided(t, page))
	}
	t.Logf("%d pages: %d bytes, %d after elision (%.1f%% removed)", len(pages), before, after, 100*float64(before-after)/float64(before))
}

// FuzzElideRawText: for any input, the elided page parses to the same
// tree as the input, less the text of script and style elements.
func FuzzElideRawText(f *testing.F) {
	for _, s := range []string{
		`<script>a</script><style>b</style>`,
		`<script><!--<script></script>--></script>x`,
		`<svg><style><p>x</style></svg><style>y</style>`,
		`<noscript><script>a</noscript><script>b</script>`,
		`<a b='>' c=">" =d/><script type=x+json>{}</script>`,
		`<!-- --!><!--><title></title ><textarea><style></textarea>`,
		`<table><script>x</script><tr><td><style>y</style>`,
		`<select><textarea>a</textarea><script>b</script>`,
		`<template><script>a</script></template><frameset><style>s</style>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		checkElided(t, page)
	})
}

func BenchmarkElideRawText(b *testing.B) {
	pages := benchPages(b)
	var n int64
	for _, p := range pages {
		n += int64(len(p))
	}
	b.SetBytes(n / int64(len(pages)))
	i := 0
	for b.Loop() {
		elideRawText(pages[i%len(pages)])
		i++
	}
}
