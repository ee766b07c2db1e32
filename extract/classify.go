package extract

import (
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Element flags set by classify and the content walk.
const (
	fBlock     uint32 = 1 << iota // a block-level element: owns the text inside it
	fBoiler                       // tag, role, class or id says boilerplate
	fStrong                       // the boilerplate mark is a strong one (comments, ads...)
	fPositive                     // class, id, role or itemprop says article body
	fLink                         // inside an <a href>
	fNoText                       // text children are not page text (iframe, video...)
	fHeading                      // h1-h6
	fTitle                        // h1
	fPara                         // p
	fTime                         // <time> or a date-like class
	fInBoiler                     // has an effective boilerplate ancestor-or-self
	fKeepAll                      // itemprop=articleBody (or reviewBody, text): the page says so
	fItem                         // li, td, th, dd, dt
	fListing                      // a list of articles (teasers), never a false alarm
	fCaption                      // figcaption: kept in the content, not in its text
	fHidden                       // class cache only: a class that hides the element
	fInCaption                    // has a caption ancestor-or-self
	fEllipsis                     // a block whose text ends in "..."
	fTeaserKid                    // a child holds a list of teasers
	fComments                     // reader comments: never a false alarm
)

// hiddenKind says why an element is not visible.
type hiddenKind uint8

const (
	hiddenNone hiddenKind = iota
	hiddenAria            // aria-hidden="true" only
	hiddenHard            // hidden attribute, display:none, a hiding class
)

// maxClassCache bounds the per-page cache of class verdicts.
const maxClassCache = 4096

// dropTag reports whether an element and its subtree are never page
// content, in every mode.
func dropTag(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head,
		atom.Title, atom.Meta, atom.Link, atom.Base, atom.Svg, atom.Math,
		atom.Select, atom.Option, atom.Optgroup, atom.Textarea, atom.Input,
		atom.Button, atom.Canvas, atom.Map, atom.Dialog, atom.Frameset,
		atom.Frame, atom.Datalist, atom.Param, atom.Track, atom.Object,
		atom.Applet, atom.Embed, atom.Menu:
		return true
	}
	return false
}

// blockTag reports whether an element starts a new block of text.
func blockTag(a atom.Atom) bool {
	switch a {
	case atom.A, atom.Abbr, atom.B, atom.Bdi, atom.Bdo, atom.Br, atom.Cite,
		atom.Code, atom.Data, atom.Del, atom.Dfn, atom.Em, atom.Font, atom.I,
		atom.Img, atom.Ins, atom.Kbd, atom.Label, atom.Mark, atom.Q, atom.Rp,
		atom.Rt, atom.Ruby, atom.S, atom.Samp, atom.Small, atom.Span,
		atom.Strike, atom.Strong, atom.Sub, atom.Sup, atom.Time, atom.Tt,
		atom.U, atom.Var, atom.Wbr, atom.Picture, atom.Source, atom.Nobr,
		atom.Big, atom.Acronym, atom.Output, atom.Meter, atom.Progress:
		return false
	case 0:
		// Unknown (custom) elements are inline unless they hold blocks;
		// treating them as blocks is the safer default for text
		// separation.
		return true
	}
	return true
}

