package extract

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// readMeta parses page and runs readMetadata with base pageURL.
func readMeta(t testing.TB, page, pageURL string, in Input) *Document {
	t.Helper()
	root, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	base, err := url.Parse(pageURL)
	require.NoError(t, err)
	in.URL = pageURL
	doc := &Document{URL: pageURL}
	readMetadata(root, base, in, doc)
	return doc
}

func TestReadMetadataJSONLD(t *testing.T) {
	page := `<html><head>
<script type="application/ld+json">
{"@context":"https://schema.org","@graph":[
 {"@type":"WebSite","@id":"https://ex.com/#site","name":"Example Times"},
 {"@type":"Person","@id":"https://ex.com/#jane","name":"Jane Roe"},
 {"@type":["NewsArticle"],"headline":"Rates rise  again","author":[{"@id":"https://ex.com/#jane"},{"@type":"Person","name":"John Doe"}],
  "publisher":{"@type":"Organization","name":"Example Times"},"datePublished":"2024-03-05T08:30:00+01:00",
  "dateModified":1709800000,"keywords":"rates, economy","articleSection":["Business"],"inLanguage":"en-GB",
  "image":{"@type":"ImageObject","url":"/img/lead.jpg"},"description":"Why rates rise."}
]}
</script>
<script type="application/ld+json">{"@type": "BreadcrumbList", oops}</script>
<title>Something else | Example Times</title>
</head><body><p>Body</p></body></html>`
	doc := readMeta(t, page, "https://ex.com/news/rates", Input{})
	assert.Equal(t, "Rates rise again", doc.Title)
	assert.Equal(t, []string{"Jane Roe", "John Doe"}, doc.Authors)
	assert.Equal(t, "2024-03-05T08:30:00+01:00", doc.Published)
	assert.Equal(t, "2024-03-07T08:26:40Z", doc.Modified)
	assert.Equal(t, "Example Times", doc.SiteName)
	assert.Equal(t, "Why rates rise.", doc.Description)
	assert.Equal(t, "en-GB", doc.Language)
	assert.Equal(t, "https://ex.com/img/lead.jpg", doc.LeadImage)
	assert.Equal(t, []string{"Business"}, doc.Categories)
	assert.Equal(t, []string{"rates", "economy"}, doc.Tags)
	assert.Equal(t, "https://ex.com/favicon.ico", doc.Favicon)
	require.Len(t, doc.Schema, 3)
	var first map[string]any
	require.NoError(t, json.Unmarshal(doc.Schema[0], &first))
	assert.Equal(t, "WebSite", first["@type"])
	require.Len(t, doc.Meta.Warnings, 1)
	assert.Contains(t, doc.Meta.Warnings[0], "json-ld block 2")
}

