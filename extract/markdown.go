package extract

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Bounds on the markdown writer.
const (
	mdMaxDepth       = 200 // element nesting rendered as structure; deeper is text
	mdMaxInlineNest  = 8   // nested emphasis/link wrappers; deeper is plain
	mdMaxFootnotes   = 500
	mdMaxHeadingText = 2048
)

// writeMarkdown writes the content subtree as CommonMark with GFM tables
// and strikethrough: headings, paragraphs, emphasis, code, links and
// images with resolved URLs, nested lists, fenced code blocks with their
// language, nested blockquotes, tables (spans expanded), line breaks,
// rules and simple footnotes ([^1]). Text is escaped where it would
// otherwise read as markup. There is never more than one blank line in a
// row, and the result is valid UTF-8 with no trailing newline.
func writeMarkdown(content *html.Node, base *url.URL) string {
	if content == nil {
		return ""
	}
	if base == nil {
		base = &url.URL{}
	}
	w := &mdWriter{base: base, empty: true}
	w.fn = scanFootnotes(content)
	if content.Type == html.ElementNode && !isElem(content, atom.Html) && !isElem(content, atom.Body) {
		w.node(content, 0)
	} else {
		w.children(content, 0)
	}
	w.writeFootnotes()
	return validUTF8(strings.TrimRight(w.b.String(), " \n"))
}

// mdWriter renders nodes as markdown into b. Block structure is tracked
// lazily: a block only records that a break is owed (pending), and the
// break is written when the next text arrives, so empty elements leave no
// blank lines behind.
type mdWriter struct {
	b    mdBuf
	base *url.URL
	fn   *footnotes

	prefixes []string // per open container: "> " or list continuation spaces
	marks    []string // list markers owed on the next line start, per container

	pending   int  // breaks owed before the next text: 0, 1 (new line) or 2 (blank line)
	pendDepth int  // container depth the owed blank line belongs to
	lineStart bool // at the start of a line, its prefix not yet written
	empty     bool // nothing written yet
	space     bool // a space is owed before the next inline text
	lead      bool // (inline writers) the content began with white space
	hardBreak bool // a <br> is owed before the next text on this block
	itemStart bool // just opened a list item: no blank line before its text

	inline     bool   // single-line writer (headings, table cells, link text)
	softSpace  bool   // a space is owed only if the next text starts with a letter or digit
	lastClose  string // closing delimiter written last, ending at closeEnd
	closeEnd   int
	inlineNest int
	listDepth  int
}

// mdBuf is a byte buffer that can also take back its last bytes.
type mdBuf struct{ buf []byte }

func (b *mdBuf) WriteString(s string) { b.buf = append(b.buf, s...) }

// WriteByte appends c; it never fails.
func (b *mdBuf) WriteByte(c byte) error {
	b.buf = append(b.buf, c)
	return nil
}
func (b *mdBuf) String() string { return string(b.buf) }
func (b *mdBuf) Len() int       { return len(b.buf) }
func (b *mdBuf) Truncate(n int) { b.buf = b.buf[:n] }

// sub returns a single-line writer sharing w's settings.
func (w *mdWriter) sub() *mdWriter {
	return &mdWriter{base: w.base, fn: w.fn, empty: true, inline: true, inlineNest: w.inlineNest + 1, listDepth: w.listDepth}
}

func (w *mdWriter) brk(k int) {
	if w.pending == 0 || len(w.prefixes) < w.pendDepth {
		w.pendDepth = len(w.prefixes)
	}
	if k > w.pending {
		w.pending = k
	}
	w.hardBreak = false
}

// emit writes markup or already escaped text, first settling owed breaks,
// prefixes and spaces.
func (w *mdWriter) emit(s string) {
	if s == "" {
		return
	}
	if w.inline {
		if w.pending > 0 || w.hardBreak {
			w.space = true
			w.pending = 0
			w.hardBreak = false
		}
		if w.space && !w.empty || w.softSpace && startsWord(s) {
			w.b.WriteByte(' ')
		}
		w.space, w.softSpace = false, false
		w.b.WriteString(s)
		w.empty = false
		return
	}
	if w.pending > 0 && !w.empty {
		if !w.lineStart {
			w.b.WriteByte('\n')
			w.lineStart = true
		}
		if w.pending == 2 && !w.itemStart {
			w.writeBlankLine()
		}
	} else if w.hardBreak && !w.lineStart {
		w.b.WriteString("  \n")
		w.lineStart = true
	}
	w.pending = 0
	w.hardBreak = false
	w.itemStart = false
	if w.lineStart || w.empty {
		w.writePrefix()
		w.lineStart = false
		w.space, w.softSpace = false, false
	}
	if w.space || w.softSpace && startsWord(s) {
		w.b.WriteByte(' ')
	}
	w.space, w.softSpace = false, false
	w.b.WriteString(s)
	w.empty = false
}

