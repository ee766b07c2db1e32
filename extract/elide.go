package extract

import "bytes"

// elideRawText returns page without the text of its <script> and <style>
// elements, which is about half of a modern page's bytes and nothing the
// extractor reads (JSON-LD blocks are kept). Parsing the result gives the
// same tree as parsing page, less those text nodes, and the tokenizer has
// half the bytes to read.
//
// The scan follows the HTML tokenizer exactly where it matters: tags and
// their quoted attribute values, comments, bogus comments, and the other
// raw-text and RCDATA elements (title, textarea, noscript, iframe, xmp,
// noembed, noframes), which are stepped over untouched. It is written for
// a parse with scripting enabled, as parsePage does. Wherever the tree
// builder could change how the tokenizer reads the rest (the first <svg>
// or <math>, which open foreign content), and wherever the scan would need
// more of the tokenizer's states (a script holding "<!--", which opens
// its escaped states), it stops and keeps the rest of the page as it is.
// The result is page itself when nothing was removed.
func elideRawText(page []byte) []byte {
	var out []byte // allocated at the first removal
	kept := 0      // page[:kept] is already in out
	i := 0
	for {
		j := bytes.IndexByte(page[i:], '<')
		if j < 0 || i+j+1 >= len(page) {
			break
		}
		i += j + 1 // after '<'
		c := page[i]
		switch {
		case isASCIILetter(c):
			nameStart := i
			nameEnd, end, ok := scanTag(page, i)
			if !ok {
				return finishElided(out, page, kept)
			}
			i = end
			name := page[nameStart:nameEnd]
			raw := rawTextKind(name)
			switch raw {
			case rawNone:
				continue
			case rawForeign, rawPlaintext:
				return finishElided(out, page, kept)
			}
			// i is after the start tag's '>': the raw text runs to the
			// first end tag of the same name.
			close, ok := rawTextEnd(page, i, name, raw == rawScript)
			if !ok {
				return finishElided(out, page, kept)
			}
			if (raw == rawScript || raw == rawStyle) && close > i && !(raw == rawScript && isJSONLD(page[nameStart-1:end])) {
				if out == nil {
					out = make([]byte, 0, len(page))
				}
				out = append(out, page[kept:i]...)
				kept = close
			}
			i = close
		case c == '/':
			if i+1 >= len(page) {
				return finishElided(out, page, kept)
			}
			switch d := page[i+1]; {
			case d == '>':
				i += 2
			case isASCIILetter(d):
				_, end, ok := scanTag(page, i+1)
				if !ok {
					return finishElided(out, page, kept)
				}
				i = end
			default:
				k := bytes.IndexByte(page[i+1:], '>')
				if k < 0 {
					return finishElided(out, page, kept)
				}
				i += 1 + k + 1
			}
		case c == '!':
			end, ok := scanMarkupDecl(page, i+1)
			if !ok {
				return finishElided(out, page, kept)
			}
			i = end
		case c == '?':
			k := bytes.IndexByte(page[i:], '>')
			if k < 0 {
				return finishElided(out, page, kept)
			}
			i += k + 1
		}
	}
	return finishElided(out, page, kept)
}

func finishElided(out, page []byte, kept int) []byte {
	if out == nil {
		return page
	}
	return append(out, page[kept:]...)
}

func isTagSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' }

// scanTag reads a start or end tag whose name begins at page[i] (after
// "<" or "</") the way the tokenizer does: the name runs to white space,
// '/' or '>'; an attribute value is quoted only when its quote follows
// "=" (and optional white space). It returns the end of the name and the
// index after the closing '>'; ok is false when the page ends first.
func scanTag(page []byte, i int) (nameEnd, end int, ok bool) {
	n := len(page)
	for i < n && !isTagSpace(page[i]) && page[i] != '/' && page[i] != '>' {
		i++
	}
	nameEnd = i
	i = skipTagSpace(page, i)
	for i < n {
		if page[i] == '>' {
			return nameEnd, i + 1, true
		}
		// The attribute name: '=' is part of it only as its first byte.
		keyStart := i
		for i < n {
			c := page[i]
			if isTagSpace(c) || c == '/' || c == '>' || (c == '=' && i != keyStart) {
				break
			}
			i++
		}
		// The value, if any.
		i = skipTagSpace(page, i)
		if i >= n {
			return 0, 0, false
		}
		switch page[i] {
		case '/':
			i++
		case '=':
			i = skipTagSpace(page, i+1)
			if i >= n {
				return 0, 0, false
			}
			switch q := page[i]; q {
			case '>':
			case '\'', '"':
				k := bytes.IndexByte(page[i+1:], q)
				if k < 0 {
					return 0, 0, false
				}
				i += 1 + k + 1
			default:
				for i < n && !isTagSpace(page[i]) && page[i] != '>' {
					i++
				}
			}
		}
		i = skipTagSpace(page, i)
	}
	return 0, 0, false
}

