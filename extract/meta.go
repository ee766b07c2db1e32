package extract

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// readMetadata fills doc's metadata fields (title, authors, dates, site,
// description, language, categories, tags, favicon, lead image, canonical
// URL, schema, OpenGraph, Twitter, robots) from the whole page.
//
// Sources, from most to least trusted: JSON-LD, OpenGraph (og:*, article:*),
// Twitter cards, Dublin Core (DC.*, dcterms.*), plain meta tags, microdata,
// then the markup itself (<title>, first <h1>, <time>, bylines, the URL
// path for dates). Each field takes the first source that has it, except:
//
//   - the title prefers og:title over JSON-LD (it is what the site shows
//     when shared), skips titles that are only the site name, and loses a
//     site-name prefix or suffix (see cleanTitle);
//   - the language is <html lang>, then JSON-LD inLanguage, og:locale,
//     <meta http-equiv=content-language>, in.ContentLanguage, DC/meta
//     language, then a guess from the body text (detectLang); a clear guess
//     also overrules a declaration it contradicts, for the languages the
//     guesser knows;
//   - authors are cleaned (cleanAuthors) and bylines in the markup are
//     tried one at a time;
//   - categories and tags are the union of all sources;
//   - the modified date falls back to in.LastModified, the favicon to
//     /favicon.ico when base is known.
//
// Invalid JSON-LD blocks are skipped with a warning in doc.Meta.Warnings.
// Work is bounded: the walk, the JSON-LD blocks, microdata items and every
// collected string have caps.
func readMetadata(root *html.Node, base *url.URL, in Input, doc *Document) {
	if root == nil || doc == nil {
		return
	}
	if base == nil {
		base = &url.URL{}
	}
	var sc pageScan
	sc.scan(root)

	// Structured data.
	var objs []schemaObj
	for i, src := range sc.jsonld {
		var err error
		doc.Schema, objs, err = readJSONLD(src, doc.Schema, objs)
		if err != nil {
			doc.Meta.Warnings = append(doc.Meta.Warnings, fmt.Sprintf("json-ld block %d skipped: %v", i+1, err))
		}
	}
	var items []schemaObj
	for _, n := range sc.items {
		if len(doc.Schema) >= maxSchemaObjects {
			break
		}
		it := readMicrodataItem(n, base, 0)
		if len(it) == 0 {
			continue
		}
		raw, err := json.Marshal(it)
		if err != nil {
			continue
		}
		items = append(items, it)
		doc.Schema = append(doc.Schema, raw)
	}
	ld := schemaFields(objs)
	md := schemaFields(items)

	// Meta tags.
	m := sc.meta
	og := metaFields{
		title:       m.first("og:title"),
		description: m.first("og:description"),
		siteName:    m.first("og:site_name"),
		image:       m.first("og:image", "og:image:url", "og:image:secure_url"),
		canonical:   m.first("og:url"),
		language:    m.first("og:locale"),
		published:   m.date("article:published_time", "og:published_time", "article:published", "og:article:published_time"),
		modified:    m.date("article:modified_time", "og:updated_time", "article:modified", "og:article:modified_time"),
		authors:     m.all("article:author", "og:article:author"),
		categories:  m.all("article:section", "og:article:section"),
		tags:        m.all("article:tag", "og:article:tag"),
	}
	tw := metaFields{
		title:       m.first("twitter:title"),
		description: m.first("twitter:description"),
		image:       m.first("twitter:image", "twitter:image:src"),
	}
	dc := metaFields{
		title:       m.first("dc.title", "dcterms.title"),
		authors:     m.all("dc.creator", "dcterms.creator"),
		published:   m.date("dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "dc.date.created"),
		modified:    m.date("dcterms.modified", "dc.date.modified"),
		description: m.first("dc.description", "dcterms.description", "dcterms.abstract"),
		language:    m.first("dc.language", "dcterms.language"),
		siteName:    m.first("dc.publisher", "dcterms.publisher"),
		tags:        m.all("dc.subject", "dcterms.subject"),
	}
	plain := metaFields{
		title:       m.first("parsely-title", "sailthru.title", "citation_title"),
		description: m.first("description", "sailthru.description"),
		authors:     m.all("author", "byl", "parsely-author", "sailthru.author", "citation_author", "article.author", "authors"),
		published: m.date("pubdate", "publishdate", "publish-date", "publish_date", "published_time",
			"publication_date", "publication-date", "article.published", "article_date_original",
			"sailthru.date", "parsely-pub-date", "citation_publication_date", "citation_date",
			"citation_online_date", "prism.publicationdate", "originalpublicationdate", "datepublished",
			"date_published", "release_date", "date", "created", "article:published_time"),
		modified:   m.date("last-modified", "lastmod", "revised", "datemodified", "date_modified", "updated_time"),
		siteName:   m.first("application-name", "apple-mobile-web-app-title", "og:site"),
		language:   m.first("language", "content-language", "lang"),
		categories: m.all("category", "parsely-section", "section", "article.section"),
		tags:       m.all("keywords", "news_keywords", "parsely-tags", "sailthru.tags", "article.tags"),
	}
	if plain.published == "" {
		// Site-specific names: "sn-post-date", "article-publish-date"...
		for i, k := range m.keys {
			if strings.Contains(k, "date") && (strings.Contains(k, "pub") || strings.Contains(k, "post") || strings.Contains(k, "creat")) && !strings.Contains(k, "mod") && !strings.Contains(k, "updat") {
				if plain.published = parseDate(m.vals[i]); plain.published != "" {
					break
				}
			}
		}
	}
	markup := metaFields{
		published: parseDate(sc.timePub),
		authors:   sc.bylines,
		canonical: sc.canonical,
		image:     sc.imageSrc,
	}
	if markup.published == "" {
		markup.published = parseDate(sc.timeAny)
	}
	if markup.published == "" {
		p := base.Path
		if u, err := url.Parse(in.URL); err == nil && in.URL != "" {
			p = u.Path // the page's own address, not a <base href>
		}
		markup.published = dateFromURLPath(p)
	}
	srcs := []*metaFields{&ld, &og, &tw, &dc, &plain, &md, &markup}

	// Site name first: the title cleaner needs it.
	doc.SiteName = pick(func(f *metaFields) string { return f.siteName }, &og, &ld, &plain, &dc, &md)
	doc.SiteName = truncUTF8(collapseWS(doc.SiteName), 200)
	if looksLikeURL(doc.SiteName) {
		// "https://www.example.com" names the site by its host.
		if u, err := url.Parse(doc.SiteName); err == nil && u.Host != "" {
			doc.SiteName = normHost(u.Hostname())
		} else {
			doc.SiteName = normHost(strings.TrimPrefix(doc.SiteName, "www."))
		}
	}

	// Title.
	// A title that is only the site's name says nothing about the page.
	var title string
	for _, f := range []*metaFields{&og, &ld, &tw, &dc, &plain, &md} {
		if t := collapseWS(f.title); t != "" && (doc.SiteName == "" || normName(t) != normName(doc.SiteName)) {
			title = t
			break
		}
	}
	fromTitleTag := false
	if title == "" {
		title, fromTitleTag = sc.title, true
	}
	if title == "" {
		title, fromTitleTag = sc.h1, false
	}
	doc.Title = cleanTitle(title, doc.SiteName, base.Hostname(), sc.h1, fromTitleTag)

	// Authors: the first source that names someone. Bylines found in the
	// markup are tried one at a time, in page order.
	for _, f := range srcs {
		if f == &markup {
			break
		}
		if a := cleanAuthors(f.authors); len(a) > 0 {
			doc.Authors = a
			break
		}
	}
	for i := 0; len(doc.Authors) == 0 && i < len(sc.bylines); i++ {
		doc.Authors = cleanAuthors(sc.bylines[i : i+1])
	}

	// Dates.
	doc.Published = pick(func(f *metaFields) string { return f.published }, srcs...)
	doc.Modified = pick(func(f *metaFields) string { return f.modified }, srcs...)
	if doc.Modified == "" && in.LastModified != "" {
		doc.Modified = parseDate(in.LastModified)
	}

	doc.Description = truncUTF8(collapseWS(pick(func(f *metaFields) string { return f.description }, srcs...)), 4096)

	// Language: markup, then declarations, then a guess from the text.
	for _, cand := range []string{sc.htmlLang, ld.language, og.language, sc.httpEquivLang, in.ContentLanguage, dc.language, plain.language, md.language} {
		if doc.Language = normalizeLang(cand); doc.Language != "" {
			break
		}
	}
	// The text's own language, when it is clear, also overrules a
	// declaration that contradicts it (templates often keep lang="en").
	sample := sc.paraText.String()
	if len(sample) < 200 {
		sample += " " + sc.bodyText.String()
	}
	if guess, strong := detectLang(sample); doc.Language == "" {
		doc.Language = guess
	} else if strong && guess != "" && langBase(doc.Language) != guess && detectable(langBase(doc.Language)) {
		doc.Language = guess
	}

	// URLs.
	if c := pick(func(f *metaFields) string { return f.canonical }, &markup, &og, &ld); c != "" {
		doc.CanonicalURL = resolveRef(base, c)
	}
	if img := pick(func(f *metaFields) string { return f.image }, &og, &tw, &ld, &md, &markup); img != "" {
		doc.LeadImage = resolveRef(base, img)
	}
	switch {
	case sc.icon != "":
		doc.Favicon = resolveRef(base, sc.icon)
	case sc.touchIcon != "":
		doc.Favicon = resolveRef(base, sc.touchIcon)
	case baseKnown(base) && (base.Scheme == "http" || base.Scheme == "https"):
		doc.Favicon = (&url.URL{Scheme: base.Scheme, Host: base.Host, Path: "/favicon.ico"}).String()
	}

	// Categories and tags: union of all sources, first spelling wins.
	doc.Categories = unionList(64, ld.categories, og.categories, plain.categories, md.categories)
	doc.Tags = unionList(64, ld.tags, og.tags, plain.tags, dc.tags, md.tags)

	// Raw maps and robots.
	doc.OpenGraph = m.prefixed("og:")
	doc.Twitter = m.prefixed("twitter:")
	doc.Robots = sc.robots
}

// langBase returns the language subtag of a BCP 47 tag ("pt" of "pt-BR").
func langBase(tag string) string {
	if i := strings.IndexByte(tag, '-'); i > 0 {
		return strings.ToLower(tag[:i])
	}
	return strings.ToLower(tag)
}

// pick returns the first non-empty value get finds in srcs.
func pick(get func(*metaFields) string, srcs ...*metaFields) string {
	for _, f := range srcs {
		if v := strings.TrimSpace(get(f)); v != "" {
			return v
		}
	}
	return ""
}

// unionList merges lists, dropping case-insensitive duplicates and empty
// items, keeping at most limit items.
func unionList(limit int, lists ...[]string) []string {
	var out []string
	var seen map[string]bool
	for _, l := range lists {
		for _, s := range l {
			s = truncUTF8(collapseWS(s), 200)
			if s == "" || looksLikeURL(s) || s[0] == '&' || s[0] == '@' {
				continue // URLs, broken entities ("&quot"), ids ("@post-id:1")
			}
			k := strings.ToLower(s)
			if seen == nil {
				seen = make(map[string]bool)
			}
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, s)
			if len(out) >= limit {
				return out
			}
		}
	}
	return out
}