// classify returns the flags an element earns from its own tag and
// attributes. cache, if not nil, remembers the verdict on class and id
// values, which repeat a lot within a page.
//
// hidden is hiddenHard for the hidden attribute, a hiding style or class,
// and hiddenAria for aria-hidden="true" alone (which a page may also set
// on its whole wrapper while a dialog is open).
func classify(n *html.Node, cache map[string]uint32) (flags uint32, hidden hiddenKind) {
	switch n.DataAtom {
	case atom.Nav, atom.Aside, atom.Footer, atom.Header:
		flags |= fBoiler
	case atom.Article, atom.Main:
		flags |= fPositive
	case atom.H1:
		flags |= fHeading | fTitle
	case atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		flags |= fHeading
	case atom.P:
		flags |= fPara
	case atom.Time:
		flags |= fTime
	case atom.Figcaption:
		flags |= fCaption
	case atom.Li, atom.Td, atom.Th, atom.Dd, atom.Dt:
		flags |= fItem
	case atom.Iframe, atom.Video, atom.Audio:
		flags |= fNoText
	}
	if blockTag(n.DataAtom) {
		flags |= fBlock
	}
	for i := range n.Attr {
		a := &n.Attr[i]
		if a.Namespace != "" {
			continue
		}
		switch a.Key {
		case "class", "id":
			var v uint32
			ok := false
			if a.Key == "class" {
				// ids are unique: only class values are worth caching.
				v, ok = cache[a.Val]
			}
			if !ok {
				v = classWords(a.Val)
				if hiddenClass(a.Val) {
					v |= fHidden
				}
				if cache != nil && a.Key == "class" && len(cache) < maxClassCache {
					cache[a.Val] = v
				}
			}
			if v&fHidden != 0 {
				hidden = hiddenHard
			}
			flags |= v &^ fHidden
		case "hidden":
			hidden = hiddenHard
		case "aria-hidden":
			if equalFoldASCII(a.Val, "true") && hidden == hiddenNone {
				hidden = hiddenAria
			}
		case "style":
			if styleHidden(a.Val) {
				hidden = hiddenHard
			}
		case "role":
			var buf [24]byte
			switch string(lowerShort(&buf, a.Val)) {
			case "navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog", "menu", "menubar":
				flags |= fBoiler
			case "main", "article":
				flags |= fPositive
			}
		case "itemprop":
			if containsFoldASCII(a.Val, "articlebody") || containsFoldASCII(a.Val, "reviewbody") || equalFoldASCII(a.Val, "text") {
				flags |= fPositive | fKeepAll
			}
		case "itemtype":
			if containsFoldASCII(a.Val, "Comment") {
				flags |= fBoiler | fStrong | fComments
			}
		}
	}
	if flags&fPositive != 0 && flags&fStrong == 0 {
		// An element with a positive class name and a weakly negative
		// one ("post type-post tag-news") stays neutral, unless its tag
		// is itself boilerplate.
		if n.DataAtom != atom.Header && n.DataAtom != atom.Footer && n.DataAtom != atom.Nav && n.DataAtom != atom.Aside {
			flags &^= fBoiler
		}
	}
	return flags, hidden
}

// word classes of class and id words.
const (
	wNone uint8 = iota
	wPos
	wWeak   // boilerplate unless a positive word follows it
	wStrong // boilerplate whatever follows
	wDate
	wCaption
	wEmbed   // embedded content (a tweet, a video): never boilerplate
	wComment // reader comments: strong, and never a false alarm
)