func skipTagSpace(page []byte, i int) int {
	for i < len(page) && isTagSpace(page[i]) {
		i++
	}
	return i
}

// scanMarkupDecl reads what follows "<!" at page[i]: a comment, or a
// doctype or bogus comment, which end at the first '>'. It returns the
// index after the declaration.
func scanMarkupDecl(page []byte, i int) (end int, ok bool) {
	n := len(page)
	if i+2 > n {
		return 0, false
	}
	if page[i] != '-' || page[i+1] != '-' {
		k := bytes.IndexByte(page[i:], '>')
		if k < 0 {
			return 0, false
		}
		return i + k + 1, true
	}
	// A comment ends at "-->" or "--!>", or at once for "<!-->" and
	// "<!--->".
	i += 2
	dashes, beginning := 0, true
	for i < n {
		c := page[i]
		i++
		switch c {
		case '-':
			dashes++
			continue
		case '>':
			if dashes >= 2 || beginning {
				return i, true
			}
		case '!':
			if dashes >= 2 {
				if i >= n {
					return 0, false
				}
				c = page[i]
				i++
				if c == '>' {
					return i, true
				}
				if c == '-' {
					dashes, beginning = 1, false
					continue
				}
			}
		}
		dashes, beginning = 0, false
	}
	return 0, false
}

// Raw-text kinds of a start tag in HTML content.
const (
	rawNone = iota
	rawScript
	rawStyle
	rawOther     // title, textarea, noscript, iframe, xmp, noembed, noframes
	rawPlaintext // the rest of the page is text
	rawForeign   // svg or math: foreign content, where the rules change
)

// rawOtherNames are the other elements whose text the tokenizer reads raw
// (or as RCDATA) to their end tag.
var rawOtherNames = []string{"title", "textarea", "noscript", "iframe", "xmp", "noembed", "noframes"}

func rawTextKind(name []byte) int {
	switch {
	case len(name) < 3 || len(name) > 9:
		return rawNone
	case bytes.EqualFold(name, []byte("script")):
		return rawScript
	case bytes.EqualFold(name, []byte("style")):
		return rawStyle
	case bytes.EqualFold(name, []byte("svg")), bytes.EqualFold(name, []byte("math")):
		return rawForeign
	case bytes.EqualFold(name, []byte("plaintext")):
		return rawPlaintext
	}
	for _, s := range rawOtherNames {
		if bytes.EqualFold(name, []byte(s)) {
			return rawOther
		}
	}
	return rawNone
}

// rawTextEnd returns the index of the end tag ("</name" followed by white
// space, '/' or '>', in any case) that closes raw text starting at
// page[i]. For a script, "<!--" before it would open the tokenizer's
// escaped states, and ok is false, as it is when there is no end tag.
func rawTextEnd(page []byte, i int, name []byte, script bool) (close int, ok bool) {
	n := len(page)
	for {
		j := bytes.IndexByte(page[i:], '<')
		if j < 0 {
			return 0, false
		}
		i += j
		if i+1 >= n {
			return 0, false
		}
		switch page[i+1] {
		case '/':
			e := i + 2 + len(name)
			if e < n && bytes.EqualFold(page[i+2:e], name) {
				switch page[e] {
				case ' ', '\n', '\r', '\t', '\f', '/', '>':
					return i, true
				}
			}
		case '!':
			if script && i+3 < n && page[i+2] == '-' && page[i+3] == '-' {
				return 0, false
			}
		}
		i++
	}
}

// isJSONLD reports whether a script start tag may hold JSON-LD: such
// blocks are read by the metadata pass, so they are kept (any "+json"
// type is). A tag with a
// character reference may spell its type in it, so it is kept too.
func isJSONLD(tag []byte) bool {
	return bytes.IndexByte(tag, '&') >= 0 || containsFoldBytes(tag, "+json")
}
