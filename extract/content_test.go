package extract

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Prose for the fixtures: long enough sentences, with commas, as article
// paragraphs are.
var prose = []string{
	"The harbour town woke early, as it always did, with gulls circling the boats and the smell of salt and diesel drifting up the narrow lanes toward the market square.",
	"Fishermen unloaded their catch onto the quay, sorting mackerel from cod, while the auctioneer called prices in a voice that carried across the water to the lighthouse.",
	"By mid-morning the tourists arrived, cameras ready, and the cafés along the front filled with people who wanted to watch the working harbour without getting their shoes wet.",
	"The council has argued for years about whether to dredge the channel, which silts up every winter, or to let the larger trawlers move to the deeper port further down the coast.",
	"Nobody expects a decision before spring, but the harbour master says the tides this year have made the question urgent, and that the old walls will not last another decade.",
}

func para(i int) string { return "<p>" + prose[i%len(prose)] + "</p>" }

func paras(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(para(i))
	}
	return b.String()
}

const (
	navBlock     = `<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav>`
	sidebarBlock = `<div class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Storm closes ferry route for the weekend</a></li><li><a href="/b">Bakery wins regional prize again this year</a></li><li><a href="/c">New bus timetable starts on Monday</a></li></ul></div>`
	commentBlock = `<div id="comments" class="comments"><h3>12 comments</h3><div class="comment"><p>I grew up in that town and I can tell you, the council has been promising to dredge the channel since before I was born, and nothing ever happens.</p></div><div class="comment"><p>Great article, thanks for writing about the harbour, it deserves more attention from the national papers than it gets.</p></div></div>`
	relatedBlock = `<section class="related-articles"><h2>Related</h2><article><h3><a href="/x">Lighthouse keeper retires after forty years</a></h3><p>The last keeper hands over the keys.</p></article><article><h3><a href="/y">Mackerel prices fall</a></h3><p>A glut in the North Sea.</p></article><article><h3><a href="/z">Ferry strike called off</a></h3><p>Unions reach a deal.</p></article></section>`
	shareBlock   = `<div class="share-buttons"><a href="https://twitter.com/share">Tweet</a> <a href="https://facebook.com/share">Share</a> <a href="mailto:?">Email</a></div>`
	footerBlock  = `<footer><p>© 2026 The Harbour Gazette. All rights reserved. Registered office: 1 Quay Street, Harbour Town.</p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>`
)

func page(body string) string {
	return `<!doctype html><html><head><meta charset="utf-8"><title>Harbour decision delayed again | The Harbour Gazette</title></head><body>` + body + `</body></html>`
}

func extractText(t *testing.T, html string, opts Options) *Document {
	t.Helper()
	var n Native
	doc, err := n.Extract(context.Background(), Input{HTML: []byte(html), Options: opts})
	require.NoError(t, err)
	return doc
}