func TestReadMetadataOpenGraphTwitter(t *testing.T) {
	page := `<html lang="fr"><head>
<meta property="og:title" content="Le titre">
<meta property="og:site_name" content="Le Site">
<meta property="og:description" content="Une description.">
<meta property="og:image" content="//cdn.ex.fr/i.jpg">
<meta property="og:url" content="/canon">
<meta property="og:locale" content="de_DE">
<meta property="article:published_time" content="2023-11-02T10:00:00Z">
<meta property="article:modified_time" content="2023-11-03">
<meta property="article:author" content="https://facebook.com/someone">
<meta property="article:author" content="Marie Curie">
<meta property="article:section" content="Science">
<meta property="article:tag" content="physique">
<meta property="article:tag" content="chimie">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:title" content="Tw title">
<meta name="twitter:image" content="https://ex.fr/tw.jpg">
<meta name="robots" content="NoIndex, nofollow">
<meta name="googlebot" content="noarchive, noindex">
<link rel="icon" href="/fav.png">
</head><body></body></html>`
	doc := readMeta(t, page, "https://ex.fr/a", Input{})
	assert.Equal(t, "Le titre", doc.Title)
	assert.Equal(t, "Le Site", doc.SiteName)
	assert.Equal(t, "Une description.", doc.Description)
	assert.Equal(t, "https://cdn.ex.fr/i.jpg", doc.LeadImage)
	assert.Equal(t, "https://ex.fr/canon", doc.CanonicalURL)
	assert.Equal(t, "fr", doc.Language, "<html lang> wins over og:locale")
	assert.Equal(t, "2023-11-02T10:00:00Z", doc.Published)
	assert.Equal(t, "2023-11-03", doc.Modified)
	assert.Equal(t, []string{"Marie Curie"}, doc.Authors)
	assert.Equal(t, []string{"Science"}, doc.Categories)
	assert.Equal(t, []string{"physique", "chimie"}, doc.Tags)
	assert.Equal(t, "https://ex.fr/fav.png", doc.Favicon)
	assert.Equal(t, []string{"noindex", "nofollow", "noarchive"}, doc.Robots)
	assert.Equal(t, "Le titre", doc.OpenGraph["title"])
	assert.Equal(t, "de_DE", doc.OpenGraph["locale"])
	assert.Equal(t, "summary_large_image", doc.Twitter["card"])
	assert.Equal(t, "Tw title", doc.Twitter["title"])

	// A site name given as a URL becomes the host; URL categories go.
	doc = readMeta(t, `<head><meta property="og:site_name" content="https://www.news.example"><meta property="article:section" content="https://news.example/world/"></head>`, "https://news.example/", Input{})
	assert.Equal(t, "news.example", doc.SiteName)
	assert.Empty(t, doc.Categories)

	// An og:title that is only the site name gives way to <title>.
	doc = readMeta(t, `<head><meta property="og:title" content="Example"><meta property="og:site_name" content="Example"><title>Real page title | Example</title></head>`, "https://example.com/", Input{})
	assert.Equal(t, "Real page title", doc.Title)

	// Values escaped twice are decoded.
	doc = readMeta(t, `<head><meta property="og:title" content="Tom &amp;amp; Jerry&amp;#8217;s day"><script type="application/ld+json">{"@type":"Article","author":{"name":"Ren&#233;e Roe"}}</script></head>`, "https://example.com/", Input{})
	assert.Equal(t, "Tom & Jerry’s day", doc.Title)
	assert.Equal(t, []string{"Renée Roe"}, doc.Authors)

	// Twitter only.
	doc = readMeta(t, `<head><meta name="twitter:title" content="Only twitter"><meta name="twitter:image:src" content="/t.png"></head>`, "https://ex.com/", Input{})
	assert.Equal(t, "Only twitter", doc.Title)
	assert.Equal(t, "https://ex.com/t.png", doc.LeadImage)
}