// startsWord reports whether s begins with a letter or digit.
func startsWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func (w *mdWriter) writePrefix() {
	for i, p := range w.prefixes {
		if w.marks[i] != "" {
			w.b.WriteString(w.marks[i])
			w.marks[i] = ""
		} else {
			w.b.WriteString(p)
		}
	}
}

func (w *mdWriter) writeBlankLine() {
	var line strings.Builder
	for _, p := range w.prefixes[:min(w.pendDepth, len(w.prefixes))] {
		line.WriteString(p)
	}
	w.b.WriteString(strings.TrimRight(line.String(), " "))
	w.b.WriteByte('\n')
}

// endLine finishes the current line (for lines written whole, like code).
func (w *mdWriter) endLine() {
	w.b.WriteByte('\n')
	w.lineStart = true
}

func (w *mdWriter) push(prefix, mark string) {
	w.prefixes = append(w.prefixes, prefix)
	w.marks = append(w.marks, mark)
}

func (w *mdWriter) pop() {
	w.prefixes = w.prefixes[:len(w.prefixes)-1]
	w.marks = w.marks[:len(w.marks)-1]
	w.pendDepth = min(w.pendDepth, len(w.prefixes))
}

// text writes a text node's content, collapsing white space and escaping.
func (w *mdWriter) text(s string) {
	if s == "" {
		return
	}
	leadWS := isSpaceByte(s[0]) || strings.HasPrefix(s, "\u00a0")
	c := collapseWS(s)
	if c == "" {
		if w.empty {
			w.lead = true
		} else {
			w.space = true
		}
		return
	}
	if leadWS {
		if w.empty {
			w.lead = true
		} else {
			w.space = true
		}
	}
	atStart := !w.inline && (w.lineStart || w.pending > 0 || w.empty)
	w.emit(escapeMarkdown(c, atStart))
	last, _ := utf8.DecodeLastRuneInString(s)
	if unicode.IsSpace(last) {
		w.space = true
	}
}

func (w *mdWriter) children(n *html.Node, depth int) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c, depth+1)
	}
}

// skipAtoms are elements that never produce markdown.
var skipAtoms = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Head: true, atom.Title: true, atom.Meta: true, atom.Link: true, atom.Base: true,
	atom.Iframe: true, atom.Object: true, atom.Embed: true, atom.Svg: true, atom.Math: true,
	atom.Canvas: true, atom.Input: true, atom.Select: true, atom.Textarea: true,
	atom.Button: true, atom.Option: true, atom.Map: true, atom.Area: true,
	atom.Video: true, atom.Audio: true, atom.Source: true, atom.Track: true, atom.Dialog: true,
}

