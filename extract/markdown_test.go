package extract

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// parseBody parses an HTML fragment as a page and returns its body.
func parseBody(t testing.TB, src string) *html.Node {
	t.Helper()
	root, err := html.Parse(strings.NewReader(src))
	require.NoError(t, err)
	var body *html.Node
	var find func(n *html.Node)
	find = func(n *html.Node) {
		for c := n.FirstChild; c != nil && body == nil; c = c.NextSibling {
			if isElem(c, atom.Body) {
				body = c
				return
			}
			find(c)
		}
	}
	find(root)
	require.NotNil(t, body)
	return body
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

func TestWriteMarkdown(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"headings", `<h1>Title</h1><h2>Sub <em>title</em></h2><h6>Six</h6>`,
			"# Title\n\n## Sub *title*\n\n###### Six"},
		{"paragraphs", `<p>One   two
			three.</p><p>Four.</p>`, "One two three.\n\nFour."},
		{"emphasis", `<p>a <strong>bold</strong> and <em>it</em>, <b> b </b>x<i>i</i>y <del>gone</del> <code>x := 1</code></p>`,
			"a **bold** and *it*, **b** x*i*y ~~gone~~ `x := 1`"},
		{"code with backticks", "<p><code>a`b</code> and <code>`x`</code></p>",
			"``a`b`` and `` `x` ``"},
		{"links", `<p>See <a href="/docs?a=1">the docs</a> and <a href="https://other.org/x y">other</a>.</p>`,
			"See [the docs](https://example.com/docs?a=1) and [other](https://other.org/x%20y)."},
		{"javascript link is text", `<p><a href="javascript:alert(1)">click</a></p>`, "click"},
		{"empty link dropped", `<p>a<a href="/x"></a>b</p>`, "ab"},
		{"images", `<p><img src="/i.png" alt="An [image]"> <img data-src="lazy.jpg" src="data:image/gif;base64,R0lGOD"></p>`,
			`![An \[image\]](https://example.com/i.png) ![](https://example.com/a/lazy.jpg)`},
		{"picture without img src", `<picture><source srcset="/a.webp 1x, /b.webp 2x"><img alt="p"></picture>`, "![p](https://example.com/b.webp)"},
		{"linked image", `<a href="/big.png"><img src="/small.png" alt="pic"></a>`,
			"[![pic](https://example.com/small.png)](https://example.com/big.png)"},
		{"unordered list", `<ul><li>one</li><li>two<ul><li>two.a</li><li>two.b</li></ul></li><li>three</li></ul>`,
			"- one\n- two\n  - two.a\n  - two.b\n- three"},
		{"ordered list start", `<ol start="3"><li>c</li><li>d<ol><li>x</li></ol></li></ol>`,
			"3. c\n4. d\n   1. x"},
		{"list items with paragraphs", `<ul><li><p>a</p><p>b</p></li><li><p>c</p></li></ul>`,
			"- a\n\n  b\n- c"},
		{"code block", `<pre><code class="language-go">func main() {
	fmt.Println("hi")
}
</code></pre>`, "```go\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n```"},
		{"code block fence", "<pre class=\"lang-md\">a\n```\nb</pre>", "````md\na\n```\nb\n````"},
		{"code block blank lines", "<pre>a\n\n\nb</pre>", "```\na\n\n\nb\n```"},
		{"blockquote", `<p>x</p><blockquote><p>q1</p><p>q2</p><blockquote>deep</blockquote></blockquote><p>y</p>`,
			"x\n\n> q1\n>\n> q2\n>\n> > deep\n\ny"},
		{"line break", `<p>a<br>b<br></p><p>c</p>`, "a  \nb\n\nc"},
		{"rule", `<p>a</p><hr><p>b</p>`, "a\n\n---\n\nb"},
		{"escaping", `<p>*not* _em_ [x] 2 &lt;b&gt; a_b snake_case &amp;amp; ~~s~~</p><p># not heading</p><p>1. not list</p><p>- no</p>`,
			"\\*not\\* \\_em\\_ \\[x\\] 2 \\<b> a_b snake_case \\&amp; \\~\\~s\\~\\~\n\n\\# not heading\n\n1\\. not list\n\n\\- no"},
		{"no double blank lines", `<div><p>a</p><div></div><p></p><div><div><p>b</p></div></div></div>`, "a\n\nb"},
		{"table", `<table><thead><tr><th>A</th><th>B|C</th></tr></thead><tbody><tr><td colspan="2">wide <a href="/l">link</a></td></tr><tr><td>1</td><td>2</td></tr></tbody></table>`,
			"| A | B\\|C |\n| --- | --- |\n| wide [link](https://example.com/l) | wide [link](https://example.com/l) |\n| 1 | 2 |"},
		{"bold header cells", `<table><tr><td><b>a</b></td><td><strong>b</strong> c</td></tr><tr><td>1</td><td>2</td></tr></table>`,
			"| a | **b** c |\n| --- | --- |\n| 1 | 2 |"},
		{"footnote link around sup", `<p>x<a href="#n1" id="r1"><sup>[1]</sup></a></p><div id="n1"><a href="#r1">^</a> The note.</div>`,
			"x[^1]\n\n[^1]: The note."},
		{"layout table is blocks", `<table><tr><td><p>only cell</p></td></tr></table>`, "only cell"},
		{"footnotes", `<p>Claim<sup id="r1"><a href="#fn1">1</a></sup> and more<sup><a href="#fn2">[2]</a></sup>.</p><ol class="footnotes"><li id="fn1">First note. <a href="#r1">↩</a></li><li id="fn2">Second <em>note</em>.</li></ol>`,
			"Claim[^1] and more[^2].\n\n[^1]: First note.\n[^2]: Second *note*."},
		{"scripts dropped", `<p>a<script>var x = 1;</script><style>p{}</style>b</p><noscript>ns</noscript><div hidden>h</div>`, "ab"},
		{"definition list", `<dl><dt>Term</dt><dd>Def</dd></dl>`, "Term\n\nDef"},
		{"list in blockquote", `<blockquote><ul><li>a</li><li>b</li></ul></blockquote>`, "> - a\n> - b"},
		{"strong around block", `<strong><p>a</p><p>b</p></strong>`, "a\n\nb"},
		{"nested emphasis", `<p><em>a <strong>b</strong> c</em></p>`, "*a **b** c*"},
		{"inline spacing", `<p>a<span> b </span>c <em> d </em>e</p>`, "a b c *d* e"},
		{"heading with link", `<h2><a href="#s">Section</a></h2>`, "## [Section](https://example.com/a/b.html#s)"},
		{"list after paragraph", `<p>a</p><ol><li>x</li><li>y</li></ol><p>b</p>`, "a\n\n1. x\n2. y\n\nb"},
		{"adjacent emphasis merges", `<p><em>a</em><em>b</em> <strong>c</strong><strong>d</strong></p>`, "*ab* **cd**"},
		{"emphasis ending in punctuation", `<p><strong>Note:</strong>text, <em>etc.</em>, <b>(x)</b>y</p>`, "**Note:** text, *etc.*, **(x)** y"},
		{"heading ending in hash", `<h2>Learn C#</h2>`, "## Learn C\\#"},
		{"code block in list", "<ul><li><pre>a\nb</pre></li></ul>", "- ```\n  a\n  b\n  ```"},
		{"figure", `<figure><img src="f.png" alt="f"><figcaption>The caption</figcaption></figure>`,
			"![f](https://example.com/a/f.png)\n\nThe caption"},
		{"caption", `<table><caption>Scores</caption><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>`,
			"*Scores*\n\n| a | b |\n| --- | --- |\n| 1 | 2 |"},
	}
	base := mustURL(t, "https://example.com/a/b.html")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := writeMarkdown(parseBody(t, c.in), base)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestWriteMarkdownNoBase(t *testing.T) {
	got := writeMarkdown(parseBody(t, `<p><a href="/x">x</a> <img src="i.png" alt=""></p>`), &url.URL{})
	assert.Equal(t, "[x](/x) ![](i.png)", got)
}

func TestWriteMarkdownHostile(t *testing.T) {
	// Deep nesting, many emphasis levels and invalid UTF-8 stay bounded
	// and valid.
	deep := strings.Repeat("<div><em><a href=/x>", 160) + "x\xff\xfe" + strings.Repeat("</a></em></div>", 160)
	got := writeMarkdown(parseBody(t, deep), &url.URL{})
	assert.Contains(t, got, "x")
	assert.True(t, strings.Contains(got, "\uFFFD") || !strings.ContainsAny(got, "\xff"))
	lists := strings.Repeat("<ul><li>", 250) + "y" + strings.Repeat("</li></ul>", 250)
	got = writeMarkdown(parseBody(t, lists), &url.URL{})
	assert.Contains(t, got, "y")
}