func TestReadMetadataDublinCoreAndMeta(t *testing.T) {
	page := `<head>
<meta name="DC.title" content="DC Title">
<meta name="DC.creator" content="Ada Lovelace; Charles Babbage">
<meta name="dcterms.issued" content="1943-10-01">
<meta name="DC.language" content="en">
<meta name="DC.publisher" content="Scientific Memoirs">
<meta name="DC.subject" content="engines">
<meta name="keywords" content="analytical, engine">
<meta http-equiv="content-language" content="it">
</head><body></body>`
	doc := readMeta(t, page, "https://ex.org/", Input{})
	assert.Equal(t, "DC Title", doc.Title)
	assert.Equal(t, []string{"Ada Lovelace", "Charles Babbage"}, doc.Authors)
	assert.Equal(t, "1943-10-01", doc.Published)
	assert.Equal(t, "it", doc.Language, "http-equiv comes before DC.language")
	assert.Equal(t, "Scientific Memoirs", doc.SiteName)
	assert.Equal(t, []string{"analytical", "engine", "engines"}, doc.Tags)

	plain := `<head><title>Plain page - Blog</title>
<meta name="description" content="  A plain
 description. ">
<meta name="author" content="By Grace Hopper">
<meta name="sailthru.date" content="Tue, 10 Jan 2023 14:05:00 GMT">
<meta name="application-name" content="Blog">
</head><body></body>`
	doc = readMeta(t, plain, "https://blog.example.com/p", Input{ContentLanguage: "pt-BR, en;q=0.5"})
	assert.Equal(t, "Plain page", doc.Title)
	assert.Equal(t, "A plain description.", doc.Description)
	assert.Equal(t, []string{"Grace Hopper"}, doc.Authors)
	assert.Equal(t, "2023-01-10T14:05:00Z", doc.Published)
	assert.Equal(t, "Blog", doc.SiteName)
	assert.Equal(t, "pt-BR", doc.Language)

	for _, name := range []string{"pubdate", "publish-date", "parsely-pub-date", "date", "sn-post-date", "article_publish_date"} {
		doc = readMeta(t, `<head><meta name="`+name+`" content="2022-02-03"></head>`, "https://ex.com/", Input{})
		assert.Equal(t, "2022-02-03", doc.Published, name)
	}
}

func TestReadMetadataMarkup(t *testing.T) {
	page := `<html><head><title>The Long Headline of the Story | News | Daily Planet</title></head><body>
<nav><a rel="author" href="/nav">Navigation Author</a></nav>
<article>
<h1>The Long Headline of the Story</h1>
<div class="byline">By Lois Lane and Clark Kent, June 3, 2021</div>
<time datetime="2021-06-03T09:00:00-04:00" pubdate>June 3</time>
<p>Text.</p>
<section class="comments"><span class="author">Commenter</span><time datetime="2021-06-05">later</time></section>
</article></body></html>`
	doc := readMeta(t, page, "https://dailyplanet.com/2021/06/03/story", Input{LastModified: "Fri, 04 Jun 2021 10:00:00 GMT"})
	assert.Equal(t, "The Long Headline of the Story", doc.Title)
	assert.Equal(t, []string{"Lois Lane", "Clark Kent"}, doc.Authors)
	assert.Equal(t, "2021-06-03T09:00:00-04:00", doc.Published)
	assert.Equal(t, "2021-06-04T10:00:00Z", doc.Modified)

	// Date from the URL when the page has none; the first <h1> when there
	// is no title.
	doc = readMeta(t, `<body><h1>Only  heading</h1></body>`, "https://ex.com/blog/2020/02/29/leap", Input{})
	assert.Equal(t, "2020-02-29", doc.Published)
	assert.Equal(t, "Only heading", doc.Title)
	doc = readMeta(t, `<body></body>`, "https://ex.com/news/2019/nov/18/story/", Input{})
	assert.Equal(t, "2019-11-18", doc.Published)

	// A date inside the byline element is still found.
	doc = readMeta(t, `<body><div class="author-info">By Kim Lee <time datetime="2019-11-19T10:36:00.000Z">1 day ago</time></div><div class="byline-title">Associated Press</div></body>`, "", Input{})
	assert.Equal(t, []string{"Kim Lee"}, doc.Authors)
	assert.Equal(t, "2019-11-19T10:36:00Z", doc.Published)

	// rel=author, itemprop outside items.
	doc = readMeta(t, `<body><p>by <a rel="author" href="/u/1">Ann Author</a></p><meta itemprop="datePublished" content="2019-05-06"></body>`, "", Input{})
	assert.Equal(t, []string{"Ann Author"}, doc.Authors)
	assert.Equal(t, "2019-05-06", doc.Published)
	assert.Empty(t, doc.Favicon, "no base, no default favicon")
}