func (w *mdWriter) node(n *html.Node, depth int) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
	case html.DocumentNode:
		w.children(n, depth)
		return
	default:
		return
	}
	if n.Namespace != "" || skipAtoms[n.DataAtom] || hasAttrOf(n, "hidden") {
		return
	}
	if w.fn != nil && w.fn.isDef(n) {
		return // written at the end
	}
	if depth > mdMaxDepth {
		w.text(" " + textOf(n, textLimitDefault) + " ")
		return
	}
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		if w.inline {
			w.children(n, depth)
			return
		}
		s := w.inlineOf(n, depth)
		if s == "" {
			return
		}
		w.brk(2)
		level := int(n.Data[1] - '0')
		if strings.HasSuffix(s, "#") && !strings.HasSuffix(s, `\#`) {
			s = s[:len(s)-1] + `\#` // not a closing sequence
		}
		w.emit(strings.Repeat("#", level) + " " + truncUTF8(s, mdMaxHeadingText))
		w.brk(2)
	case atom.P, atom.Div, atom.Section, atom.Article, atom.Main, atom.Header, atom.Footer,
		atom.Aside, atom.Nav, atom.Address, atom.Figure, atom.Figcaption, atom.Details,
		atom.Summary, atom.Fieldset, atom.Center, atom.Hgroup, atom.Form, atom.Dt, atom.Dd,
		atom.Caption, atom.Legend, atom.Body, atom.Html:
		w.brk(2)
		w.children(n, depth)
		w.brk(2)
	case atom.Dl:
		w.brk(2)
		w.children(n, depth)
		w.brk(2)
	case atom.Br:
		if w.inline {
			w.space = true
		} else if !w.lineStart && !w.empty && w.pending == 0 {
			w.hardBreak = true
		}
	case atom.Hr:
		if w.inline {
			return
		}
		w.brk(2)
		w.emit("---")
		w.brk(2)
	case atom.Pre:
		w.pre(n)
	case atom.Blockquote:
		if w.inline {
			w.children(n, depth)
			return
		}
		w.brk(2)
		w.push("> ", "")
		w.children(n, depth)
		w.pop()
		w.brk(2)
	case atom.Ul, atom.Ol, atom.Menu:
		w.list(n, depth)
	case atom.Li:
		// A stray li outside a list: a list of one.
		w.item(n, "- ", depth, true)
	case atom.Table:
		w.table(n, depth)
	case atom.Tr, atom.Td, atom.Th, atom.Thead, atom.Tbody, atom.Tfoot:
		// Parts of a layout table: blocks.
		w.brk(2)
		w.children(n, depth)
		w.brk(2)
	case atom.Img:
		w.image(n)
	case atom.A:
		w.link(n, depth)
	case atom.Strong, atom.B:
		w.wrap(n, "**", "**", depth)
	case atom.Em, atom.I, atom.Cite, atom.Dfn, atom.Var:
		w.wrap(n, "*", "*", depth)
	case atom.Del, atom.S, atom.Strike:
		w.wrap(n, "~~", "~~", depth)
	case atom.Code, atom.Kbd, atom.Samp, atom.Tt:
		w.code(n)
	case atom.Sup:
		if ref, ok := w.fn.refOf(n); ok {
			w.emit("[^" + ref + "]")
			return
		}
		w.children(n, depth)
	default:
		if blockAtoms[n.DataAtom] {
			w.brk(2)
			w.children(n, depth)
			w.brk(2)
			return
		}
		w.children(n, depth)
	}
}

// inlineOf renders n's children on one line and returns the result
// trimmed.
func (w *mdWriter) inlineOf(n *html.Node, depth int) string {
	s := w.sub()
	s.children(n, depth)
	return strings.TrimSpace(s.b.String())
}

// wrap writes n's children between delimiters (emphasis, strikethrough),
// keeping surrounding white space outside them. Wrappers around blocks,
// and deeply nested ones, are written without delimiters.
func (w *mdWriter) wrap(n *html.Node, open, close string, depth int) {
	if w.inlineNest >= mdMaxInlineNest || hasBlockChild(n) {
		w.children(n, depth)
		return
	}
	s := w.sub()
	s.children(n, depth)
	inner := strings.TrimSpace(s.b.String())
	if s.lead {
		w.space = true
	}
	if inner == "" {
		if s.lead || s.space {
			w.space = true
		}
		return
	}
	// A nested wrapper of the same kind adds nothing.
	if strings.HasPrefix(inner, open) && strings.HasSuffix(inner, close) && len(inner) > len(open)+len(close) && !strings.Contains(inner[len(open):len(inner)-len(close)], open) {
		inner = inner[len(open) : len(inner)-len(close)]
	}
	// Emphasis next to punctuation only works with white space on the
	// other side ("**Note:** text", not "**Note:**text").
	first, _ := utf8.DecodeRuneInString(inner)
	last, _ := utf8.DecodeLastRuneInString(inner)
	if unicode.IsPunct(first) && !w.space && w.b.Len() > 0 {
		if prev, _ := utf8.DecodeLastRune(w.b.buf); unicode.IsLetter(prev) || unicode.IsDigit(prev) {
			w.space = true
		}
	}
	if w.lastClose == close && w.closeEnd == w.b.Len() && !w.space && w.pending == 0 && !w.hardBreak {
		// Two adjacent wrappers of a kind ("*a**b*") merge into one.
		w.b.Truncate(w.b.Len() - len(close))
		w.b.WriteString(inner + close)
	} else {
		w.emit(open + inner + close)
	}
	w.lastClose, w.closeEnd = close, w.b.Len()
	if s.space {
		w.space = true
	} else if unicode.IsPunct(last) {
		w.softSpace = true
	}
}

