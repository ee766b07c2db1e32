package extract

import (
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlMaxDepth bounds the element nesting written as markup; deeper
// content is written as text.
const htmlMaxDepth = 256

// htmlDropAtoms are elements left out of the cleaned HTML with their
// content. Iframes, embeds and media players are listed in
// Document.Media instead.
var htmlDropAtoms = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Head: true, atom.Title: true, atom.Meta: true, atom.Link: true, atom.Base: true,
	atom.Iframe: true, atom.Frame: true, atom.Frameset: true, atom.Object: true,
	atom.Embed: true, atom.Applet: true, atom.Param: true, atom.Svg: true, atom.Math: true,
	atom.Canvas: true, atom.Form: true, atom.Input: true, atom.Select: true,
	atom.Textarea: true, atom.Button: true, atom.Option: true, atom.Optgroup: true,
	atom.Datalist: true, atom.Dialog: true, atom.Map: true, atom.Area: true,
	atom.Video: true, atom.Audio: true, atom.Track: true,
	atom.Slot: true, atom.Noembed: true, atom.Noframes: true,
}

// htmlUnwrapAtoms are elements replaced by their content: wrappers that
// carry no meaning once classes and styles are gone.
var htmlUnwrapAtoms = map[atom.Atom]bool{
	atom.Html: true, atom.Body: true, atom.Font: true, atom.Center: true,
	atom.Label: true, atom.Fieldset: true, atom.Legend: true,
}

// htmlKeepAttrs are the attributes kept; URL attributes are resolved.
var htmlKeepAttrs = map[string]bool{
	"href": true, "src": true, "alt": true, "title": true, "colspan": true,
	"rowspan": true, "lang": true, "datetime": true, "start": true,
	"reversed": true, "srcset": true, "width": true, "height": true,
	"dir": true, "cite": true, "scope": true, "headers": true, "abbr": true,
	"open": true, "value": true,
}

// writeHTML writes the content subtree as cleaned HTML: scripts, styles,
// forms, frames and embedded players are dropped with their content;
// classes, ids, inline styles, event handlers and every other attribute
// not in a short list (href, src, srcset, alt, title, colspan, rowspan,
// lang, datetime, ...) are dropped; URLs are resolved against base and
// javascript: URLs removed; lazy-loaded images get their real src;
// comments and hidden elements are dropped; white space outside <pre> is
// collapsed. The output is well-formed (every element closed, attributes
// quoted and escaped) and valid UTF-8.
func writeHTML(content *html.Node, base *url.URL) string {
	if content == nil {
		return ""
	}
	if base == nil {
		base = &url.URL{}
	}
	h := &htmlWriter{base: base}
	if content.Type == html.DocumentNode {
		h.children(content, 0, false)
	} else {
		h.node(content, 0, false)
	}
	return validUTF8(strings.TrimSpace(string(h.b)))
}

type htmlWriter struct {
	b    []byte
	base *url.URL
}

func (h *htmlWriter) str(s string) { h.b = append(h.b, s...) }
func (h *htmlWriter) byte1(c byte) { h.b = append(h.b, c) }

// trimSpace drops white space at the end of the output, at a block
// boundary where it means nothing.
func (h *htmlWriter) trimSpace() {
	for len(h.b) > 0 && (h.b[len(h.b)-1] == ' ' || h.b[len(h.b)-1] == '\n') {
		h.b = h.b[:len(h.b)-1]
	}
}

func (h *htmlWriter) children(n *html.Node, depth int, pre bool) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		h.node(c, depth+1, pre)
	}
}

func (h *htmlWriter) node(n *html.Node, depth int, pre bool) {
	switch n.Type {
	case html.TextNode:
		h.text(n.Data, pre)
		return
	case html.DocumentNode:
		h.children(n, depth, pre)
		return
	case html.ElementNode:
	default:
		return // comments, doctypes
	}
	if n.Namespace != "" || htmlDropAtoms[n.DataAtom] || hasAttrOf(n, "hidden") {
		return
	}
	if strings.EqualFold(attrOf(n, "aria-hidden"), "true") && n.DataAtom != atom.Img {
		return
	}
	if depth > htmlMaxDepth {
		h.text(" "+textOf(n, textLimitDefault)+" ", false)
		return
	}
	// Unknown and custom elements (<my-widget>) and meaningless wrappers
	// are replaced by their content.
	if n.DataAtom == 0 || htmlUnwrapAtoms[n.DataAtom] {
		h.children(n, depth, pre)
		return
	}
	// Without their classes, a bare span means nothing and a div around a
	// single block adds nothing.
	if !pre && (n.DataAtom == atom.Span || n.DataAtom == atom.Div) && !hasKeptAttr(n) {
		if n.DataAtom == atom.Span {
			h.children(n, depth, pre)
			return
		}
		if onlyBlocks(n) {
			h.children(n, depth, pre)
			return
		}
	}
	switch n.DataAtom {
	case atom.Img:
		src := bestImageURL(n, h.base)
		if src == "" {
			return
		}
		h.str("<img")
		h.attr("src", src)
		h.attrs(n, "src", "srcset")
		h.str(">")
		return
	case atom.Source:
		if !isElem(n.Parent, atom.Picture) {
			return
		}
	}
	tag := n.DataAtom.String()
	mark := len(h.b)
	block := blockAtoms[n.DataAtom] || n.DataAtom == atom.Br
	if block && !pre {
		h.trimSpace()
		if len(h.b) > 0 && n.DataAtom != atom.Br && n.DataAtom != atom.Td && n.DataAtom != atom.Th && !h.afterOpenTag() {
			h.byte1('\n')
		}
	}
	h.byte1('<')
	h.str(tag)
	h.attrs(n)
	h.byte1('>')
	if voidElement(n.DataAtom) {
		return
	}
	inner := len(h.b)
	h.children(n, depth, pre || n.DataAtom == atom.Pre || n.DataAtom == atom.Textarea)
	if block && !pre {
		h.trimSpace()
	}
	// Elements left empty (their content was all dropped) go, except
	// table cells, which hold the grid's shape.
	if len(h.b) <= inner && !keepEmpty(n.DataAtom) {
		h.b = h.b[:mark]
		return
	}
	h.str("</")
	h.str(tag)
	h.byte1('>')
}

