package extract

import (
	"context"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Main-content detection.
//
// One walk over the parsed tree records every kept element in document
// order (a flat slice; each entry knows its parent and where its subtree
// ends) with the text that sits directly in it, split into link and
// non-link text. Text belongs to its nearest block-level ancestor, so a
// <p> with links and emphasis is one block.
//
// Each block gets a weight: its non-link text, minus a penalty for link
// text and a fixed cost per block (smaller for list items and table
// cells, and none for a short item without links), so that long prose
// counts for it and menus, link lists and crumbs of text count against
// it. Blocks under a boilerplate element (nav, footer, comments, share
// bars, ads... told by tag, role, class or id words) count fully
// against; captions count for nothing either way. Lists of teasers count
// against too: an element with several short linked <article>s, or the
// smallest element holding several linked summaries cut short by an
// ellipsis. The weight of a subtree is the sum of its blocks, and the
// main content is the element of largest weight: the smallest container
// that holds the prose and as little else as possible. A boilerplate
// mark on an element that holds most of the page's text is taken for a
// false alarm ("has-sidebar" on the article's wrapper) and ignored,
// except on comments. An element inside the best one that the page
// itself calls the article (<article>, itemprop=articleBody, an
// "entry-content" class) is preferred when it keeps most of the weight.
//
// The chosen subtree is then copied without its boilerplate: marked
// elements, link-dense blocks (a paragraph or list item with a sentence
// of its own besides a linked headline stays), the title heading, lines
// repeating the page title and date lines above the text, labels of ad
// slots and widgets, the headings left heading nothing, and short
// contact lines (an address or handle) at the very end. Figure
// captions stay in the copy, for the media writers, but out of its text.

// Weights of the block score.
const (
	linkPenalty  = 2  // a link character counts as -linkPenalty+1
	blockPenalty = 20 // every block with text costs this many characters
	itemPenalty  = 5  // and every table cell or list item this many
	// falseAlarmShare: a boilerplate mark on an element holding more than
	// this share of the page's good text is ignored.
	falseAlarmShare = 0.5
	// positiveShare: an article-marked element inside the best one is
	// chosen instead when it has this share of the best one's score.
	positiveShare = 0.85
	// listingArticles: an element with this many <article> children is
	// a listing (related posts, a feed), not an article.
	listingArticles = 3
	// maxTeaser: only <article>s shorter than this, with a link and at
	// most two paragraphs, make a listing; full articles in a row (an
	// endless-scroll page) do not.
	maxTeaser = 1000
	// listingTeasers: an element holding this many linked blocks that end
	// in an ellipsis is a list of teasers.
	listingTeasers = 3
	// slabSize is how many content nodes are allocated at once.
	slabSize = 64
	// maxLabel is the longest line compared with boilerLabels.
	maxLabel = 40
	// maxTitle is the longest line compared with the page title.
	maxTitle = 300
	// maxCaption is the longest text taken for a caption.
	maxCaption = 600
)

// nodeInfo is one kept element of the page.
type nodeInfo struct {
	n       *html.Node
	parent  int32
	end     int32   // index past the last element of the subtree
	blk     int32   // index of the nearest block ancestor-or-self
	ownText int32   // collapsed length of the text owned by this block
	ownLink int32   // part of ownText inside links
	text    int32   // subtree text
	link    int32   // subtree link text
	good    float32 // subtree weight of the good blocks, marks ignored
	pgood   float32 // part of good in <p> blocks
	score   float32
	nested  int32 // <article> children: three or more make a listing
	teasers int32 // linked blocks ending in "..." in the subtree
	paras   int32 // <p> blocks with text in the subtree
	flags   uint32
}

// scorer holds the state of one detection. It is reused via
// sync.Pool-free stack allocation by the caller; nothing escapes.
type scorer struct {
	title string // normalised page title, for dropping its repeats
	// noscript: <noscript> content is parsed markup (the page was parsed
	// with scripting off) and counts as page content.
	noscript bool
	// showAria: aria-hidden elements are walked; ariaHidden counts those
	// skipped when not.
	showAria   bool
	ariaHidden int
	infos      []nodeInfo
	classes    map[string]uint32 // class and id verdicts of this page
	visited    int
	limit      int
	ctx        context.Context
	err        error
}

// walk records the elements under root (inclusive). It stops with s.err
// set when the node budget is exhausted or ctx is done.
func (s *scorer) walk(root *html.Node) {
	s.infos = s.infos[:0]
	s.ariaHidden, s.err = 0, nil
	f, _ := classify(root, s.classes)
	s.infos = append(s.infos, nodeInfo{n: root, parent: -1, blk: 0, flags: f | fBlock})
	cur := int32(0)
	c := root.FirstChild
	for {
		if c == nil {
			s.infos[cur].end = int32(len(s.infos))
			if cur == 0 {
				return
			}
			c = s.infos[cur].n.NextSibling
			cur = s.infos[cur].parent
			continue
		}
		s.visited++
		if s.visited&1023 == 0 {
			if s.visited > s.limit {
				s.err = ErrResourceLimit
				s.closeOpen(cur)
				return
			}
			if err := s.ctx.Err(); err != nil {
				s.err = err
				s.closeOpen(cur)
				return
			}
		}
		switch c.Type {
		case html.TextNode:
			p := &s.infos[cur]
			if p.flags&fNoText == 0 {
				if l := collapsedLen(c.Data); l > 0 {
					b := &s.infos[p.blk]
					b.ownText += int32(l)
					if p.flags&fLink != 0 {
						b.ownLink += int32(l)
					}
					if endsWithEllipsis(c.Data) {
						b.flags |= fEllipsis
					} else {
						b.flags &^= fEllipsis
					}
				}
			}
		case html.ElementNode:
			if s.dropped(c.DataAtom) {
				break
			}
			f, hidden := classify(c, s.classes)
			if hidden == hiddenHard || hidden == hiddenAria && !s.showAria {
				if hidden == hiddenAria {
					s.ariaHidden++
				}
				break
			}
			pf := s.infos[cur].flags
			f |= pf & (fLink | fNoText)
			if c.DataAtom == atom.A && hasAttr(c, "href") {
				f |= fLink
			}
			idx := int32(len(s.infos))
			blk := s.infos[cur].blk
			if f&fBlock != 0 {
				blk = idx
			}
			s.infos = append(s.infos, nodeInfo{n: c, parent: cur, blk: blk, flags: f})
			if f&(fTime|fBlock) == fTime {
				// A date inside a line marks the line.
				s.infos[blk].flags |= fTime
			}
			if c.FirstChild != nil {
				cur = idx
				c = c.FirstChild
				continue
			}
			s.infos[idx].end = idx + 1
		}
		c = c.NextSibling
	}
}

// dropped reports elements whose subtree is never content.
func (s *scorer) dropped(a atom.Atom) bool {
	if a == atom.Noscript {
		return !s.noscript
	}
	return dropTag(a)
}

// closeOpen sets the end of every element still open when a walk stops.
func (s *scorer) closeOpen(cur int32) {
	for cur >= 0 {
		s.infos[cur].end = int32(len(s.infos))
		cur = s.infos[cur].parent
	}
}

// blockWeight is the score of one block's own text. Table cells and list
// items are short by nature and cost less than other blocks.
func blockWeight(text, link int32, flags uint32) float32 {
	if text == 0 {
		return 0
	}
	if flags&fItem != 0 {
		if link == 0 {
			// A short cell or item without links is neutral, not bad.
			return max(float32(text-itemPenalty), 0)
		}
		return float32(text-linkPenalty*link) - itemPenalty
	}
	return float32(text-linkPenalty*link) - blockPenalty
}

// choose scores the recorded elements and returns the index of the main
// content root.
func (s *scorer) choose() int32 {
	in := s.infos
	// Pass 1: subtree text and good text ignoring boilerplate marks.
	for i := range in {
		in[i].text = in[i].ownText
		in[i].link = in[i].ownLink
		in[i].good, in[i].pgood = 0, 0
		if w := blockWeight(in[i].ownText, in[i].ownLink, in[i].flags); w > 0 {
			in[i].good = w
			if in[i].flags&fPara != 0 {
				in[i].pgood = w
			}
		}
	}
	for i := len(in) - 1; i > 0; i-- {
		p := in[i].parent
		if in[i].flags&fEllipsis != 0 && in[i].ownLink > 0 && in[i].ownLink < in[i].ownText {
			in[i].teasers++
		}
		if in[i].teasers >= listingTeasers {
			// The smallest element holding several linked, truncated
			// summaries is a list of teasers.
			if in[i].flags&fTeaserKid == 0 {
				in[i].flags |= fListing
			}
			in[p].flags |= fTeaserKid
		}
		in[p].teasers += in[i].teasers
		if in[i].flags&fPara != 0 && in[i].ownText > 0 {
			in[i].paras++
		}
		in[p].paras += in[i].paras
		if in[i].n.DataAtom == atom.Article && in[i].text < maxTeaser && in[i].link > 0 && in[i].paras <= 2 {
			if in[p].nested++; in[p].nested == listingArticles {
				// A list of articles is a listing of teasers.
				in[p].flags |= fListing
			}
		}
		in[p].text += in[i].text
		in[p].link += in[i].link
		in[p].good += in[i].good
		in[p].pgood += in[i].pgood
	}
	ptotal, gtotal := in[0].pgood, in[0].good
	// Pass 2: effective boilerplate marks, inherited downwards. A mark on
	// an element that holds most of the page's paragraph text is a false
	// alarm ("has-sidebar" on the article's wrapper).
	for i := range in {
		f := in[i].flags
		if f&fBoiler != 0 && f&fComments == 0 && (ptotal > 0 && in[i].pgood > falseAlarmShare*ptotal ||
			in[i].good > falseAlarmShare*gtotal && in[i].link*100 < in[i].text*35) {
			f &^= fBoiler | fStrong
			in[i].flags = f
		}
		inb := f&(fBoiler|fListing) != 0
		inc := f&fCaption != 0
		if inc && in[i].text > maxCaption {
			// No caption is that long: a "caption" word on a big
			// container is not about captions.
			inc = false
			in[i].flags &^= fCaption
		}
		if i > 0 {
			pf := in[in[i].parent].flags
			inb = inb || pf&fInBoiler != 0
			inc = inc || pf&fInCaption != 0
		}
		if inb {
			in[i].flags |= fInBoiler
		}
		if inc {
			in[i].flags |= fInCaption
		}
	}
	// Pass 3: block weights and subtree scores.
	for i := range in {
		switch {
		case in[i].flags&fInBoiler != 0:
			in[i].score = -float32(in[i].ownText)
		case in[i].flags&fInCaption != 0:
			// Captions sit between paragraphs: neutral, neither text
			// nor boilerplate.
			in[i].score = 0
		default:
			in[i].score = blockWeight(in[i].ownText, in[i].ownLink, in[i].flags)
		}
	}
	for i := len(in) - 1; i > 0; i-- {
		in[in[i].parent].score += in[i].score
	}
	best := int32(0)
	bestScore := in[0].score
	for i := 1; i < len(in); i++ {
		if sc := in[i].score; sc >= bestScore {
			best, bestScore = int32(i), sc
		}
	}
	// A container the page itself calls the article (<article>,
	// itemprop=articleBody, an "entry-content" class...) inside the best
	// element is preferred when it keeps most of its score: what the best
	// element adds around it is more likely teasers than text.
	if bestScore > 0 {
		pick, pickScore := best, float32(0)
		for i := best + 1; i < in[best].end; i++ {
			f := in[i].flags
			if f&fPositive == 0 || f&fInBoiler != 0 {
				continue
			}
			if sc := in[i].score; sc >= positiveShare*bestScore && sc >= pickScore {
				pick, pickScore = i, sc
			}
		}
		best = pick
	}
	return best
}

// copier builds the cleaned copy of the main content.
type copier struct {
	s        *scorer
	title    string // the page's <title>, normalised by normTitle
	textSeen int32  // prose characters copied so far
	stats    contentStats
	fullPage bool
	slab     []html.Node // nodes of the copy are carved from here
}

// clone returns a detached copy of n (type, tag and attributes; the
// attribute slice is shared, never modified). Copies are allocated in
// slabs: one allocation per slabSize nodes.
func (cp *copier) clone(n *html.Node) *html.Node {
	if len(cp.slab) == 0 {
		cp.slab = make([]html.Node, slabSize)
	}
	c := &cp.slab[0]
	cp.slab = cp.slab[1:]
	c.Type, c.DataAtom, c.Data, c.Namespace, c.Attr = n.Type, n.DataAtom, n.Data, n.Namespace, n.Attr
	return c
}

// copyContent returns a detached copy of the subtree at index root
// without its boilerplate.
func (s *scorer) copyContent(root int32, fullPage bool) (*html.Node, contentStats) {
	cp := &copier{s: s, fullPage: fullPage, title: s.title}
	src := s.infos[root].n
	dst := cp.clone(src)
	if ri := &s.infos[root]; ri.ownText > 0 {
		cp.stats.TextChars += int(ri.ownText)
		cp.stats.LinkChars += int(ri.ownLink)
	}
	idx := root + 1
	cp.children(src, dst, &idx)
	if !fullPage {
		dropContactTail(dst)
	}
	cp.stats.ContentFound = cp.stats.TextChars > 0
	return dst, cp.stats
}

// children copies the kept children of src into dst; *idx walks the
// element indexes in the same order as scorer.walk recorded them.
func (cp *copier) children(src, dst *html.Node, idx *int32) {
	in := cp.s.infos
	for c := src.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			dst.AppendChild(cp.clone(c))
		case html.ElementNode:
			if cp.s.dropped(c.DataAtom) {
				continue
			}
			if int(*idx) >= len(in) || in[*idx].n != c {
				// Hidden element (not recorded), or a walk cut short.
				continue
			}
			i := *idx
			info := &in[i]
			if !cp.keep(i) {
				*idx = info.end
				if info.text > maxLabel {
					// A heading right above dropped boilerplate
					// ("Related stories", "More from us") is its title.
					dropHeadingBefore(dst)
				}
				continue
			}
			*idx = i + 1
			n := cp.clone(c)
			if n.DataAtom == atom.Noscript {
				// Kept only when parsed as markup: a plain container.
				n.DataAtom, n.Data = atom.Div, "div"
			}
			dst.AppendChild(n)
			if info.flags&fBlock != 0 && info.ownText > 0 && info.flags&(fInBoiler|fInCaption) == 0 {
				cp.stats.TextChars += int(info.ownText)
				cp.stats.LinkChars += int(info.ownLink)
				if info.flags&fHeading == 0 {
					cp.textSeen += info.ownText - info.ownLink
				}
			}
			if info.flags&fPara != 0 && info.ownText > 0 {
				cp.stats.Paragraphs++
			}
			if info.flags&fHeading != 0 {
				cp.stats.Headings++
			}
			cp.children(c, n, idx)
			*idx = info.end
		}
	}
	// A heading left last in its block, after other kept elements, heads
	// nothing that was kept. (A heading alone in a wrapper is not.)
	if dst.FirstChild != nil && dst.FirstChild != dst.LastChild {
		if first := firstElementChild(dst); first != nil && first != lastElementChild(dst) {
			dropHeadingBefore(dst)
		}
	}
}