// hasBlockChild reports whether n has a block element among its first
// children (a bounded look).
func hasBlockChild(n *html.Node) bool {
	k := 0
	for c := n.FirstChild; c != nil && k < 64; c = c.NextSibling {
		k++
		if c.Type == html.ElementNode && (blockAtoms[c.DataAtom] || c.DataAtom == atom.Br && c.NextSibling != nil) {
			return true
		}
	}
	return false
}

// link writes [text](url). Links without a usable URL are written as
// their text; links with no text and no image are dropped.
func (w *mdWriter) link(n *html.Node, depth int) {
	href := attrOf(n, "href")
	if ref, ok := w.fn.refOf(n); ok {
		w.emit("[^" + ref + "]")
		return
	}
	if w.fn.isBackref(href) {
		return
	}
	u := resolveRef(w.base, href)
	if u == "" || w.inlineNest >= mdMaxInlineNest || hasStructure(n) {
		w.children(n, depth)
		return
	}
	s := w.sub()
	s.children(n, depth)
	inner := strings.TrimSpace(s.b.String())
	if s.lead {
		w.space = true
	}
	if inner == "" {
		return
	}
	w.emit("[" + inner + "](" + mdURL(u) + ")")
	if s.space {
		w.space = true
	}
}

// hasStructure reports whether n holds lists, tables, code or quotes, which
// cannot live inside link text (a bounded look).
func hasStructure(n *html.Node) bool {
	budget := 256
	var find func(n *html.Node) bool
	find = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if budget--; budget < 0 {
				return false
			}
			if c.Type != html.ElementNode {
				continue
			}
			switch c.DataAtom {
			case atom.Ul, atom.Ol, atom.Table, atom.Pre, atom.Blockquote, atom.H1, atom.H2, atom.H3:
				return true
			}
			if find(c) {
				return true
			}
		}
		return false
	}
	return find(n)
}

// image writes ![alt](url).
func (w *mdWriter) image(n *html.Node) {
	u := bestImageURL(n, w.base)
	if u == "" {
		return
	}
	alt := collapseWS(attrOf(n, "alt"))
	alt = mdAltEscaper.Replace(alt)
	w.emit("![" + alt + "](" + mdURL(u) + ")")
}

// mdURL makes a URL safe as a link destination.
func mdURL(u string) string {
	if !strings.ContainsAny(u, " ()<>\n") {
		return u
	}
	return mdURLEscaper.Replace(u)
}

// The replacers of image alt texts and link destinations, built once.
var (
	mdAltEscaper = strings.NewReplacer("[", `\[`, "]", `\]`, "\\", `\\`)
	mdURLEscaper = strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\n", "")
)

// code writes inline code, with a backtick fence longer than any run of
// backticks inside.
func (w *mdWriter) code(n *html.Node) {
	s := collapseWS(rawText(n, textLimitDefault))
	if s == "" {
		return
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if s[0] == '`' || s[len(s)-1] == '`' {
		s = " " + s + " "
	}
	w.emit(fence + s + fence)
}

// pre writes a fenced code block.
func (w *mdWriter) pre(n *html.Node) {
	code := rawText(n, 1<<22)
	code = strings.TrimRight(code, " \t\n\r")
	code = strings.TrimLeft(code, "\n\r")
	if strings.TrimSpace(code) == "" {
		return
	}
	if w.inline {
		w.emit("`" + collapseWS(code) + "`")
		return
	}
	lang := codeLanguage(n)
	if lang == "" {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if isElem(c, atom.Code) {
				lang = codeLanguage(c)
				break
			}
		}
	}
	fence := strings.Repeat("`", max(3, longestRun(code, '`')+1))
	w.brk(2)
	w.emit(fence + lang)
	for _, line := range strings.Split(strings.ReplaceAll(code, "\r\n", "\n"), "\n") {
		w.endLine()
		if line == "" {
			w.b.WriteString(strings.TrimRight(strings.Join(w.prefixes, ""), " "))
			continue
		}
		w.emit(line)
	}
	w.endLine()
	w.emit(fence)
	w.brk(2)
}

