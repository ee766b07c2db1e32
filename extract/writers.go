package extract

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// This file holds the small DOM and string helpers shared by the metadata
// reader and the writers (markdown.go, htmlout.go, links.go, media.go,
// tables.go). Names carry a distinct suffix or prefix so they do not clash
// with the content detection helpers of the same package.

// attrOf returns the value of n's attribute key (lower case), or "".
func attrOf(n *html.Node, key string) string {
	for i := range n.Attr {
		if n.Attr[i].Namespace == "" && n.Attr[i].Key == key {
			return n.Attr[i].Val
		}
	}
	return ""
}

// hasAttrOf reports whether n has the attribute key.
func hasAttrOf(n *html.Node, key string) bool {
	for i := range n.Attr {
		if n.Attr[i].Namespace == "" && n.Attr[i].Key == key {
			return true
		}
	}
	return false
}

// isElem reports whether n is an element of the given atom.
func isElem(n *html.Node, a atom.Atom) bool {
	return n != nil && n.Type == html.ElementNode && n.DataAtom == a
}

// baseKnown reports whether base can resolve relative references.
func baseKnown(base *url.URL) bool {
	return base != nil && base.Scheme != "" && base.Host != ""
}

// cleanURLRef strips what browsers strip from an attribute URL: leading
// and trailing ASCII whitespace and tabs or newlines anywhere.
func cleanURLRef(s string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s)
	}
	return s
}

// unsafeScheme reports whether ref uses a scheme that runs code.
func unsafeScheme(ref string) bool {
	i := strings.IndexByte(ref, ':')
	if i <= 0 || i > 12 {
		return false
	}
	switch strings.ToLower(ref[:i]) {
	case "javascript", "vbscript", "livescript":
		return true
	}
	return false
}

// resolveRef resolves the attribute URL ref against base. It returns ""
// for an empty reference or a script URL. With no usable base, relative
// references are returned as they are (cleaned).
func resolveRef(base *url.URL, ref string) string {
	ref = cleanURLRef(ref)
	if ref == "" || unsafeScheme(ref) {
		return ""
	}
	if len(ref) > 8192 && !strings.HasPrefix(ref, "data:") {
		return ""
	}
	u, ok := resolveURL(base, ref)
	if !ok {
		return ""
	}
	return u.url
}

// isSpaceByte reports ASCII whitespace as HTML defines it.
func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// collapseWS collapses every run of white space (Unicode, including
// non-breaking spaces) into one space and trims both ends. Invalid UTF-8
// is replaced. It does not allocate when s is already clean.
func collapseWS(s string) string {
	clean := true
	prevSpace := true
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			sp := isSpaceByte(c) || c == '\v'
			if sp && (prevSpace || c != ' ') {
				clean = false
				break
			}
			prevSpace = sp
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unicode.IsSpace(r) || r == '\u200b' {
			clean = false
			break
		}
		prevSpace = false
		i += size
	}
	if clean && !prevSpace {
		return s
	}
	if clean && s == "" {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r == '\u200b' || r == '\ufeff' {
			continue
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if r == utf8.RuneError {
			r = '\uFFFD'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cleanText collapses white space and decodes character references left
// in attribute or JSON values that were escaped twice ("Tom &amp;amp;
// Jerry" arrives as "Tom &amp; Jerry"; JSON-LD often carries "&#8217;").
func cleanText(s string) string {
	if strings.IndexByte(s, '&') >= 0 && strings.IndexByte(s, ';') >= 0 {
		s = html.UnescapeString(s)
	}
	return collapseWS(s)
}

// validUTF8 returns s with invalid bytes replaced by U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// textLimitDefault bounds the text gathered by textOf.
const textLimitDefault = 1 << 16

// textOf returns the collapsed text of n's subtree, skipping scripts and
// styles, at most limit bytes (before collapsing). It walks iteratively, so
// deep trees cost no stack.
func textOf(n *html.Node, limit int) string { return textSep(n, limit, " ") }

// textSep is textOf with sep written at block element boundaries.
func textSep(n *html.Node, limit int, sep string) string {
	if n == nil {
		return ""
	}
	if n.Type == html.TextNode {
		if len(n.Data) > limit {
			return collapseWS(truncUTF8(n.Data, limit))
		}
		return collapseWS(n.Data)
	}
	// The common case, an element holding one text node, needs no buffer.
	if c := n.FirstChild; c != nil && c.NextSibling == nil && c.Type == html.TextNode && len(c.Data) <= limit {
		return collapseWS(c.Data)
	}
	var b strings.Builder
	stack := make([]*html.Node, 0, 16)
	if n.FirstChild != nil {
		stack = append(stack, n.FirstChild)
	}
	// Elements without text cost too: bound the nodes visited as well.
	budget := max(4096, 4*limit)
	for len(stack) > 0 && b.Len() < limit && budget > 0 {
		budget--
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c.NextSibling != nil {
			stack = append(stack, c.NextSibling)
		}
		switch c.Type {
		case html.TextNode:
			b.WriteString(c.Data)
		case html.ElementNode:
			switch c.DataAtom {
			case atom.Script, atom.Style, atom.Noscript, atom.Template:
				continue
			case atom.Br:
				b.WriteString(sep)
				continue
			case atom.Img:
				continue
			}
			if blockAtoms[c.DataAtom] {
				b.WriteString(sep)
			}
			if c.FirstChild != nil {
				stack = append(stack, c.FirstChild)
			}
		}
	}
	s := b.String()
	if len(s) > limit {
		s = truncUTF8(s, limit)
	}
	return collapseWS(s)
}

// truncUTF8 cuts s to at most n bytes without splitting a rune.
func truncUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// blockAtoms are the elements that start a new block in text flow.
var blockAtoms = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Dd: true, atom.Details: true, atom.Dialog: true, atom.Div: true, atom.Dl: true,
	atom.Dt: true, atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true,
	atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true, atom.Hgroup: true,
	atom.Hr: true, atom.Li: true, atom.Main: true, atom.Nav: true, atom.Ol: true,
	atom.P: true, atom.Pre: true, atom.Section: true, atom.Table: true, atom.Ul: true,
	atom.Tr: true, atom.Td: true, atom.Th: true, atom.Caption: true, atom.Thead: true,
	atom.Tbody: true, atom.Tfoot: true, atom.Summary: true, atom.Menu: true,
	atom.Center: true, atom.Body: true, atom.Html: true,
}

// tokenHas reports whether the space-separated list s holds tok (ASCII
// case-insensitive).
func tokenHas(s, tok string) bool {
	for len(s) > 0 {
		i := 0
		for i < len(s) && isSpaceByte(s[i]) {
			i++
		}
		s = s[i:]
		j := 0
		for j < len(s) && !isSpaceByte(s[j]) {
			j++
		}
		if j > 0 && strings.EqualFold(s[:j], tok) {
			return true
		}
		s = s[j:]
	}
	return false
}