func firstElementChild(n *html.Node) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			return c
		}
	}
	return nil
}

func lastElementChild(n *html.Node) *html.Node {
	for c := n.LastChild; c != nil; c = c.PrevSibling {
		if c.Type == html.ElementNode {
			return c
		}
	}
	return nil
}

// dropHeadingBefore removes the last element child of dst when it is a
// short heading with nothing but white space after it.
func dropHeadingBefore(dst *html.Node) {
	last := dst.LastChild
	for last != nil && last.Type == html.TextNode && collapsedLen(last.Data) == 0 {
		last = last.PrevSibling
	}
	if last == nil || last.Type != html.ElementNode {
		return
	}
	switch last.DataAtom {
	case atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
	default:
		return
	}
	if len(writeText(last)) <= maxLabel+20 {
		for dst.LastChild != last {
			dst.RemoveChild(dst.LastChild)
		}
		dst.RemoveChild(last)
	}
}

// keep decides whether the element at index i stays in the content.
func (cp *copier) keep(i int32) bool {
	info := &cp.s.infos[i]
	if cp.fullPage {
		return true
	}
	f := info.flags
	if f&(fBoiler|fListing) != 0 {
		return false
	}
	if f&fCaption != 0 && info.n.DataAtom != atom.Figcaption {
		// Caption-classed elements outside <figcaption> are dropped;
		// figcaption stays with its figure for the media writers.
		return false
	}
	if f&fBlock == 0 {
		return true
	}
	// The title heading and the byline or date lines above the text.
	if cp.textSeen < 150 {
		if f&fTitle != 0 {
			return false
		}
		if f&fTime != 0 && info.text < 120 {
			return false
		}
	}
	if cp.textSeen < 150 && cp.title != "" && info.text > 0 && info.text <= maxTitle && info.link == 0 && f&(fHeading|fPara|fBlock) != 0 {
		// A line repeating the page title above the text is the title.
		if t := normTitle(writeText(info.n)); len(t) >= 10 && strings.Contains(cp.title, t) {
			return false
		}
	}
	if info.text == 0 {
		return true
	}
	if info.text <= maxLabel && info.link == 0 && f&fItem == 0 {
		// Labels of ad slots and widgets: "Advertisement", "Share".
		if _, ok := boilerLabels[normTitle(writeText(info.n))]; ok {
			return false
		}
	}
	// Link lists and link-only lines: more than half of the text in links
	// and little prose besides.
	if info.link*2 > info.text {
		nonLink := info.text - info.link
		if nonLink < 250 && (f&(fPara|fItem) == 0 && info.n.DataAtom != atom.Blockquote || nonLink < 60) {
			// A paragraph with a sentence of its own besides the
			// link is prose that starts with a linked headline.
			return false
		}
	}
	return true
}