// codeLanguage reads a language from class="language-go", "lang-go",
// "highlight-source-go" or data-lang.
func codeLanguage(n *html.Node) string {
	for _, k := range []string{"data-lang", "data-language"} {
		if v := attrOf(n, k); v != "" {
			return cleanLang(v)
		}
	}
	for _, f := range strings.Fields(attrOf(n, "class")) {
		lf := strings.ToLower(f)
		for _, p := range []string{"language-", "lang-", "highlight-source-", "sourcecode-", "brush:"} {
			if strings.HasPrefix(lf, p) && len(lf) > len(p) {
				return cleanLang(lf[len(p):])
			}
		}
	}
	return ""
}

// cleanLang keeps a code language name usable in a fence info string.
func cleanLang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("+-#._", r)) {
			b.WriteRune(r)
		}
		if b.Len() >= 32 {
			break
		}
	}
	return b.String()
}

// rawText returns the text of n with white space kept; <br> is a newline.
func rawText(n *html.Node, limit int) string {
	var b strings.Builder
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		for c := n.FirstChild; c != nil && b.Len() < limit; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				b.WriteString(c.Data)
			case html.ElementNode:
				switch c.DataAtom {
				case atom.Br:
					b.WriteByte('\n')
				case atom.Script, atom.Style, atom.Template:
				default:
					if depth < 64 {
						walk(c, depth+1)
					}
					if c.DataAtom == atom.Div || c.DataAtom == atom.P || c.DataAtom == atom.Li {
						if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
							b.WriteByte('\n')
						}
					}
				}
			}
		}
	}
	walk(n, 0)
	return truncUTF8(b.String(), limit)
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

// list writes ul/ol items.
func (w *mdWriter) list(n *html.Node, depth int) {
	if w.inline {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			w.space = true
			w.node(c, depth+1)
		}
		return
	}
	if w.listDepth > 0 {
		w.brk(1)
	} else {
		w.brk(2)
	}
	ordered := n.DataAtom == atom.Ol
	num := 1
	if ordered {
		if s, err := strconv.Atoi(strings.TrimSpace(attrOf(n, "start"))); err == nil && s >= 0 && s < 1e9 {
			num = s
		}
	}
	w.listDepth++
	first := true
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if !isElem(c, atom.Li) {
			if c.Type == html.ElementNode && (c.DataAtom == atom.Ul || c.DataAtom == atom.Ol) {
				// A list directly in a list: nest it under the last item.
				w.push("  ", "")
				w.node(c, depth+1)
				w.pop()
			}
			continue
		}
		if w.fn != nil && w.fn.isDef(c) {
			continue
		}
		marker := "- "
		if ordered {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		// The first item keeps the blank line owed before the list.
		w.item(c, marker, depth, first)
		first = false
	}
	w.listDepth--
	if w.listDepth > 0 {
		w.brk(1)
	} else {
		w.brk(2)
	}
}

// item writes one list item with its marker; continuation lines are
// indented to the marker's width.
func (w *mdWriter) item(li *html.Node, marker string, depth int, first bool) {
	if w.inline {
		w.space = true
		w.children(li, depth)
		return
	}
	w.brk(1)
	w.itemStart = !first || w.pending < 2
	w.push(strings.Repeat(" ", len(marker)), marker)
	w.children(li, depth) // an empty item writes nothing
	w.pop()
	w.itemStart = false
	w.brk(1)
}

// table writes a data table as a GFM table, and a layout table as blocks.
func (w *mdWriter) table(n *html.Node, depth int) {
	if w.inline {
		w.space = true
		w.text(textOf(n, textLimitDefault))
		w.space = true
		return
	}
	if !isDataTable(n) {
		w.brk(2)
		w.children(n, depth)
		w.brk(2)
		return
	}
	g := buildGrid(n, func(cell *html.Node) string { return w.inlineOf(cell, depth) })
	if len(g.rows) == 0 {
		return
	}
	if g.caption != "" {
		w.brk(2)
		w.emit("*" + escapeMarkdown(g.caption, false) + "*")
	}
	// A header cell is bold already.
	for i, c := range g.rows[0] {
		if len(c) > 4 && strings.HasPrefix(c, "**") && strings.HasSuffix(c, "**") && !strings.Contains(c[2:len(c)-2], "**") {
			g.rows[0][i] = c[2 : len(c)-2]
		}
	}
	var b strings.Builder
	writeGFMTable(&b, "", g.rows, func(s string) string { return s })
	w.brk(2)
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		if !w.lineStart && !w.empty && w.pending == 0 {
			w.endLine()
		}
		w.emit(line)
	}
	w.brk(2)
}