var exactWords = map[string]uint8{
	// positive
	"article": wPos, "articlebody": wPos, "body": wPos, "content": wPos,
	"entry": wPos, "main": wPos, "post": wPos, "story": wPos, "text": wPos,
	"blog": wPos, "prose": wPos, "richtext": wPos, "storybody": wPos,
	"postbody": wPos, "entrycontent": wPos, "articletext": wPos,
	"hentry": wPos, "permalink": wPos,
	// strong boilerplate
	"ad": wStrong, "ads": wStrong, "adv": wStrong, "dfp": wStrong,
	"gpt": wStrong, "adslot": wStrong, "adunit": wStrong,
	"disqus": wComment, "outbrain": wStrong, "taboola": wStrong,
	"sidebar": wStrong, "related": wStrong, "share": wStrong,
	"sharing": wStrong, "social": wStrong, "newsletter": wStrong,
	"breadcrumb": wStrong, "breadcrumbs": wStrong, "recirc": wStrong,
	"recirculation": wStrong, "trending": wStrong, "popular": wStrong,
	"mostread": wStrong, "mostpopular": wStrong, "cookie": wStrong,
	"cookies": wStrong, "consent": wStrong, "paywall": wStrong,
	"comment": wComment, "comments": wComment, "respond": wStrong,
	"reply": wStrong, "replies": wStrong,
	// weak boilerplate
	"nav": wWeak, "navbar": wWeak, "navigation": wWeak, "menu": wWeak,
	"footer": wWeak, "header": wWeak, "masthead": wWeak, "banner": wWeak,
	"pagination": wWeak, "pager": wWeak, "popup": wWeak, "modal": wWeak,
	"promo": wWeak, "subscribe": wWeak, "subscription": wWeak,
	"signup": wWeak, "widget": wWeak, "widgets": wWeak, "toolbar": wWeak,
	"tags": wWeak, "tag": wWeak, "tagcloud": wWeak, "tagged": wWeak,
	"author": wWeak, "authors": wWeak, "byline": wWeak, "bio": wWeak,
	"meta": wWeak, "metadata": wWeak, "print": wWeak, "login": wWeak,
	"rating": wWeak, "follow": wWeak, "rss": wWeak, "copyright": wWeak,
	"legal": wWeak, "disclaimer": wWeak, "utility": wWeak, "tools": wWeak,
	"sticky": wWeak, "overlay": wWeak, "skip": wWeak, "jump": wWeak,
	"sponsor": wStrong, "sponsored": wStrong, "advert": wStrong,
	"advertisement": wStrong, "advertising": wStrong,
	"recommend": wStrong, "recommended": wStrong, "recommendations": wStrong,
	"more": wNone, "next": wWeak, "prev": wWeak, "previous": wWeak,
	"contributor": wWeak, "contributors": wWeak, "credit": wWeak,
	"embed": wEmbed, "embedded": wEmbed, "tweet": wEmbed, "twitter-tweet": wEmbed,
	"credits": wWeak, "caption": wCaption, "captions": wCaption, "dateline": wDate, "date": wDate,
	"time": wDate, "timestamp": wDate, "published": wDate, "updated": wDate,
	"pubdate": wDate,
}

type prefixWord struct {
	p string
	w uint8
}

// wordIndex holds, per first letter, the lengths of the exact keywords
// (a bit per length) and the prefix keywords.
var wordIndex = buildWordIndex()

func buildWordIndex() (ix [26]struct {
	lengths  uint32
	prefixes []prefixWord
}) {
	for w := range exactWords {
		if c := w[0]; c >= 'a' && c <= 'z' && len(w) < 32 {
			ix[c-'a'].lengths |= 1 << len(w)
		}
	}
	for _, p := range prefixWords {
		ix[p.p[0]-'a'].prefixes = append(ix[p.p[0]-'a'].prefixes, p)
	}
	return ix
}

var prefixWords = [...]prefixWord{
	{"comment", wComment}, {"advert", wStrong}, {"sponsor", wStrong},
	{"newsletter", wStrong}, {"subscri", wWeak}, {"recommend", wStrong},
	{"breadcrumb", wStrong}, {"related", wStrong}, {"social", wStrong},
	{"sharing", wStrong}, {"sharebar", wStrong}, {"sharethis", wStrong},
	{"shareaholic", wStrong}, {"disqus", wComment}, {"outbrain", wStrong},
	{"taboola", wStrong}, {"sidebar", wStrong}, {"navbar", wWeak},
	{"footer", wWeak}, {"popup", wWeak}, {"cookie", wStrong},
	{"byline", wWeak}, {"dateline", wDate}, {"timestamp", wDate},
	{"pagination", wWeak}, {"promo", wWeak}, {"masthead", wWeak},
}