func TestReadMetadataMicrodata(t *testing.T) {
	page := `<body><div itemscope itemtype="https://schema.org/BlogPosting">
<h1 itemprop="headline">Microdata  headline</h1>
<span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Mia Data</span></span>
<time itemprop="datePublished" datetime="2018-07-08">July 8</time>
<img itemprop="image" src="/m.png">
<a itemprop="url" href="/post">link</a>
<span itemprop="keywords">a</span><span itemprop="keywords">b</span>
</div></body>`
	doc := readMeta(t, page, "https://md.example/", Input{})
	assert.Equal(t, "Microdata headline", doc.Title)
	assert.Equal(t, []string{"Mia Data"}, doc.Authors)
	assert.Equal(t, "2018-07-08", doc.Published)
	assert.Equal(t, "https://md.example/m.png", doc.LeadImage)
	require.Len(t, doc.Schema, 1)
	var item map[string]any
	require.NoError(t, json.Unmarshal(doc.Schema[0], &item))
	assert.Equal(t, "BlogPosting", item["@type"])
	assert.Equal(t, "https://md.example/post", item["url"])
	assert.Equal(t, []any{"a", "b"}, item["keywords"])
	assert.Equal(t, map[string]any{"@type": "Person", "name": "Mia Data"}, item["author"])
}

func TestReadMetadataNestedMicrodata(t *testing.T) {
	// A blog post nested in a page item, as WordPress themes mark it.
	page := `<body itemscope itemtype="http://schema.org/WebPage"><article itemscope itemtype="http://schema.org/BlogPosting" itemprop="blogPost">
<div class="entry-byline"><span itemprop="author" itemscope itemtype="http://schema.org/Person"><span itemprop="name"><a rel="author" href="/a"><span itemprop="name">Carla Nunes</span></a></span></span>
<time itemprop="datePublished" datetime="2018-09-27T09:00:40+00:00">27/09/2018</time>
<span itemprop="articleSection"><a rel="tag" href="/c/1">Música</a>, <a rel="tag" href="/c/2">Brinquedos e Brincadeiras</a></span></div>
</article></body>`
	doc := readMeta(t, page, "https://blog.example/", Input{})
	assert.Equal(t, []string{"Carla Nunes"}, doc.Authors)
	assert.Equal(t, "2018-09-27T09:00:40Z", doc.Published)
	assert.Equal(t, []string{"Música", "Brinquedos e Brincadeiras"}, doc.Categories)
}

func TestCleanTitle(t *testing.T) {
	cases := []struct {
		title, site, host, h1 string
		tag                   bool
		want                  string
	}{
		{"Headline here | Example", "Example", "", "", false, "Headline here"},
		{"Example - Headline here", "Example", "", "", false, "Headline here"},
		{"Headline — The Verge", "", "www.theverge.com", "", false, "Headline"},
		{"Headline: Example News", "Example News", "", "", false, "Headline"},
		{"Why X: a study", "Example", "", "", true, "Why X: a study"},
		{"A long headline of words | Short Site", "", "", "", true, "A long headline of words"},
		{"A long headline of words | Short Site", "", "", "", false, "A long headline of words"},
		{"A long headline of words - Short Site", "", "", "", false, "A long headline of words - Short Site"},
		{"Go 1.26 - Release Notes", "", "", "", true, "Go 1.26 - Release Notes"},
		{"Story title | Section | Site", "Site", "", "", true, "Story title"},
		{"  Spaces\n\tinside  ", "", "", "", true, "Spaces inside"},
		{"Big story | Paper", "", "", "Big story", true, "Big story"},
		{"Site", "Site", "", "", true, "Site"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, cleanTitle(c.title, c.site, c.host, c.h1, c.tag), c.title)
	}
}

