package extract

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

var fuzzSeeds = []string{
	`<h1>T</h1><p>a <em>b</em> <a href="/x">c</a></p><ul><li>1<ol><li>2</li></ol></li></ul>`,
	"<pre><code class=\"language-go\">a```b</code></pre><blockquote><blockquote>q</blockquote></blockquote>",
	`<table><tr><th colspan=3>h</th></tr><tr><td rowspan=0>a</td><td>b|c</td></tr></table>`,
	`<p>x<sup><a href="#f">1</a></sup></p><div id="f">note</div><img srcset="a.png 1x, b.png 2x">`,
	`<script type="application/ld+json">{"@graph":[{"@type":"Article","headline":"h","author":{"name":"A"}}]}</script>`,
	`<meta property="og:title" content="t"><title>x | y</title><time datetime="2020-01-02">d</time>`,
	`<div itemscope itemtype="https://schema.org/Article"><span itemprop="author">By A and B</span></div>`,
	"\xff\xfe<p>\x00</p>",
}

func FuzzWriteMarkdown(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	base, _ := url.Parse("https://example.com/a/")
	f.Fuzz(func(t *testing.T, src string) {
		root, err := html.Parse(strings.NewReader(src))
		if err != nil {
			return
		}
		for _, out := range []string{writeMarkdown(root, base), writeHTML(root, base), writeMarkdown(root, &url.URL{})} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 in %q", out)
			}
			if strings.Contains(out, "\n\n\n") && !strings.Contains(src, "pre") && !strings.Contains(src, "textarea") {
				t.Fatalf("more than one blank line in a row: %q", out)
			}
		}
		for _, tb := range collectTables(root) {
			_ = tb.CSV()
			if md := tb.Markdown(); !utf8.ValidString(md) {
				t.Fatalf("invalid UTF-8 in table %q", md)
			}
		}
		_ = collectLinks(root, root, base)
		_ = collectMedia(root, base)
	})
}

func FuzzReadMetadata(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	base, _ := url.Parse("https://example.com/2020/01/02/a")
	f.Fuzz(func(t *testing.T, src string) {
		root, err := html.Parse(strings.NewReader(src))
		if err != nil {
			return
		}
		doc := &Document{}
		readMetadata(root, base, Input{ContentLanguage: src[:min(len(src), 8)], LastModified: src[:min(len(src), 30)]}, doc)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		for _, s := range append([]string{doc.Title, doc.SiteName, doc.Description, doc.Language, doc.Published, doc.Modified, doc.CanonicalURL, doc.LeadImage}, doc.Authors...) {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 %q", s)
			}
		}
		if !json.Valid(b) {
			t.Fatal("invalid JSON")
		}
	})
}