// metaTags holds the page's <meta> values by lower-case name or property,
// in page order.
type metaTags struct {
	keys []string
	vals []string
}

const maxMetaTags = 2048

func (m *metaTags) add(k, v string) {
	if len(m.keys) >= maxMetaTags {
		return
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
}

// first returns the first non-empty value of any of keys, in key order.
func (m *metaTags) first(keys ...string) string {
	for _, k := range keys {
		for i, mk := range m.keys {
			if mk == k {
				if v := cleanText(m.vals[i]); v != "" {
					return v
				}
			}
		}
	}
	return ""
}

// all returns every non-empty value of keys (lists split on commas).
func (m *metaTags) all(keys ...string) []string {
	var out []string
	for _, k := range keys {
		for i, mk := range m.keys {
			if mk == k {
				out = append(out, splitList(m.vals[i])...)
			}
		}
	}
	return out
}

// date returns the first value of keys that parses as a date.
func (m *metaTags) date(keys ...string) string {
	for _, k := range keys {
		for i, mk := range m.keys {
			if mk == k {
				if d := parseDate(m.vals[i]); d != "" {
					return d
				}
			}
		}
	}
	return ""
}

// prefixed returns the first value of each key starting with prefix, keyed
// without it.
func (m *metaTags) prefixed(prefix string) map[string]string {
	var out map[string]string
	for i, k := range m.keys {
		if !strings.HasPrefix(k, prefix) || len(k) == len(prefix) {
			continue
		}
		v := cleanText(m.vals[i])
		if v == "" {
			continue
		}
		if out == nil {
			out = make(map[string]string)
		}
		if _, ok := out[k[len(prefix):]]; !ok && len(out) < 256 {
			out[k[len(prefix):]] = truncUTF8(v, 4096)
		}
	}
	return out
}

// pageScan is what one walk over the page collects for the metadata.
type pageScan struct {
	htmlLang      string
	httpEquivLang string
	title         string
	h1            string
	meta          metaTags
	jsonld        []string
	items         []*html.Node // top-level microdata items
	canonical     string
	icon          string
	touchIcon     string
	imageSrc      string
	timePub       string // <time pubdate> or an itemprop=datePublished outside items
	timeAny       string // first <time datetime> of the body
	bylines       []string
	robots        []string
	paraText      strings.Builder // text of <p> elements, for language detection
	bodyText      strings.Builder // any body text, for language detection
}

// Walk flags.
const (
	inBody = 1 << iota
	inItem
	inPara
	inBoiler // comments, navigation: no bylines from there
	inByline // inside a byline already taken
)

// maxScanNodes bounds the metadata walk.
const maxScanNodes = 4_000_000

func (sc *pageScan) scan(root *html.Node) {
	type entry struct {
		n     *html.Node
		flags int
	}
	stack := []entry{{root, 0}}
	visited := 0
	for len(stack) > 0 && visited < maxScanNodes {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n, flags := e.n, e.flags
		visited++
		switch n.Type {
		case html.TextNode:
			if flags&inBody != 0 {
				if flags&inPara != 0 && sc.paraText.Len() < langSampleBytes {
					sc.paraText.WriteString(n.Data)
					sc.paraText.WriteByte(' ')
				} else if sc.bodyText.Len() < langSampleBytes {
					sc.bodyText.WriteString(n.Data)
					sc.bodyText.WriteByte(' ')
				}
			}
			continue
		case html.ElementNode:
			if !sc.element(n, &flags) {
				continue
			}
		case html.DocumentNode:
		default:
			continue
		}
		// Push children in reverse so they pop in document order.
		for c := n.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, entry{c, flags})
		}
	}
}