func TestContentDetection(t *testing.T) {
	cases := []struct {
		name    string
		html    string
		want    []string // must be in the text
		notWant []string // must not be in the text
	}{
		{
			name: "article with nav, sidebar, share, comments, related and footer",
			html: page(navBlock + `<div class="layout"><main><article><h1>Harbour decision delayed again</h1>` +
				`<div class="byline">By Ann Smith <time datetime="2026-01-02">2 January 2026</time></div>` + shareBlock +
				`<div class="article-body">` + paras(5) + `</div>` + shareBlock + `</article>` + commentBlock + relatedBlock + `</main>` + sidebarBlock + `</div>` + footerBlock),
			want:    prose,
			notWant: []string{"Home", "Most read", "Tweet", "I grew up in that town", "Lighthouse keeper", "All rights reserved", "Harbour decision delayed again", "By Ann Smith"},
		},
		{
			name: "list-heavy article",
			html: page(navBlock + `<div id="content"><p>` + prose[0] + `</p><p>What the council must decide, in order:</p><ul>` +
				`<li>Whether to dredge the channel this winter or next</li><li>Who pays for the work, the town or the port authority</li>` +
				`<li>What happens to the old walls, which need repair</li><li>Where the larger trawlers should moor meanwhile</li></ul><p>` + prose[1] + `</p></div>` + sidebarBlock),
			want:    []string{prose[0], "Who pays for the work, the town or the port authority", "Where the larger trawlers should moor meanwhile", prose[1]},
			notWant: []string{"Most read", "Weather"},
		},
		{
			name: "article split across several divs with an ad between",
			html: page(navBlock + `<div class="story"><div class="story-part">` + para(0) + para(1) + `</div>` +
				`<div class="ad-slot"><a href="https://ads.example/c">Buy a boat today, best prices</a></div>` +
				`<div class="story-part">` + para(2) + para(3) + `</div><div class="story-part">` + para(4) + `</div></div>` + sidebarBlock + footerBlock),
			want:    prose,
			notWant: []string{"Buy a boat", "Most read", "All rights reserved"},
		},
		{
			name: "page with a data table",
			html: page(navBlock + `<article>` + para(0) + `<table><caption>Catch by month</caption><tr><th>Month</th><th>Tonnes</th></tr>` +
				`<tr><td>January</td><td>12</td></tr><tr><td>February</td><td>9</td></tr><tr><td>March</td><td>15</td></tr></table>` + para(1) + `</article>` + footerBlock),
			want:    []string{prose[0], "January\t12", "March\t15", prose[1]},
			notWant: []string{"Weather"},
		},
		{
			name: "hidden elements are not text",
			html: page(`<article>` + para(0) + `<p hidden>secret one</p><p style="display: none">secret two</p>` +
				`<p aria-hidden="true">secret three</p><div class="sr-only">secret four</div><p style="visibility:hidden">secret five</p>` + para(1) +
				`<script>var secret = "six";</script><noscript>secret seven</noscript><template><p>secret eight</p></template></article>`),
			want:    []string{prose[0], prose[1]},
			notWant: []string{"secret"},
		},
		{
			name:    "figure captions stay out of the text",
			html:    page(`<article>` + para(0) + `<figure><img src="/boat.jpg" alt="A boat"><figcaption>The trawler Mary Ann in the harbour. Photo: J. Doe</figcaption></figure>` + para(1) + `</article>`),
			want:    []string{prose[0], prose[1]},
			notWant: []string{"Mary Ann", "Photo"},
		},
		{
			name:    "false alarm: the article wrapper carries a boilerplate class",
			html:    page(navBlock + `<div class="entry-content has-sidebar share-enabled">` + paras(5) + `</div>` + sidebarBlock),
			want:    prose,
			notWant: []string{"Most read", "Weather"},
		},
		{
			name: "a list of teasers with truncated summaries above the article",
			html: page(`<div class="ticker"><ul>` + strings.Repeat(`<li><a href="/t">A headline about another story entirely</a> <span>CITY: The first words of that other story, which go on for a while before they are cut...</span></li>`, 5) +
				`</ul></div><div class="main">` + paras(3) + `</div>`),
			want:    []string{prose[0], prose[1], prose[2]},
			notWant: []string{"headline about another story", "first words"},
		},
		{
			name: "several full articles in a row",
			html: page(navBlock + `<div class="stream"><article class="story">` + paras(5) + `</article><article class="story">` + paras(4) +
				`</article><article class="story">` + paras(3) + `</article></div>` + footerBlock),
			want:    prose,
			notWant: []string{"Weather", "All rights reserved"},
		},
		{
			name: "short article, long comment thread",
			html: page(`<div class="main"><article><div class="entry">` + paras(2) + `</div></article><section id="comments" class="comments-area">` +
				strings.Repeat(`<div class="comment-body"><p>I grew up in that town and I can tell you, the council has been promising to dredge the channel since before I was born.</p></div>`, 12) +
				`</section></div>`),
			want:    []string{prose[0], prose[1]},
			notWant: []string{"I grew up"},
		},
		{
			name: "headings of dropped boxes go, section headings stay",
			html: page(`<div class="body">` + para(0) + `<div class="sub"><h2>The channel</h2></div>` + para(1) +
				`<h3>Tides</h3><div class="ad">Advertisement</div>` + para(2) +
				`<h3>More from the coast</h3><ul><li><a href="/1">Lighthouse keeper retires after forty years</a></li><li><a href="/2">Ferry strike called off</a></li><li><a href="/3">New quay opens</a></li></ul>` +
				para(3) + `<h4>Share this</h4></div>`),
			want:    []string{"The channel", "Tides", prose[0], prose[3]},
			notWant: []string{"More from the coast", "Lighthouse keeper", "Share this", "Advertisement"},
		},
		{
			name: "contact lines at the end go, a quoted post with a handle stays",
			html: page(`<div class="body">` + paras(3) + `<blockquote><p>Dredge it now! — Harbour Watch (@harbourwatch)</p></blockquote>` + para(4) +
				`<p>Follow us on Twitter @harbourgazette.</p><p><em>Email Ann Smith at ann@gazette.example.</em></p></div>`),
			want:    []string{prose[0], "@harbourwatch", prose[4]},
			notWant: []string{"Follow us", "ann@gazette"},
		},
		{
			name:    "text directly in a div with line breaks",
			html:    page(navBlock + `<div class="post">` + prose[0] + `<br><br>` + prose[1] + `<br><br>` + prose[2] + `</div>` + footerBlock),
			want:    []string{prose[0], prose[1], prose[2]},
			notWant: []string{"Weather", "All rights reserved"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := extractText(t, tc.html, Options{})
			for _, w := range tc.want {
				assert.Contains(t, doc.Text, w)
			}
			for _, w := range tc.notWant {
				assert.NotContains(t, doc.Text, w)
			}
			assert.False(t, doc.Meta.Degraded)
		})
	}
}

