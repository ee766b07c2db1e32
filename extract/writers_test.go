package extract

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

func TestWriteHTML(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"attributes cleaned",
			`<div class="c" id="i" style="color:red" onclick="x()"><p onmouseover="y()" lang="en">Hi <a href="/p" target="_blank" rel="x">link</a></p></div>`,
			`<p lang="en">Hi <a href="https://example.com/p">link</a></p>`},
		{"empty and bare wrappers dropped",
			`<div><div><div><p><span>a</span> <span class="x"></span></p><div><span></span><div></div></div></div></div><div lang="de"><p>b</p></div></div><div>c<p>d</p></div>`,
			"<p>a</p>\n<div lang=\"de\"><p>b</p></div>\n<div>c\n<p>d</p></div>"},
		{"div around inline content kept", `<div><a href="/x">x</a></div><div><b>y</b></div>`,
			"<div><a href=\"https://example.com/x\">x</a></div>\n<div><b>y</b></div>"},
		{"scripts and styles dropped",
			`<p>a<script>alert(1)</script><style>p{}</style><noscript>n</noscript><template>t</template>b</p><iframe src="//v"></iframe>`,
			`<p>ab</p>`},
		{"javascript urls removed",
			`<p><a href="javascript:alert(1)">x</a><a href=" JaVaScRiPt:alert(1)">y</a><img src="javascript:x"></p>`,
			`<p><a>x</a><a>y</a></p>`},
		{"images resolved, lazy src",
			`<img src="data:image/gif;base64,AA" data-src="/real.jpg" alt="a &quot;q&quot;" width="10" srcset="s.jpg 1x, l.jpg 2x">`,
			`<img src="https://example.com/real.jpg" alt="a &#34;q&#34;" width="10">`},
		{"table spans kept",
			`<table><tr><td colspan="2" rowspan="3" align="left">x</td></tr></table>`,
			`<table><tbody><tr><td colspan="2" rowspan="3">x</td></tr></tbody></table>`},
		{"pre keeps white space",
			"<pre>a\n  b &lt;c&gt;</pre><p>  x \n\n y  </p>",
			"<pre>a\n  b &lt;c&gt;</pre>\n<p>x\ny</p>"},
		{"time datetime", `<time datetime="2024-01-02" class="t">Jan 2</time>`, `<time datetime="2024-01-02">Jan 2</time>`},
		{"forms and custom elements", `<form><input name="q"><button>Go</button></form><my-card><p>in</p></my-card>`, `<p>in</p>`},
		{"comments dropped", `<p>a<!-- secret -->b</p>`, `<p>ab</p>`},
		{"hidden dropped", `<p>a<span hidden>h</span><span aria-hidden="true">i</span>b</p>`, `<p>ab</p>`},
	}
	base := mustURL(t, "https://example.com/a/")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := writeHTML(parseBody(t, c.in), base)
			assert.Equal(t, c.want, got)
			// Well-formed: re-parsing and writing again changes nothing.
			again := writeHTML(parseBody(t, got), base)
			assert.Equal(t, got, again)
			assert.NotContains(t, strings.ToLower(got), "javascript:")
			assert.NotContains(t, strings.ToLower(got), "<script")
			assert.NotContains(t, strings.ToLower(got), " on")
		})
	}
}

func TestCollectLinks(t *testing.T) {
	page := `<html><body>
<nav><a href="/">Home</a> <a href="https://www.example.com/about">About</a> <a href="#top">Top</a></nav>
<article id="main"><p>Read <a href="post/2" rel="NoFollow UGC">the   next
 post</a>, <a href="https://other.org/x">elsewhere</a>, <a href="https://blog.example.com/">blog</a>,
<a href="mailto:me@example.com">mail</a>, <a href="javascript:void(0)">js</a>,
<a href="/a/b.html#section">anchor here</a>, <a href="/img"><img src="i.png" alt="Picture"></a>,
<a href="post/2" rel="nofollow ugc">the next post</a> <a href="/">Home</a></p></article>
</body></html>`
	root, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	content := findByID(root, "main")
	require.NotNil(t, content)
	links := collectLinks(root, content, mustURL(t, "https://example.com/a/b.html"))
	want := []Link{
		{URL: "https://example.com/", Text: "Home", InContent: true},
		{URL: "https://www.example.com/about", Text: "About"},
		{URL: "https://example.com/a/post/2", Text: "the next post", Rel: "nofollow ugc", NoFollow: true, InContent: true},
		{URL: "https://other.org/x", Text: "elsewhere", External: true, InContent: true},
		{URL: "https://blog.example.com/", Text: "blog", External: true, InContent: true},
		{URL: "mailto:me@example.com", Text: "mail", InContent: true},
		{URL: "https://example.com/img", Text: "Picture", InContent: true},
	}
	assert.Equal(t, want, links)

	// A detached copy of the content marks the same links.
	clone := parseBody(t, `<p><a href="https://other.org/x">elsewhere</a> <a href="/new">new</a></p>`)
	links = collectLinks(root, clone, mustURL(t, "https://example.com/a/b.html"))
	require.NotEmpty(t, links)
	for _, l := range links {
		switch l.Text {
		case "elsewhere", "new":
			assert.True(t, l.InContent, l.Text)
		default:
			assert.False(t, l.InContent, l.Text)
		}
	}

	// No base: relative URLs stay relative, nothing is external.
	links = collectLinks(root, content, &url.URL{})
	assert.Equal(t, "/", links[0].URL)
	assert.Equal(t, "post/2", links[2].URL)
	for _, l := range links {
		assert.False(t, l.External, l.URL)
	}
}