// collapsedLen is the length of s with runs of white space collapsed to
// one space and leading and trailing space removed.
func collapsedLen(s string) int {
	n, words := 0, 0
	in := false
	for i := 0; i < len(s); i++ {
		if htmlSpace[s[i]] {
			in = false
			continue
		}
		if !in {
			words++
			in = true
		}
		n++
	}
	if words > 1 {
		n += words - 1
	}
	return n
}

// htmlSpace marks the bytes HTML counts as white space.
var htmlSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true, '\f': true}

func hasAttr(n *html.Node, key string) bool {
	for i := range n.Attr {
		if n.Attr[i].Key == key && n.Attr[i].Namespace == "" {
			return true
		}
	}
	return false
}

// attrVal returns the value of n's attribute key, or "".
func attrVal(n *html.Node, key string) string {
	for i := range n.Attr {
		if n.Attr[i].Key == key && n.Attr[i].Namespace == "" {
			return n.Attr[i].Val
		}
	}
	return ""
}

// normTitle lowercases s and collapses its white space, for comparing
// lines with the page title.
func normTitle(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// pageTitle returns the text of the page's <title>, normalised.
func pageTitle(root *html.Node) string {
	head := findElement(root, atom.Head)
	if head == nil {
		return ""
	}
	for c := head.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == atom.Title && c.FirstChild != nil {
			return normTitle(c.FirstChild.Data)
		}
	}
	return ""
}