func TestNoscriptContent(t *testing.T) {
	html := page(`<div id="app"></div><noscript><div class="article">` + paras(3) + `</div></noscript><script>render()</script>`)
	doc := extractText(t, html, Options{})
	for _, p := range prose[:3] {
		assert.Contains(t, doc.Text, p)
	}
	assert.Contains(t, doc.Meta.Warnings, "content read from <noscript>")

	// With text outside, <noscript> stays out.
	html = page(`<article>` + paras(3) + `</article><noscript><p>Please enable JavaScript to view the comments.</p></noscript>`)
	doc = extractText(t, html, Options{})
	assert.NotContains(t, doc.Text, "enable JavaScript")
	assert.True(t, containsFoldBytes([]byte("x<NoScript>"), "<noscript"))
	assert.False(t, containsFoldBytes([]byte("<noscrip"), "<noscript"))
}

func TestAriaHiddenWrapper(t *testing.T) {
	// A rendered page with a consent dialog open: the wrapper is
	// aria-hidden, the text is still the page's.
	html := page(`<div id="page" aria-hidden="true"><article>` + paras(3) + `</article></div><div role="dialog"><p>We use cookies.</p><button>Accept</button></div>`)
	doc := extractText(t, html, Options{})
	assert.Contains(t, doc.Text, prose[0])
	assert.NotContains(t, doc.Text, "cookies")
	assert.Contains(t, doc.Meta.Warnings, "content read from aria-hidden elements")
}