// classWords classifies a class or id attribute. Each space separated
// name is split into words at '-', '_' and case changes; a name counts as
// boilerplate when it holds a boilerplate word ("entry-meta",
// "footer-text"), and as positive when it holds a positive word and no
// boilerplate one. Strong words (comments, ads, share bars) keep the mark
// even when another class name of the element is positive.
func classWords(v string) uint32 {
	var flags uint32
	var buf [32]byte
	i := 0
	for i < len(v) {
		for i < len(v) && isHTMLSpace(v[i]) {
			i++
		}
		start := i
		for i < len(v) && !isHTMLSpace(v[i]) {
			i++
		}
		name := v[start:i]
		if name == "" {
			continue
		}
		var lastNeg, lastPos int = -1, -1
		lastDate := -1
		strong, caption, embed, comment := false, false, false, false
		word := 0
		j := 0
		for j < len(name) {
			for j < len(name) && !isAlnumByte(name[j]) {
				j++
			}
			ws := j
			for j < len(name) && isAlnumByte(name[j]) {
				// split camelCase: a lower letter followed by an upper one.
				if j > ws && name[j] >= 'A' && name[j] <= 'Z' && name[j-1] >= 'a' && name[j-1] <= 'z' {
					break
				}
				j++
			}
			w := name[ws:j]
			if len(w) == 0 || len(w) > len(buf) {
				continue
			}
			for k := 0; k < len(w); k++ {
				c := w[k]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf[k] = c
			}
			lw := buf[:len(w)]
			var cls uint8
			if lw[0] >= 'a' && lw[0] <= 'z' {
				// Most words are no keyword: a table of the first
				// letters and lengths of the keywords spares most map
				// lookups and prefix scans.
				ix := &wordIndex[lw[0]-'a']
				ok := false
				if len(lw) < 32 && ix.lengths&(1<<len(lw)) != 0 {
					cls, ok = exactWords[string(lw)]
				}
				if !ok {
					for _, p := range ix.prefixes {
						if len(lw) > len(p.p) && string(lw[:len(p.p)]) == p.p {
							cls = p.w
							break
						}
					}
				}
			}
			switch cls {
			case wPos:
				lastPos = word
			case wWeak:
				lastNeg = word
			case wStrong:
				lastNeg = word
				strong = true
			case wDate:
				lastDate = word
			case wCaption:
				caption = true
			case wEmbed:
				embed = true
			case wComment:
				lastNeg = word
				strong, comment = true, true
			}
			word++
		}
		if embed {
			// "social-media-embed": the embedded post is content.
			flags |= fPositive
		} else if strong {
			flags |= fBoiler | fStrong
			if comment {
				flags |= fComments
			}
		} else if lastNeg >= 0 {
			flags |= fBoiler
		} else if lastPos > lastDate {
			flags |= fPositive
		}
		if caption && !strong && lastNeg < 0 {
			flags |= fCaption
		}
		if lastDate > lastPos {
			flags |= fTime
		}
	}
	return flags
}

// hiddenClass reports class names that hide an element from readers.
func hiddenClass(v string) bool {
	i := 0
	for i < len(v) {
		for i < len(v) && isHTMLSpace(v[i]) {
			i++
		}
		start := i
		for i < len(v) && !isHTMLSpace(v[i]) {
			i++
		}
		var buf [24]byte
		switch string(lowerShort(&buf, v[start:i])) {
		case "hidden", "sr-only", "visually-hidden", "visuallyhidden", "screen-reader-text", "screenreader-only", "hide", "invisible", "d-none":
			return true
		}
	}
	return false
}

// styleHidden reports an inline style with display:none or
// visibility:hidden.
func styleHidden(s string) bool {
	for i := 0; i+7 <= len(s); i++ {
		c := s[i] | 0x20
		if c != 'd' && c != 'v' {
			continue
		}
		var rest string
		if c == 'd' && hasPrefixFold(s[i:], "display") {
			rest = s[i+7:]
		} else if c == 'v' && hasPrefixFold(s[i:], "visibility") {
			rest = s[i+10:]
		} else {
			continue
		}
		rest = trimLeftSpace(rest)
		if len(rest) == 0 || rest[0] != ':' {
			continue
		}
		rest = trimLeftSpace(rest[1:])
		if hasPrefixFold(rest, "none") || hasPrefixFold(rest, "hidden") {
			return true
		}
	}
	return false
}

func trimLeftSpace(s string) string {
	for len(s) > 0 && isHTMLSpace(s[0]) {
		s = s[1:]
	}
	return s
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func isAlnumByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFoldASCII(s[:len(prefix)], prefix)
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func containsFoldASCII(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if equalFoldASCII(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// lowerShort lowercases the ASCII letters of s into buf, for a switch on
// a few short keywords: switch string(lowerShort(&buf, s)) neither
// allocates nor matches a keyword when s is longer than buf (nil).
func lowerShort(buf *[24]byte, s string) []byte {
	if len(s) > len(buf) {
		return nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(s)]
}