func TestCleanAuthors(t *testing.T) {
	cases := []struct {
		in   []string
		want []string
	}{
		{[]string{"By Jane Doe"}, []string{"Jane Doe"}},
		{[]string{"by: Jane Doe | Staff Writer"}, []string{"Jane Doe"}},
		{[]string{"Written by Jane Doe and John Roe"}, []string{"Jane Doe", "John Roe"}},
		{[]string{"Jane Doe, John Roe & Max Mustermann"}, []string{"Jane Doe", "John Roe", "Max Mustermann"}},
		{[]string{"Jane Doe on March 3, 2024"}, []string{"Jane Doe"}},
		{[]string{"Theresa May"}, []string{"Theresa May"}},
		{[]string{"Carlos Nadalim 27/09/2018 Comente! Alfabetização, Brinquedos e Brincadeiras"}, []string{"Carlos Nadalim"}},
		{[]string{"Ann Lee, Bo Chen, March 2, 2024"}, []string{"Ann Lee", "Bo Chen"}},
		{[]string{"Von Hans Meier"}, []string{"Hans Meier"}},
		{[]string{"https://twitter.com/x", "@handle", "2024-01-01", "admin"}, nil},
		{[]string{"Jane Doe", "jane doe"}, []string{"Jane Doe"}},
		{[]string{strings.Repeat("word ", 50)}, nil},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, cleanAuthors(c.in), c.in)
	}
}

func TestParseDate(t *testing.T) {
	cases := []struct{ in, want string }{
		{"2024-03-05", "2024-03-05"},
		{"2024-03-05T08:30:00Z", "2024-03-05T08:30:00Z"},
		{"2024-03-05T08:30:00.123+02:00", "2024-03-05T08:30:00+02:00"},
		{"2024-03-05T08:30:00+0200", "2024-03-05T08:30:00+02:00"},
		{"2024-03-05T08:30", "2024-03-05T08:30:00Z"},
		{"2024-03-05 08:30:00", "2024-03-05T08:30:00Z"},
		{"2024/03/05", "2024-03-05"},
		{"20240305", "2024-03-05"},
		{"Tue, 05 Mar 2024 08:30:00 GMT", "2024-03-05T08:30:00Z"},
		{"Tue, 05 Mar 2024 08:30:00 +0100", "2024-03-05T08:30:00+01:00"},
		{"March 5, 2024", "2024-03-05"},
		{"Mar. 5th, 2024", "2024-03-05"},
		{"5 March 2024", "2024-03-05"},
		{"5 Mar 2024", "2024-03-05"},
		{"Tuesday, March 5, 2024 at 8:30 AM", "2024-03-05"},
		{"Published on 5 March 2024", "2024-03-05"},
		{"5. März 2024", "2024-03-05"},
		{"5 août 2024", "2024-08-05"},
		{"05.03.2024", "2024-03-05"},
		{"03/05/2024", "2024-03-05"},
		{"25/12/2023", "2023-12-25"},
		{"1709627400", "2024-03-05T08:30:00Z"},
		{"1709627400000", "2024-03-05T08:30:00Z"},
		{"2019-11-18 23:41:18", "2019-11-18T23:41:18Z"},
		{"Nov 19, 2019 10:36 AM ET", "2019-11-19"},
		{"19/11/2019 10:36", "2019-11-19"},
		{"2019年11月19日", "2019-11-19"},
		{"19 ноября 2019", "2019-11-19"},
		{"0001-01-01", ""},
		{"3024-01-01", ""},
		{"February 30, 2024", ""},
		{"yesterday", ""},
		{"", ""},
		{"12", ""},
		{"2024", ""},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, parseDate(c.in), c.in)
	}
}

func TestNormalizeLang(t *testing.T) {
	cases := []struct{ in, want string }{
		{"en", "en"}, {"EN-us", "en-US"}, {"pt_BR", "pt-BR"}, {"de-DE,de;q=0.9", "de-DE"},
		{"zh-hans", "zh-Hans"}, {"x-default", ""}, {"und", ""}, {"not a lang", ""}, {"", ""},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, normalizeLang(c.in), c.in)
	}
}