func TestModes(t *testing.T) {
	html := page(navBlock + `<article id="main">` + paras(3) + `<p class="note">Corrections: none.</p></article>` + commentBlock + footerBlock)
	t.Run("full page keeps all visible text", func(t *testing.T) {
		doc := extractText(t, html, Options{Mode: ModeFullPage})
		for _, w := range []string{"Home", prose[0], "I grew up", "All rights reserved"} {
			assert.Contains(t, doc.Text, w)
		}
		doc = extractText(t, page(`<figure><img src=x><figcaption>A caption</figcaption></figure>`), Options{Mode: ModeFullPage})
		assert.Equal(t, "A caption", doc.Text)
	})
	t.Run("metadata mode writes no content", func(t *testing.T) {
		doc := extractText(t, html, Options{Mode: ModeMetadata})
		assert.Empty(t, doc.Text)
	})
	t.Run("selectors", func(t *testing.T) {
		for _, tc := range []struct {
			sel     []string
			want    []string
			notWant []string
		}{
			{[]string{"#main"}, []string{prose[0], prose[2]}, []string{"Home", "I grew up"}},
			{[]string{"article p.note"}, []string{"Corrections"}, []string{prose[0]}},
			{[]string{".comment p", "footer"}, []string{"I grew up", "All rights reserved"}, []string{prose[0]}},
			{[]string{"[id=comments] h3"}, []string{"12 comments"}, []string{"I grew up"}},
			{[]string{"nav [href]"}, []string{"Home", "Weather"}, []string{prose[0]}},
			{[]string{"div.nothing"}, nil, []string{prose[0], "Home"}},
		} {
			doc := extractText(t, html, Options{Mode: ModeSelectors, Selectors: tc.sel})
			for _, w := range tc.want {
				assert.Contains(t, doc.Text, w, tc.sel)
			}
			for _, w := range tc.notWant {
				assert.NotContains(t, doc.Text, w, tc.sel)
			}
		}
	})
	t.Run("bad selectors and modes", func(t *testing.T) {
		var n Native
		for _, o := range []Options{
			{Mode: ModeSelectors},
			{Mode: ModeSelectors, Selectors: []string{"div > p"}},
			{Mode: ModeSelectors, Selectors: []string{"[unclosed"}},
			{Mode: "nonsense"},
		} {
			_, err := n.Extract(context.Background(), Input{HTML: []byte(html), Options: o})
			assert.ErrorIs(t, err, ErrUnsupportedMode, o)
		}
	})
}

func TestParseSelectors(t *testing.T) {
	sels, err := parseSelectors([]string{`div#a.b.c[data-x="1"] p, span`})
	require.NoError(t, err)
	require.Len(t, sels, 2)
	require.Len(t, sels[0], 2)
	assert.Equal(t, compound{tag: "div", id: "a", classes: []string{"b", "c"}, attrs: []attrTest{{key: "data-x", val: "1", hasVal: true}}}, sels[0][0])
	assert.Equal(t, compound{tag: "p"}, sels[0][1])
	assert.Equal(t, compound{tag: "span"}, sels[1][0])
}

func TestClassWords(t *testing.T) {
	cases := []struct {
		v    string
		want uint32
	}{
		{"entry-content", fPositive},
		{"articleBody", fPositive},
		{"article-footer", fBoiler},
		{"entry-meta", fBoiler},
		{"post-comments", fBoiler | fStrong | fComments},
		{"commentList", fBoiler | fStrong | fComments},
		{"sidebar-widget", fBoiler | fStrong},
		{"ad", fBoiler | fStrong},
		{"shadow header-ad", fBoiler | fStrong},
		{"read loaded adjective", 0},
		{"post-date", 0},
		{"date-content", fPositive},
		{"wp-caption", 0},
	}
	for _, tc := range cases {
		got := classWords(tc.v) &^ (fTime | fCaption)
		assert.Equal(t, tc.want, got, tc.v)
	}
	assert.NotZero(t, classWords("post-date")&fTime)
	assert.NotZero(t, classWords("wp-caption")&fCaption)
}

func TestStyleHidden(t *testing.T) {
	for s, want := range map[string]bool{
		"display:none":                    true,
		"color: red; DISPLAY : None ;":    true,
		"visibility:hidden":               true,
		"display:block":                   false,
		"max-display:inline; color:none":  false,
		"":                                false,
		"display":                         false,
		"font-family: 'display none' ; x": false,
	} {
		assert.Equal(t, want, styleHidden(s), s)
	}
}

func TestConcurrentExtract(t *testing.T) {
	pages := []string{
		page(navBlock + `<article>` + paras(4) + `</article>` + commentBlock),
		page(`<div class="post">` + paras(2) + `</div>` + sidebarBlock),
		page(`<table><tr><td>` + paras(3) + `</td><td>` + navBlock + `</td></tr></table>`),
	}
	var n Native
	want := make([]string, len(pages))
	for i, p := range pages {
		want[i] = extractText(t, p, Options{}).Text
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for k := range 20 {
				i := (g + k) % len(pages)
				doc, err := n.Extract(context.Background(), Input{HTML: []byte(pages[i])})
				if err == nil && doc.Text != want[i] {
					err = assert.AnError
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		assert.NoError(t, <-errs)
	}
}