// attrs writes n's kept attributes, skipping the names in skip.
func (h *htmlWriter) attrs(n *html.Node, skip ...string) {
	seen := 0
next:
	for _, a := range n.Attr {
		if a.Namespace != "" || !htmlKeepAttrs[a.Key] {
			continue
		}
		for _, s := range skip {
			if a.Key == s {
				continue next
			}
		}
		if seen++; seen > 32 {
			return
		}
		v := a.Val
		switch a.Key {
		case "href", "src", "cite":
			if v = resolveRef(h.base, v); v == "" {
				continue
			}
		case "srcset":
			if n.DataAtom != atom.Source && n.DataAtom != atom.Img {
				continue
			}
			cands := appendSrcset(nil, v, h.base)
			if len(cands) == 0 {
				continue
			}
			v = formatSrcset(cands)
		}
		h.attr(a.Key, v)
	}
}

func (h *htmlWriter) attr(k, v string) {
	h.byte1(' ')
	h.str(k)
	h.str(`="`)
	h.str(html.EscapeString(truncUTF8(v, 8192)))
	h.byte1('"')
}

// text writes escaped text, collapsing white space outside <pre>. A
// collapsed run is a newline when it held one, so the output stays
// readable, and goes when it would follow other white space.
func (h *htmlWriter) text(s string, pre bool) {
	if pre {
		h.str(html.EscapeString(s))
		return
	}
	for i := 0; i < len(s); {
		if isSpaceByte(s[i]) {
			nl := false
			for i < len(s) && isSpaceByte(s[i]) {
				nl = nl || s[i] == '\n'
				i++
			}
			if last := h.lastByte(); last != 0 && last != ' ' && last != '\n' && !h.afterBlockOpen() {
				if nl {
					h.byte1('\n')
				} else {
					h.byte1(' ')
				}
			}
			continue
		}
		j := i
		for j < len(s) && !isSpaceByte(s[j]) {
			j++
		}
		h.str(html.EscapeString(s[i:j]))
		i = j
	}
}

// afterBlockOpen reports whether the output ends with a block element's
// start tag, after which white space means nothing.
func (h *htmlWriter) afterBlockOpen() bool {
	if len(h.b) == 0 || h.b[len(h.b)-1] != '>' {
		return false
	}
	i := len(h.b) - 2
	for i >= 0 && h.b[i] != '<' && len(h.b)-i < 4096 {
		i--
	}
	if i < 0 || h.b[i] != '<' || i+1 < len(h.b) && h.b[i+1] == '/' {
		return false
	}
	j := i + 1
	for j < len(h.b) && h.b[j] != ' ' && h.b[j] != '>' {
		j++
	}
	return blockAtoms[atom.Lookup(h.b[i+1:j])]
}

// afterOpenTag reports whether the output ends with any start tag.
func (h *htmlWriter) afterOpenTag() bool {
	if len(h.b) == 0 || h.b[len(h.b)-1] != '>' {
		return false
	}
	i := len(h.b) - 2
	for i >= 0 && h.b[i] != '<' && len(h.b)-i < 4096 {
		i--
	}
	return i >= 0 && h.b[i] == '<' && i+1 < len(h.b) && h.b[i+1] != '/'
}

func (h *htmlWriter) lastByte() byte {
	if len(h.b) == 0 {
		return 0
	}
	return h.b[len(h.b)-1]
}

// formatSrcset writes srcset candidates back as an attribute value.
func formatSrcset(cands []SrcsetCandidate) string {
	var b strings.Builder
	for i, c := range cands {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strings.ReplaceAll(c.URL, ",", "%2C"))
		switch {
		case c.Width > 0:
			b.WriteByte(' ')
			b.WriteString(strconv.Itoa(c.Width))
			b.WriteByte('w')
		case c.Density > 0:
			b.WriteByte(' ')
			b.WriteString(strconv.FormatFloat(c.Density, 'f', -1, 64))
			b.WriteByte('x')
		}
	}
	return b.String()
}

// onlyBlocks reports whether n's children are all block elements (or
// dropped ones), so n can be replaced by them without merging text.
func onlyBlocks(n *html.Node) bool {
	k := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if k++; k > 256 {
			return false
		}
		switch c.Type {
		case html.TextNode:
			if strings.TrimSpace(c.Data) != "" {
				return false
			}
		case html.ElementNode:
			if !blockAtoms[c.DataAtom] && !htmlDropAtoms[c.DataAtom] {
				return false
			}
		}
	}
	return true
}

// keepEmpty reports elements kept even when empty.
func keepEmpty(a atom.Atom) bool {
	switch a {
	case atom.Td, atom.Th, atom.Tr, atom.Colgroup, atom.Textarea:
		return true
	}
	return false
}

// hasKeptAttr reports whether n has an attribute the cleaned HTML keeps.
func hasKeptAttr(n *html.Node) bool {
	for _, a := range n.Attr {
		if htmlKeepAttrs[a.Key] {
			return true
		}
	}
	return false
}

// voidElement reports elements that have no end tag.
func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img,
		atom.Input, atom.Link, atom.Meta, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}