func findByID(n *html.Node, id string) *html.Node {
	if n.Type == html.ElementNode && attrOf(n, "id") == id {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findByID(c, id); f != nil {
			return f
		}
	}
	return nil
}

func TestCollectMedia(t *testing.T) {
	page := `
<figure><img src="small.jpg" srcset="small.jpg 320w, /big.jpg 1280w, mid.jpg 640w" alt="A cat" title="Cat" width="320" height="200"><figcaption> The   cat </figcaption></figure>
<img src="x.png" srcset="x.png, x2.png 2x, x3.png 3x">
<img data-lazy-src="lazy.png" src="data:image/gif;base64,R0lG">
<img src="pixel.gif" width="1" height="1">
<picture><source srcset="a.webp 800w, b.webp 1600w" type="image/webp"><img src="fallback.jpg" alt="pic"></picture>
<img srcset="https://cdn.example.com/w_100,h_50/c.jpg 100w, https://cdn.example.com/w_200,h_100/c.jpg 200w">
<video poster="p.jpg"><source src="movie.mp4" type="video/mp4"></video>
<audio src="sound.mp3"></audio>
<iframe src="https://www.youtube.com/embed/abc" title="Video" width="560" height="315"></iframe>
<iframe src="about:blank"></iframe>
<embed src="flash.swf"><object data="doc.pdf"></object>
<img src="small.jpg" srcset="small.jpg 320w, /big.jpg 1280w">
<img class="lazy" src="data:image/gif;base64,R0lG"><noscript><img src="/real.jpg" alt="Real"></noscript>`
	media := collectMedia(parseBody(t, page), mustURL(t, "https://example.com/p/"))
	var got []string
	for _, m := range media {
		got = append(got, string(m.Kind)+" "+m.URL)
	}
	assert.Equal(t, []string{
		"image https://example.com/big.jpg",
		"image https://example.com/p/x3.png",
		"image https://example.com/p/lazy.png",
		"image https://example.com/p/b.webp",
		"image https://cdn.example.com/w_200,h_100/c.jpg",
		"video https://example.com/p/movie.mp4",
		"audio https://example.com/p/sound.mp3",
		"iframe https://www.youtube.com/embed/abc",
		"embed https://example.com/p/flash.swf",
		"embed https://example.com/p/doc.pdf",
		"image https://example.com/real.jpg",
	}, got)
	cat := media[0]
	assert.Equal(t, "A cat", cat.Alt)
	assert.Equal(t, "Cat", cat.Title)
	assert.Equal(t, "The cat", cat.Caption)
	assert.Equal(t, 320, cat.Width)
	assert.Equal(t, 200, cat.Height)
	assert.Equal(t, []SrcsetCandidate{
		{URL: "https://example.com/p/small.jpg", Width: 320},
		{URL: "https://example.com/big.jpg", Width: 1280},
		{URL: "https://example.com/p/mid.jpg", Width: 640},
	}, cat.Srcset)
	assert.Equal(t, []SrcsetCandidate{
		{URL: "https://example.com/p/x.png"},
		{URL: "https://example.com/p/x2.png", Density: 2},
		{URL: "https://example.com/p/x3.png", Density: 3},
	}, media[1].Srcset)
	assert.Len(t, media[3].Srcset, 2)
	assert.Equal(t, "pic", media[3].Alt)
	assert.Equal(t, "Video", media[7].Title)
	assert.Equal(t, 560, media[7].Width)
}