// boilerLabels are lines that label ad slots and page widgets rather than
// say anything, in a few languages.
var boilerLabels = map[string]struct{}{
	"advertisement": {}, "advertisements": {}, "advert": {}, "adverts": {},
	"ad": {}, "ads": {}, "advertising": {}, "sponsored": {},
	"sponsored content": {}, "paid content": {}, "anzeige": {}, "werbung": {},
	"publicité": {}, "publicidad": {}, "pubblicità": {}, "publicidade": {},
	"reklama": {}, "реклама": {}, "広告": {}, "광고": {},
	"story continues below advertisement": {}, "article continues below advertisement": {},
	"continue reading below": {}, "advertisement - continue reading below": {},
	"share": {}, "share this": {}, "share this article": {}, "share this story": {},
	"comments": {}, "comment": {}, "leave a comment": {}, "leave a reply": {},
}

// endsWithEllipsis reports text ending in "..." or "…", as truncated
// summaries do.
func endsWithEllipsis(s string) bool {
	for len(s) > 0 && isHTMLSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return strings.HasSuffix(s, "...") || strings.HasSuffix(s, "…")
}

// dropContactTail removes, from the end of the content, up to three
// short lines that address the reader rather than tell the story: an
// e-mail address or a social handle ("Email the author at ...",
// "Follow us @...").
func dropContactTail(root *html.Node) {
	for range 3 {
		last := lastTextBlock(root)
		if last == nil || last == root {
			return
		}
		for a := last; a != root; a = a.Parent {
			if a.DataAtom == atom.Blockquote {
				return // a quoted post keeps its handles
			}
		}
		t := writeText(last)
		if len(t) > 200 || strings.IndexByte(t, '@') < 0 {
			return
		}
		last.Parent.RemoveChild(last)
	}
}

// lastTextBlock returns the last block element of n's subtree that
// holds text directly.
func lastTextBlock(n *html.Node) *html.Node {
	for c := n.LastChild; c != nil; c = c.PrevSibling {
		switch c.Type {
		case html.TextNode:
			if collapsedLen(c.Data) > 0 {
				return n
			}
		case html.ElementNode:
			if !blockTag(c.DataAtom) {
				if writeText(c) != "" {
					return n
				}
				continue
			}
			if b := lastTextBlock(c); b != nil {
				return b
			}
		}
	}
	return nil
}