// element records what n says and updates the flags for its children. It
// returns false when the children need not be walked.
func (sc *pageScan) element(n *html.Node, flags *int) bool {
	if n.Namespace != "" {
		return false // svg, math
	}
	// One look at the attributes.
	var itemprop, cls, id string
	itemscope := false
	for i := range n.Attr {
		a := &n.Attr[i]
		if a.Namespace != "" {
			continue
		}
		switch a.Key {
		case "itemprop":
			itemprop = a.Val
		case "itemscope":
			itemscope = true
		case "class":
			cls = a.Val
		case "id":
			id = a.Val
		}
	}
	if itemprop != "" && *flags&inItem == 0 && !itemscope {
		sc.orphanItemprop(n, itemprop)
	}
	if itemscope && *flags&inItem == 0 && len(sc.items) < maxMicrodataItems {
		sc.items = append(sc.items, n)
		*flags |= inItem
	}
	switch n.DataAtom {
	case atom.Html:
		if sc.htmlLang == "" {
			sc.htmlLang = attrOf(n, "lang")
			if sc.htmlLang == "" {
				for _, a := range n.Attr {
					if a.Key == "lang" || a.Key == "xml:lang" || a.Namespace == "xml" && a.Key == "lang" {
						sc.htmlLang = a.Val
					}
				}
			}
		}
	case atom.Body:
		*flags |= inBody
	case atom.Title:
		if sc.title == "" && *flags&inBody == 0 {
			sc.title = textOf(n, 2048)
		}
		return false
	case atom.Meta:
		sc.metaTag(n)
		return false
	case atom.Link:
		sc.linkTag(n)
		return false
	case atom.Script:
		if strings.EqualFold(strings.TrimSpace(attrOf(n, "type")), "application/ld+json") && len(sc.jsonld) < maxSchemaBlocks {
			var b strings.Builder
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.TextNode {
					b.WriteString(c.Data)
				}
			}
			sc.jsonld = append(sc.jsonld, b.String())
		}
		return false
	case atom.Style, atom.Noscript, atom.Template, atom.Svg, atom.Math, atom.Iframe, atom.Object:
		return false
	case atom.H1:
		if sc.h1 == "" && *flags&inBody != 0 {
			sc.h1 = textOf(n, 2048)
		}
	case atom.Time:
		if dt := attrOf(n, "datetime"); dt != "" {
			if sc.timePub == "" && (hasAttrOf(n, "pubdate") || strings.EqualFold(attrOf(n, "itemprop"), "datePublished")) {
				sc.timePub = dt
			}
			if sc.timeAny == "" && *flags&(inBody|inBoiler) == inBody {
				sc.timeAny = dt
			}
		}
	case atom.P:
		*flags |= inPara
	case atom.Nav, atom.Footer, atom.Aside:
		*flags |= inBoiler
	}
	if *flags&inBody == 0 {
		return true
	}
	// Bylines: rel=author links and elements whose class or id speaks of
	// an author, outside comments and navigation.
	if *flags&inBoiler == 0 && (cls != "" || id != "") && !pageWrapper(n.DataAtom) && hintsAny(cls, id, "comment", "footer", "sidebar", "related") {
		*flags |= inBoiler
	}
	if *flags&(inBoiler|inByline) != 0 || len(sc.bylines) >= 3 {
		return true
	}
	byline := false
	if n.DataAtom == atom.A && tokenHas(attrOf(n, "rel"), "author") {
		byline = true
	} else if (cls != "" || id != "") && hintsAny(cls, id, "byline", "author") && !hintsAny(cls, id, "avatar", "bio", "image", "photo", "about", "box") {
		byline = true
	}
	if byline {
		// Blocks inside a byline (name, role, date) are kept apart.
		if t := strings.Trim(textSep(n, 512, " | "), " |"); t != "" && utf8.RuneCountInString(t) <= 160 {
			sc.bylines = append(sc.bylines, t)
			*flags |= inByline // a date may still be inside
		}
	}
	return true
}