func TestCollectTables(t *testing.T) {
	page := `
<table><caption> Results </caption>
<thead><tr><th rowspan="2">Name</th><th colspan="2">Score</th></tr><tr><th>A</th><th>B</th></tr></thead>
<tbody><tr><td>Ann</td><td>1</td><td rowspan="2">3</td></tr><tr><td>Bob, "B"</td><td>2</td></tr></tbody></table>
<table><tr><td><a href="/1">one</a></td><td><a href="/2">two</a></td></tr></table>
<table><tr><td>only</td></tr></table>
<table role="presentation"><tr><td>a</td><td>b</td></tr></table>
<table><tr><td><table><tr><th>in</th><th>ner</th></tr><tr><td>1</td><td>2</td></tr></table></td><td>x</td></tr></table>
<table><tr><th>k</th><td>v</td></tr><tr><th>k2</th><td>v2</td></tr></table>
<table><tr><td>menu</td><td><h1>Article</h1><p>text</p></td></tr><tr><td>a</td><td>b</td></tr></table>
<table><tr><td>left column</td><td>right column</td></tr></table>`
	tables := collectTables(parseBody(t, page))
	require.Len(t, tables, 3)
	assert.Equal(t, Table{
		Caption:    "Results",
		HeaderRows: 2,
		Rows: [][]string{
			{"Name", "Score", "Score"},
			{"Name", "A", "B"},
			{"Ann", "1", "3"},
			{`Bob, "B"`, "2", "3"},
		},
	}, tables[0])
	assert.Equal(t, [][]string{{"in", "ner"}, {"1", "2"}}, tables[1].Rows)
	assert.Equal(t, 1, tables[1].HeaderRows)
	assert.Equal(t, 0, tables[2].HeaderRows)

	assert.Equal(t, "Name,Score,Score\nName,A,B\nAnn,1,3\n\"Bob, \"\"B\"\"\",2,3\n", tables[0].CSV())
	assert.Equal(t, "_Results_\n\n| Name | Score | Score |\n| --- | --- | --- |\n| Name | A | B |\n| Ann | 1 | 3 |\n| Bob, \"B\" | 2 | 3 |\n", tables[0].Markdown())
	assert.Equal(t, "| a\\|b | c |\n| --- | --- |\n", Table{Rows: [][]string{{"a|b", "c"}}}.Markdown())
	assert.Equal(t, "", Table{}.Markdown())
}

func TestCollectTablesBounded(t *testing.T) {
	page := `<table><tr><td colspan="999999" rowspan="999999">x</td><td>y</td></tr><tr><td>z</td></tr></table>`
	tables := collectTables(parseBody(t, page))
	require.Len(t, tables, 1)
	for _, r := range tables[0].Rows {
		assert.LessOrEqual(t, len(r), maxGridCols)
	}
	assert.Len(t, tables[0].Rows, 2)
}

func TestScoreQuality(t *testing.T) {
	doc := &Document{Title: "T", Authors: []string{"A"}, Published: "2024-01-02", Language: "en",
		Text: strings.Repeat("word ", 476)}
	q := scoreQuality(doc, contentStats{ContentFound: true, TextChars: 2500, LinkChars: 100, Paragraphs: 8, Headings: 2})
	assert.Equal(t, 100, q.Score)
	assert.Equal(t, 476, doc.WordCount)
	assert.Equal(t, 120, doc.ReadingTimeSeconds)

	thin := &Document{Text: "Hi"}
	q = scoreQuality(thin, contentStats{TextChars: 2, LinkChars: 2, Degraded: true})
	assert.Equal(t, 0, q.Score)
	assert.Equal(t, -30, q.Parts["degraded"])
	assert.Equal(t, 1, thin.WordCount)
	assert.Equal(t, 1, thin.ReadingTimeSeconds)
}

func TestCountWords(t *testing.T) {
	cases := []struct {
		in         string
		words, cjk int
	}{
		{"", 0, 0},
		{"Hello, world!", 2, 0},
		{"don't stop-me now 42 times", 5, 0},
		{"Größe über naïve café", 4, 0},
		{"Привет мир", 2, 0},
		{"我们的世界", 0, 5},
		{"日本語のテキスト and English", 2, 8},
		{"  — ... ", 0, 0},
	}
	for _, c := range cases {
		w, k := countWords(c.in)
		assert.Equal(t, c.words, w, c.in)
		assert.Equal(t, c.cjk, k, c.in)
	}
	assert.Equal(t, 60, readingSeconds(0, 500))
	assert.Equal(t, 60, readingSeconds(238, 0))
}

func TestDocumentBase(t *testing.T) {
	base := mustURL(t, "https://example.com/a/b.html")
	cases := []struct{ page, want string }{
		{`<head><base href="/static/"></head><body></body>`, "https://example.com/static/"},
		{`<head><base href="https://cdn.example.org/x/"></head>`, "https://cdn.example.org/x/"},
		{`<head><base target="_blank"><base href="javascript:alert(1)"></head>`, "https://example.com/a/b.html"},
		{`<head></head><body><base href="/late/"></body>`, "https://example.com/a/b.html"},
	}
	for _, c := range cases {
		root, err := html.Parse(strings.NewReader(c.page))
		require.NoError(t, err)
		assert.Equal(t, c.want, documentBase(root, base).String(), c.page)
	}
	root, _ := html.Parse(strings.NewReader(`<head><base href="https://cdn.example.org/"></head>`))
	assert.Equal(t, "https://cdn.example.org/", documentBase(root, &url.URL{}).String())
}
