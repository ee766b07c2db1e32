package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// writeText writes the plain text of n: paragraphs (p, headings, lists,
// tables, quotes, pre, figures) are separated by a blank line, other block
// elements and <br> by a newline, table cells by a tab. White space is
// collapsed except inside <pre>, soft hyphens are removed, and the result
// is always valid UTF-8 with no leading or trailing space.
func writeText(n *html.Node) string {
	return writeTextCaptions(n, false)
}

// writeTextCaptions is writeText, with figure captions written when
// captions is true (full-page text keeps every visible line).
func writeTextCaptions(n *html.Node, captions bool) string {
	if n == nil {
		return ""
	}
	w := textWriter{captions: captions}
	w.b.Grow(1024)
	w.node(n)
	return w.b.String()
}

// textWriter accumulates text with pending separators, so that nothing
// but single separators ever reaches the output.
type textWriter struct {
	b     strings.Builder
	brk   int  // pending separator: 0 none, 1 space, 2 newline, 3 blank line, 4 tab
	pre   int  // depth of <pre> elements
	dirty bool // something was written
	// captions: write <figcaption> text too.
	captions bool
	brs      int // <br>s since the last text
}

func (w *textWriter) sep(k int) {
	if k > w.brk {
		w.brk = k
	}
}

func (w *textWriter) flush() {
	w.brs = 0
	if !w.dirty {
		w.brk = 0
		return
	}
	switch w.brk {
	case 1:
		w.b.WriteByte(' ')
	case 2:
		w.b.WriteByte('\n')
	case 3:
		w.b.WriteString("\n\n")
	case 4:
		w.b.WriteByte('\t')
	}
	w.brk = 0
}

func (w *textWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.DocumentNode:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			w.node(c)
		}
		return
	case html.ElementNode:
	default:
		return
	}
	if dropTag(n.DataAtom) {
		return
	}
	var k int
	switch n.DataAtom {
	case atom.Br:
		if w.pre > 0 {
			w.raw("\n")
			return
		}
		// One <br> breaks the line, two or more break the paragraph.
		w.brs++
		if w.brs >= 2 {
			w.sep(3)
		} else {
			w.sep(2)
		}
		return
	case atom.Hr:
		w.sep(3)
		return
	case atom.Iframe, atom.Video, atom.Audio, atom.Img:
		return
	case atom.Figcaption:
		if !w.captions {
			// Captions belong to their media, not to the running text.
			return
		}
		k = 2
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Ul, atom.Ol, atom.Dl, atom.Table, atom.Blockquote, atom.Pre,
		atom.Figure, atom.Address:
		k = 3
	case atom.Td, atom.Th:
		k = 4
	default:
		if blockTag(n.DataAtom) {
			k = 2
		}
	}
	if k == 4 {
		// Cells: a tab before every cell but the first of its row.
		if n.PrevSibling != nil {
			w.sep(4)
		}
	} else if k > 0 {
		w.sep(k)
	}
	if n.DataAtom == atom.Pre {
		w.pre++
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
	if n.DataAtom == atom.Pre {
		w.pre--
	}
	if k > 0 && k != 4 {
		w.sep(k)
	}
}

// raw writes s keeping its white space (inside <pre>).
func (w *textWriter) raw(s string) {
	w.flush()
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			w.b.WriteRune(utf8.RuneError)
		case r == '\u00ad' || r == 0:
		case r == '\r':
		default:
			w.b.WriteString(s[:size])
		}
		s = s[size:]
		w.dirty = true
	}
}

// text writes s with white space collapsed.
func (w *textWriter) text(s string) {
	if w.pre > 0 {
		w.raw(s)
		return
	}
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7f {
				// White space, and control characters, which never
				// belong in text.
				w.sep(1)
				i++
				continue
			}
			// Copy a run of printable ASCII at once.
			j := i + 1
			for j < len(s) && s[j] > ' ' && s[j] < 0x7f {
				j++
			}
			w.flush()
			w.b.WriteString(s[i:j])
			w.dirty = true
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			w.flush()
			w.b.WriteRune(utf8.RuneError)
			w.dirty = true
		case r == '\u00ad' || r == '\u200b' || r == '\ufeff':
			// soft hyphen, zero-width space, BOM: dropped
		case unicode.IsSpace(r):
			w.sep(1)
		default:
			w.flush()
			w.b.WriteString(s[i : i+size])
			w.dirty = true
		}
		i += size
	}
}