func TestDetectLanguage(t *testing.T) {
	cases := []struct{ lang, text string }{
		{"en", "The quick brown fox jumps over the lazy dog and it was not the first time that this has been seen by the people who live there."},
		{"de", "Der schnelle braune Fuchs springt über den faulen Hund, und das ist nicht das erste Mal, dass wir es sehen, wie es auch bei den anderen ist."},
		{"fr", "Le renard brun rapide saute par-dessus le chien paresseux et ce n'est pas la première fois que nous le voyons dans les rues de la ville avec des amis."},
		{"es", "El rápido zorro marrón salta sobre el perro perezoso y no es la primera vez que lo vemos en las calles de la ciudad con los amigos del barrio."},
		{"it", "La volpe marrone veloce salta sopra il cane pigro e non è la prima volta che lo vediamo per le strade della città con gli amici del quartiere."},
		{"pt", "A rápida raposa marrom pula sobre o cão preguiçoso e não é a primeira vez que a vemos nas ruas da cidade com os amigos do bairro, que são muitos."},
		{"ru", "Быстрая коричневая лиса прыгает через ленивую собаку, и это не первый раз, когда мы видим это на улицах города."},
		{"zh", "敏捷的棕色狐狸跳过了懒狗，这不是我们第一次在城市的街道上看到它。"},
		{"ja", "素早い茶色の狐が怠け者の犬を飛び越えます。私たちがそれを街の通りで見るのは初めてではありません。"},
		{"ko", "빠른 갈색 여우가 게으른 개를 뛰어넘습니다. 우리가 도시의 거리에서 그것을 보는 것은 처음이 아닙니다."},
		{"uk", "Швидка руда лисиця перестрибує через ледачого собаку, і це не перший раз, коли ми бачимо її на вулицях міста."},
		{"", "12345 67890 !!!"},
	}
	for _, c := range cases {
		assert.Equal(t, c.lang, detectLanguage(c.text), c.text)
	}
	// A template's lang="en" on plainly German text is overruled; a
	// language the detector does not know is not.
	german := `<p>` + strings.Repeat("Der schnelle braune Fuchs springt über den faulen Hund, und das ist nicht das erste Mal, dass wir es sehen. ", 4) + `</p>`
	doc := readMeta(t, `<html lang="en"><body>`+german+`</body></html>`, "", Input{})
	assert.Equal(t, "de", doc.Language)
	doc = readMeta(t, `<html lang="da"><body>`+german+`</body></html>`, "", Input{})
	assert.Equal(t, "da", doc.Language)
	doc = readMeta(t, `<html lang="de-AT"><body>`+german+`</body></html>`, "", Input{})
	assert.Equal(t, "de-AT", doc.Language)

	// Through readMetadata: no declaration, body text decides.
	doc = readMeta(t, `<body><p>Der schnelle braune Fuchs springt über den faulen Hund, und das ist nicht das erste Mal, dass wir es sehen.</p></body>`, "", Input{})
	assert.Equal(t, "de", doc.Language)
}

func TestReadMetadataHostile(t *testing.T) {
	pages := []string{
		``,
		`<script type="application/ld+json">` + strings.Repeat("[", 100000) + `</script>`,
		`<script type="application/ld+json">{"@graph":` + strings.Repeat(`[{"@graph":`, 200) + `</script>`,
		`<script type="application/ld+json">{"author":` + strings.Repeat(`[`, 5000) + strings.Repeat(`]`, 5000) + `}</script>`,
		`<meta property="og:title" content="` + strings.Repeat("x\xff", 5000) + `">`,
		strings.Repeat(`<div itemscope itemprop="a">`, 400),
		`<title>` + strings.Repeat(" | ", 10000) + `</title>`,
	}
	for i, p := range pages {
		doc := readMeta(t, p, "https://ex.com/", Input{})
		b, err := json.Marshal(doc)
		require.NoError(t, err, i)
		assert.True(t, json.Valid(b), i)
	}
}