// containsASCIIFold reports whether s contains the lower-case ASCII word
// w, ignoring ASCII case, without allocating.
func containsASCIIFold(s, w string) bool {
	if len(w) == 0 {
		return true
	}
	first := w[0]
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i]|0x20 != first {
			continue
		}
		j := 1
		for j < len(w) && s[i+j]|0x20 == w[j] {
			j++
		}
		if j == len(w) {
			return true
		}
	}
	return false
}

// pageWrapper reports elements whose classes describe the whole page
// ("one-sidebar", "has-comments") rather than a part of it.
func pageWrapper(a atom.Atom) bool {
	return a == atom.Html || a == atom.Body || a == atom.Main || a == atom.Article
}

// hintsAny reports whether the class or id contains any of the words
// (ASCII case-insensitive substring).
func hintsAny(cls, id string, words ...string) bool {
	for _, s := range [2]string{cls, id} {
		if s == "" {
			continue
		}
		if len(s) > 256 {
			s = s[:256]
		}
		if containsAnyASCIIFold(s, words) {
			return true
		}
	}
	return false
}

// containsAnyASCIIFold reports whether s contains any of words (lower
// case, not empty), ignoring ASCII case: containsASCIIFold for each word,
// in one pass over s that looks closer only where a word's first letter
// is.
func containsAnyASCIIFold(s string, words []string) bool {
	var first uint32 // bit c-'a' for each first letter
	for _, w := range words {
		if c := w[0] - 'a'; c < 26 {
			first |= 1 << c
		} else if containsASCIIFold(s, w) {
			return true
		}
	}
	for i := 0; i < len(s); i++ {
		c := (s[i] | 0x20) - 'a'
		if c >= 26 || first&(1<<c) == 0 {
			continue
		}
		for _, w := range words {
			if w[0]-'a' == c && len(w) <= len(s)-i && equalFoldLower(s[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}

// equalFoldLower reports whether s equals the lower-case w, ignoring
// ASCII case (the way containsASCIIFold compares).
func equalFoldLower(s, w string) bool {
	for j := 0; j < len(w); j++ {
		if s[j]|0x20 != w[j] {
			return false
		}
	}
	return true
}

func (sc *pageScan) metaTag(n *html.Node) {
	content := attrOf(n, "content")
	if he := attrOf(n, "http-equiv"); he != "" {
		if strings.EqualFold(strings.TrimSpace(he), "content-language") && sc.httpEquivLang == "" {
			sc.httpEquivLang = content
		}
		return
	}
	for _, key := range [3]string{"property", "name", "itemprop"} {
		k := attrOf(n, key)
		if k == "" {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if strings.HasPrefix(k, "dc:") || strings.HasPrefix(k, "dcterms:") {
			k = strings.Replace(k, ":", ".", 1)
		}
		switch k {
		case "robots", "googlebot":
			for _, d := range strings.Split(content, ",") {
				d = strings.ToLower(collapseWS(d))
				if d == "" || len(sc.robots) >= 32 || containsStr(sc.robots, d) {
					continue
				}
				sc.robots = append(sc.robots, d)
			}
		}
		if key == "itemprop" {
			// Handled as microdata; outside items by orphanItemprop.
			return
		}
		// property="og:title" and name="og:title" are both common; a
		// property may also hold several space-separated names (RDFa).
		for _, f := range strings.Fields(k) {
			sc.meta.add(f, content)
		}
	}
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func (sc *pageScan) linkTag(n *html.Node) {
	rel := strings.ToLower(attrOf(n, "rel"))
	href := strings.TrimSpace(attrOf(n, "href"))
	if rel == "" || href == "" {
		return
	}
	switch {
	case tokenHas(rel, "canonical"):
		if sc.canonical == "" {
			sc.canonical = href
		}
	case tokenHas(rel, "apple-touch-icon") || tokenHas(rel, "apple-touch-icon-precomposed"):
		if sc.touchIcon == "" {
			sc.touchIcon = href
		}
	case tokenHas(rel, "icon"):
		if sc.icon == "" {
			sc.icon = href
		}
	case tokenHas(rel, "image_src"):
		if sc.imageSrc == "" {
			sc.imageSrc = href
		}
	}
}

// orphanItemprop records itemprop values outside any item: sites often
// mark only a date or author.
func (sc *pageScan) orphanItemprop(n *html.Node, names string) {
	for _, name := range strings.Fields(names) {
		switch name {
		case "datePublished":
			if sc.timePub == "" {
				if v, ok := microdataValue(n, nil).(string); ok {
					sc.timePub = v
				}
			}
		case "author", "creator":
			if len(sc.bylines) < 3 {
				if v, ok := microdataValue(n, nil).(string); ok && v != "" && !looksLikeURL(v) {
					sc.bylines = append([]string{v}, sc.bylines...)
				}
			}
		case "headline", "dateModified", "description", "image", "name":
			if n.DataAtom == atom.Meta || n.DataAtom == atom.Link {
				sc.meta.add("itemprop:"+strings.ToLower(name), attrOf(n, "content")+attrOf(n, "href"))
			}
		}
	}
}

// Titles.

// titleSeparators split a title from a site name around them.
var titleSeparators = []string{" | ", " - ", " — ", " – ", " · ", " • ", " :: ", " » ", " « ", " / ", " ~ "}

// cleanTitle collapses white space and removes a site-name prefix or
// suffix: a part after (or before) a separator that matches the site name
// or the host, or, for <title> text, a short part when the rest is clearly
// the headline. ": Site" is removed only when it matches the site name.
// When the <title> contains the page's <h1>, the <h1> is the title.
func cleanTitle(title, site, host, h1 string, fromTitleTag bool) string {
	title = truncUTF8(collapseWS(title), 1024)
	if title == "" {
		return ""
	}
	if fromTitleTag && h1 != "" && h1 != title && utf8.RuneCountInString(h1) >= 10 && strings.Contains(title, h1) {
		return h1
	}
	matches := func(part string) bool {
		p := normName(part)
		if p == "" {
			return false
		}
		if site != "" && (p == normName(site) || strings.Contains(normName(site), p) && len(p) >= 4) {
			return true
		}
		h := strings.TrimPrefix(strings.ToLower(host), "www.")
		if h != "" {
			hn := normName(h)
			if p == hn || strings.HasPrefix(hn, p) && len(p) >= 4 {
				return true
			}
			if i := strings.IndexByte(h, '.'); i > 0 && p == normName(h[:i]) {
				return true
			}
		}
		return false
	}
	for range 2 { // "Headline | Section | Site": at most two parts go
		changed := false
		for _, sep := range append(titleSeparators, ": ") {
			i := strings.LastIndex(title, sep)
			if i > 0 {
				head, tail := strings.TrimSpace(title[:i]), strings.TrimSpace(title[i+len(sep):])
				// A pipe almost never belongs to a headline, so a short
				// part after one goes whatever the source.
				if head != "" && (matches(tail) || sep != ": " && (fromTitleTag || sep == " | ") && shortPart(tail, head)) {
					title, changed = head, true
					break
				}
			}
			j := strings.Index(title, sep)
			if j > 0 && sep != ": " {
				head, tail := strings.TrimSpace(title[:j]), strings.TrimSpace(title[j+len(sep):])
				if tail != "" && matches(head) {
					title, changed = tail, true
					break
				}
			}
		}
		if !changed {
			break
		}
	}
	return title
}

// shortPart reports whether part is short enough, compared with rest, to
// be a site or section name rather than part of the headline.
func shortPart(part, rest string) bool {
	pw, rw := len(strings.Fields(part)), len(strings.Fields(rest))
	return pw <= 3 && utf8.RuneCountInString(part) <= 30 && rw >= 2 && rw >= 2*pw
}

// normName lower-cases s and keeps only letters and digits, for comparing
// site names ("The Verge" ~ "theverge.com" without the TLD).
func normName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Authors.

var bylinePrefixes = []string{"written by", "posted by", "published by", "story by", "words by", "reported by", "author:", "authors:", "by:", "by", "von", "par", "por", "di", "door", "av", "autor:", "autore:", "auteur:"}

// cleanAuthors turns raw author values and bylines into names: prefixes
// such as "By " go, anything after a separator (" | ", " — ", " on ") or a
// date goes, lists are split on commas, semicolons, "and" and "&", and
// values that are URLs, e-mail addresses, handles or too long are dropped.
func cleanAuthors(raw []string) []string {
	var out []string
	for _, r := range raw {
		r = collapseWS(r)
		if r == "" || len(r) > 400 || looksLikeURL(r) {
			continue
		}
		for _, sep := range []string{" | ", " — ", " – ", " - ", " · ", " • ", " updated ", " published ", " posted "} {
			if i := strings.Index(strings.ToLower(r), sep); i > 0 {
				r = r[:i]
			}
		}
		r = stripBylinePrefix(r)
		for _, part := range splitAuthors(r) {
			trimmed := strings.Trim(part, " .,;:-–—|•·\"'()[]")
			part = cutAtDate(trimmed)
			if part != trimmed {
				// What follows a date is not more names ("Jane Doe
				// 27/09/2018 News, Sport").
				if part = stripLabel(stripBylinePrefix(part)); plausibleName(part) && !containsFold(out, part) {
					out = append(out, fixShouting(part))
				}
				break
			}
			part = stripBylinePrefix(part)
			part = stripLabel(part)
			if !plausibleName(part) {
				continue
			}
			if len(out) > 0 && (isCredential(part) || isRole(part)) {
				continue // "Jane Doe, MD", "John Roe, AP Science Writer"
			}
			part = fixShouting(part)
			if !containsFold(out, part) {
				out = append(out, part)
			}
			if len(out) >= 16 {
				return out
			}
		}
	}
	return out
}

// stripLabel drops a one-word label before a colon ("Text: Jane Doe",
// "Текст: ...", "Fotos: ...").
func stripLabel(s string) string {
	i := strings.Index(s, ": ")
	if i <= 0 || utf8.RuneCountInString(s[:i]) > 12 || strings.ContainsAny(s[:i], " ") {
		return s
	}
	return strings.TrimSpace(s[i+2:])
}

// isCredential reports a short all-capitals part such as "MD" or "PhD".
func isCredential(s string) bool {
	if utf8.RuneCountInString(s) > 4 || strings.Contains(s, " ") {
		return false
	}
	up := 0
	for _, r := range s {
		if unicode.IsUpper(r) {
			up++
		}
	}
	return up >= 2
}

// isRole reports a job title rather than a name ("AP Auto Writer").
func isRole(s string) bool {
	w := strings.Fields(strings.ToLower(s))
	if len(w) == 0 {
		return false
	}
	last := w[len(w)-1]
	for _, r := range []string{"writer", "correspondent", "editor", "reporter", "contributor", "columnist", "producer", "staff", "photographer", "journalist", "redakteur", "redaktion"} {
		if strings.HasPrefix(last, r) {
			return true
		}
	}
	return false
}

// fixShouting turns an all-capitals name of several words ("LISA
// MASCARO") into title case.
func fixShouting(s string) string {
	if !strings.Contains(s, " ") || strings.ToUpper(s) != s || strings.ToLower(s) == s {
		return s
	}
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToTitle(r)) + w[size:]
	}
	return strings.Join(words, " ")
}

// dateConnectors are words that join a name to a following date.
var dateConnectors = map[string]bool{"on": true, "le": true, "am": true, "el": true, "il": true, "at": true, "the": true, "de": true, "del": true, "op": true, "den": true}

// cutAtDate drops a date (the first word with a digit or naming a month)
// and the connector words before it from a byline part: "Jane Doe on
// March 3, 2024" gives "Jane Doe".
func cutAtDate(s string) string {
	words := strings.Fields(s)
	for k, w := range words {
		lw := strings.ToLower(strings.Trim(w, ".,"))
		_, month := monthNames[lw]
		// A month name counts only next to a number ("Theresa May").
		month = month && (k+1 < len(words) && hasDigit(words[k+1]) || k > 0 && hasDigit(words[k-1]))
		if month || hasDigit(w) {
			for k > 0 && dateConnectors[strings.ToLower(words[k-1])] {
				k--
			}
			return strings.Join(words[:k], " ")
		}
	}
	return s
}

func hasDigit(s string) bool { return strings.IndexFunc(s, unicode.IsDigit) >= 0 }

func stripBylinePrefix(s string) string {
	s = strings.TrimSpace(s)
	// "Analysis by Jane Doe", "Text and photos by ...".
	if i := strings.Index(strings.ToLower(s), " by "); i > 0 && i <= 24 && len(strings.Fields(s[:i])) <= 3 {
		s = strings.TrimSpace(s[i+4:])
	}
	for changed := true; changed; {
		changed = false
		ls := strings.ToLower(s)
		for _, p := range bylinePrefixes {
			if strings.HasPrefix(ls, p) {
				rest := s[len(p):]
				if strings.HasSuffix(p, ":") || rest == "" || rest[0] == ' ' || rest[0] == ':' {
					s = strings.TrimLeft(rest, " :")
					changed = true
					break
				}
			}
		}
	}
	return s
}

// splitAuthors splits a list of names.
func splitAuthors(s string) []string {
	return strings.Split(authorSeparators.Replace(s), ",")
}

// authorSeparators turns the words and signs that join names into commas.
var authorSeparators = strings.NewReplacer(" and ", ",", " And ", ",", " & ", ",", " und ", ",", " et ", ",", " y ", ",", " e ", ",", ";", ",", " with ", ",")

// plausibleName reports whether s can be a person's or organisation's
// name: a few words, no digits (dates), no @ (handles, e-mail).
func plausibleName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 80 || looksLikeURL(s) {
		return false
	}
	words := strings.Fields(s)
	if len(words) > 6 {
		return false
	}
	letters := 0
	for _, r := range s {
		switch {
		case unicode.IsDigit(r), r == '@', r == '/', r == '=':
			return false
		case unicode.IsLetter(r):
			letters++
		}
	}
	if letters < 2 {
		return false
	}
	switch strings.ToLower(s) {
	case "admin", "administrator", "staff", "unknown", "anonymous", "author", "authors", "editor", "guest", "updated", "published", "share", "follow":
		return false
	}
	return true
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