// escapeMarkdown escapes the characters of text that markdown would read
// as markup: backslash, backtick, asterisk, brackets, HTML-like "<",
// entity-like "&", "~~", an underscore not inside a word, and at the start
// of a line the block markers (#, >, list markers, "1.").
func escapeMarkdown(s string, lineStart bool) string {
	need := lineStart && s != "" && strings.ContainsRune("#>-+=|0123456789", rune(s[0]))
	if !need {
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '\\', '`', '*', '_', '[', ']', '<', '&', '~':
				need = true
			}
			if need {
				break
			}
		}
	}
	if !need {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	if lineStart && s != "" {
		switch s[0] {
		case '#', '>', '=':
			b.WriteByte('\\')
		case '-', '+':
			if len(s) == 1 || s[1] == ' ' || s[1] == s[0] {
				b.WriteByte('\\')
			}
		case '|':
			b.WriteByte('\\')
		default:
			// "1. " or "1) " would start an ordered list.
			j := 0
			for j < len(s) && j < 10 && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j > 0 && j+1 <= len(s) && j < len(s) && (s[j] == '.' || s[j] == ')') && (j+1 == len(s) || s[j+1] == ' ') {
				b.WriteString(s[:j])
				b.WriteByte('\\')
				s = s[j:]
			}
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '`', '*', '[', ']':
			b.WriteByte('\\')
		case '_':
			if !(i > 0 && isWordByte(s[i-1]) && i+1 < len(s) && isWordByte(s[i+1])) {
				b.WriteByte('\\')
			}
		case '<':
			if i+1 < len(s) && (isASCIILetter(s[i+1]) || s[i+1] == '/' || s[i+1] == '!' || s[i+1] == '?') {
				b.WriteByte('\\')
			}
		case '&':
			if looksLikeEntity(s[i+1:]) {
				b.WriteByte('\\')
			}
		case '~':
			if i+1 < len(s) && s[i+1] == '~' || i > 0 && s[i-1] == '~' {
				b.WriteByte('\\')
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// escapeMarkdownInline escapes text that is not at a line start.
func escapeMarkdownInline(s string) string { return escapeMarkdown(collapseWS(s), false) }

func isWordByte(c byte) bool {
	return c >= 0x80 || c >= '0' && c <= '9' || isASCIILetter(c)
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// looksLikeEntity reports whether s (what follows an "&") starts like an
// HTML character reference: letters or #digits, then ";".
func looksLikeEntity(s string) bool {
	for i := 0; i < len(s) && i < 32; i++ {
		c := s[i]
		switch {
		case c == ';':
			return i > 0
		case isASCIILetter(c) || c >= '0' && c <= '9' || c == '#' && i == 0:
		default:
			return false
		}
	}
	return false
}

// footnotes are the simple footnotes of the content: a <sup><a
// href="#id">1</a></sup> (or <a href="#id"><sup>1</sup></a>) reference
// whose target element is inside the content. References become [^1] and
// the targets' text is written at the end as [^1]: definitions.
type footnotes struct {
	refs    map[*html.Node]string // reference element (sup or a) -> label
	defs    map[*html.Node]string // definition element -> label
	order   []*html.Node          // definitions in reference order
	backIDs map[string]bool       // ids of reference elements, for back links
}

// scanFootnotes finds the footnote references and definitions of content;
// nil when there are none.
func scanFootnotes(content *html.Node) *footnotes {
	type ref struct {
		n      *html.Node
		target string
		label  string
		ids    []string
	}
	var refs []ref
	stack := []*html.Node{content}
	for len(stack) > 0 && len(refs) < mdMaxFootnotes {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Type == html.ElementNode && (n.DataAtom == atom.Sup || n.DataAtom == atom.A) {
			if r, ok := footnoteRef(n); ok {
				refs = append(refs, ref{n: n, target: r.target, label: r.label, ids: r.ids})
			}
		}
		for c := n.LastChild; c != nil; c = c.PrevSibling {
			if c.Type == html.ElementNode || c.Type == html.DocumentNode {
				stack = append(stack, c)
			}
		}
	}
	if len(refs) == 0 {
		return nil
	}
	// Definitions may come before their references in document order;
	// collect every id once more now that references are known.
	ids := make(map[string]*html.Node)
	stack = append(stack[:0], content)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Type == html.ElementNode {
			if id := attrOf(n, "id"); id != "" {
				if _, dup := ids[id]; !dup {
					ids[id] = n
				}
			}
		}
		for c := n.LastChild; c != nil; c = c.PrevSibling {
			if c.Type == html.ElementNode {
				stack = append(stack, c)
			}
		}
	}
	f := &footnotes{refs: map[*html.Node]string{}, defs: map[*html.Node]string{}, backIDs: map[string]bool{}}
	labels := map[string]bool{}
	for i, r := range refs {
		def, ok := ids[r.target]
		if !ok || def == r.n || isAncestor(def, r.n) {
			continue
		}
		label, known := f.defs[def]
		if !known {
			label = r.label
			if label == "" || labels[label] {
				label = strconv.Itoa(i + 1)
			}
			labels[label] = true
			f.defs[def] = label
			f.order = append(f.order, def)
		}
		f.refs[r.n] = label
		for _, id := range r.ids {
			f.backIDs[id] = true
		}
	}
	if len(f.refs) == 0 {
		return nil
	}
	return f
}

type fnRef struct {
	target string
	label  string
	ids    []string
}

// footnoteRef recognises a footnote reference element.
func footnoteRef(n *html.Node) (fnRef, bool) {
	var a, sup *html.Node
	switch n.DataAtom {
	case atom.Sup:
		sup = n
		a = onlyElementChild(n)
		if !isElem(a, atom.A) {
			return fnRef{}, false
		}
	case atom.A:
		if isElem(n.Parent, atom.Sup) && onlyElementChild(n.Parent) == n {
			return fnRef{}, false // handled at the sup
		}
		a = n
		sup = onlyElementChild(n)
		if !isElem(sup, atom.Sup) {
			return fnRef{}, false
		}
	default:
		return fnRef{}, false
	}
	href := strings.TrimSpace(attrOf(a, "href"))
	if len(href) < 2 || href[0] != '#' {
		return fnRef{}, false
	}
	text := strings.Trim(textOf(n, 64), "[]() ")
	if text == "" || utf8.RuneCountInString(text) > 8 {
		return fnRef{}, false
	}
	label := ""
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' {
			label += string(r)
		}
	}
	r := fnRef{target: href[1:], label: label}
	for _, x := range [2]*html.Node{a, sup} {
		if id := attrOf(x, "id"); id != "" {
			r.ids = append(r.ids, id)
		}
	}
	return r, true
}

func onlyElementChild(n *html.Node) *html.Node {
	var only *html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.ElementNode:
			if only != nil {
				return nil
			}
			only = c
		case html.TextNode:
			if strings.TrimSpace(c.Data) != "" {
				return nil
			}
		}
	}
	return only
}

func isAncestor(a, n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p == a {
			return true
		}
	}
	return false
}

func (f *footnotes) refOf(n *html.Node) (string, bool) {
	if f == nil {
		return "", false
	}
	l, ok := f.refs[n]
	return l, ok
}

func (f *footnotes) isDef(n *html.Node) bool {
	if f == nil {
		return false
	}
	_, ok := f.defs[n]
	return ok
}

// isBackref reports whether href points back at a reference.
func (f *footnotes) isBackref(href string) bool {
	if f == nil || len(href) < 2 || href[0] != '#' {
		return false
	}
	return f.backIDs[href[1:]]
}

// writeFootnotes writes the definitions, one line each.
func (w *mdWriter) writeFootnotes() {
	if w.fn == nil {
		return
	}
	for i, def := range w.fn.order {
		s := w.sub()
		s.fn = &footnotes{backIDs: w.fn.backIDs, refs: w.fn.refs}
		s.children(def, 0)
		text := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(s.b.String()), "^↑↩︎ "))
		if text == "" {
			continue
		}
		if i == 0 {
			w.brk(2)
		} else {
			w.brk(1)
		}
		w.emit("[^" + w.fn.defs[def] + "]: " + text)
	}
}
