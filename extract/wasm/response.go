package wasm

import (
	"encoding/json"
	"math/bits"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/riptide-go/riptide/extract"
)

// decodeResponse decodes a guest's response as encoding/json would into a
// response, and several times faster on what a guest usually sends: a
// document in the JSON encoding/json writes. A fast reader takes keys
// spelled exactly as the Document's tags, each once, and values of the
// expected types; anything else (an error response, an unknown or
// differently cased key, a repeated key, an invalid string, a number out
// of range...) is left to encoding/json, so the result is always
// encoding/json's. Every string is copied out of b, which is guest memory.
func decodeResponse(b []byte) (response, error) {
	var r response
	d := reader{b: b}
	if d.response(&r) {
		return r, nil
	}
	r = response{}
	err := json.Unmarshal(b, &r)
	return r, err
}

// reader is the fast path of decodeResponse. Its methods return false as
// soon as they meet what they leave to encoding/json.
type reader struct {
	b []byte
	p int
}

func (d *reader) ws() {
	for d.p < len(d.b) {
		switch d.b[d.p] {
		case ' ', '\t', '\n', '\r':
			d.p++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte, 0 at the end.
func (d *reader) next() byte {
	d.ws()
	if d.p < len(d.b) {
		return d.b[d.p]
	}
	return 0
}

func (d *reader) eat(c byte) bool {
	if d.next() == c {
		d.p++
		return true
	}
	return false
}

// null consumes a null, if that comes next.
func (d *reader) null() bool {
	if d.next() == 'n' && len(d.b)-d.p >= 4 && string(d.b[d.p:d.p+4]) == "null" {
		d.p += 4
		return true
	}
	return false
}

// object reads an object, calling field for each key (its value is next).
// Keys must be plain (no escape) and distinct among the first 64 that
// field knows by index; field returns the key's index, or -1 to give up.
func (d *reader) object(field func(key string) int) bool {
	if !d.eat('{') {
		return false
	}
	if d.eat('}') {
		return true
	}
	var seen uint64
	for {
		key, ok := d.key()
		if !ok {
			return false
		}
		i := field(key)
		if i < 0 || seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		if d.eat('}') {
			return true
		}
		if !d.eat(',') {
			return false
		}
	}
}

// key reads a key without escapes and the colon after it. The returned
// string aliases b: callers compare it, never keep it.
func (d *reader) key() (string, bool) {
	if !d.eat('"') {
		return "", false
	}
	start := d.p
	for d.p < len(d.b) {
		c := d.b[d.p]
		if c == '"' {
			k := d.b[start:d.p]
			d.p++
			return unsafeString(k), d.eat(':')
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return "", false
		}
		d.p++
	}
	return "", false
}

// array reads an array, calling elem for each element.
func (d *reader) array(elem func() bool) bool {
	if !d.eat('[') {
		return false
	}
	if d.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.eat(']') {
			return true
		}
		if !d.eat(',') {
			return false
		}
	}
}

// str reads a string value, unescaped and copied.
func (d *reader) str() (string, bool) {
	if !d.eat('"') {
		return "", false
	}
	start := d.p
	ascii := true
	for d.p < len(d.b) {
		c := d.b[d.p]
		switch {
		case c == '"':
			s := d.b[start:d.p]
			d.p++
			if !ascii && !utf8.Valid(s) {
				return "", false // encoding/json replaces the bad bytes
			}
			return string(s), true
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.p++
	}
	return "", false
}

// escaped finishes a string that has escapes; d.p is at the first.
func (d *reader) escaped(start int) (string, bool) {
	out := append(make([]byte, 0, d.p-start+16), d.b[start:d.p]...)
	for d.p < len(d.b) {
		c := d.b[d.p]
		switch {
		case c == '"':
			d.p++
			if !utf8.Valid(out) {
				return "", false
			}
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			d.p++
			continue
		}
		if d.p+1 >= len(d.b) {
			return "", false
		}
		e := d.b[d.p+1]
		d.p += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				if d.p+1 >= len(d.b) || d.b[d.p] != '\\' || d.b[d.p+1] != 'u' {
					return "", false // a lone surrogate becomes U+FFFD there
				}
				d.p += 2
				r2, ok := d.hex4()
				if !ok {
					return "", false
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return "", false
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return "", false
}

func (d *reader) hex4() (rune, bool) {
	if len(d.b)-d.p < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.p : d.p+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.p += 4
	return r, true
}

// number returns the next JSON number's text; integer reports that it has
// no fraction or exponent.
func (d *reader) number() (tok []byte, integer bool) {
	d.ws()
	start, p := d.p, d.p
	if p < len(d.b) && d.b[p] == '-' {
		p++
	}
	digits := func() int {
		n := 0
		for p < len(d.b) && '0' <= d.b[p] && d.b[p] <= '9' {
			p++
			n++
		}
		return n
	}
	switch {
	case p < len(d.b) && d.b[p] == '0':
		p++
	case digits() == 0:
		return nil, false
	}
	integer = true
	if p < len(d.b) && d.b[p] == '.' {
		p++
		if digits() == 0 {
			return nil, false
		}
		integer = false
	}
	if p < len(d.b) && (d.b[p] == 'e' || d.b[p] == 'E') {
		p++
		if p < len(d.b) && (d.b[p] == '+' || d.b[p] == '-') {
			p++
		}
		if digits() == 0 {
			return nil, false
		}
		integer = false
	}
	d.p = p
	return d.b[start:p], integer
}

func (d *reader) integer(dst *int) bool {
	tok, integer := d.number()
	if !integer {
		return false
	}
	v, err := strconv.ParseInt(unsafeString(tok), 10, bits.UintSize)
	*dst = int(v)
	return err == nil
}

func (d *reader) int64(dst *int64) bool {
	tok, integer := d.number()
	if !integer {
		return false
	}
	v, err := strconv.ParseInt(unsafeString(tok), 10, 64)
	*dst = v
	return err == nil
}

func (d *reader) float(dst *float64) bool {
	tok, _ := d.number()
	if tok == nil {
		return false
	}
	v, err := strconv.ParseFloat(unsafeString(tok), 64)
	*dst = v
	return err == nil
}

func (d *reader) boolean(dst *bool) bool {
	d.ws()
	switch {
	case len(d.b)-d.p >= 4 && string(d.b[d.p:d.p+4]) == "true":
		*dst = true
		d.p += 4
	case len(d.b)-d.p >= 5 && string(d.b[d.p:d.p+5]) == "false":
		*dst = false
		d.p += 5
	default:
		return false
	}
	return true
}

func (d *reader) strInto(dst *string) bool {
	s, ok := d.str()
	*dst = s
	return ok
}

func (d *reader) stringMap(dst *map[string]string) bool {
	m := map[string]string{}
	*dst = m
	return d.mapOf(func(k string) bool {
		v, ok := d.str()
		m[k] = v
		return ok
	})
}

// mapOf reads an object into a map: val reads the value of key k (a
// copy). Keys may have escapes; a repeated key is left to encoding/json.
func (d *reader) mapOf(val func(k string) bool) bool {
	if !d.eat('{') {
		return false
	}
	if d.eat('}') {
		return true
	}
	seen := map[string]bool{}
	for {
		k, ok := d.str()
		if !ok || seen[k] || !d.eat(':') {
			return false
		}
		seen[k] = true
		if !val(k) {
			return false
		}
		if d.eat('}') {
			return true
		}
		if !d.eat(',') {
			return false
		}
	}
}

// maxRawDepth bounds the nesting the fast reader follows in a raw value.
const maxRawDepth = 1000

// raw reads any JSON value into *dst, a copy of its text, as
// json.RawMessage keeps it.
func (d *reader) raw(dst *json.RawMessage) bool {
	d.ws()
	start := d.p
	if !d.skip(0) {
		return false
	}
	*dst = append(json.RawMessage(nil), d.b[start:d.p]...)
	return true
}

// skip reads one JSON value, checking its syntax as encoding/json's scanner
// does (which does not check the UTF-8 of strings).
func (d *reader) skip(depth int) bool {
	if depth > maxRawDepth {
		return false
	}
	switch c := d.next(); {
	case c == '{':
		d.p++
		if d.eat('}') {
			return true
		}
		for {
			if d.next() != '"' || !d.skipString() || !d.eat(':') || !d.skip(depth+1) {
				return false
			}
			if d.eat('}') {
				return true
			}
			if !d.eat(',') {
				return false
			}
		}
	case c == '[':
		return d.array(func() bool { return d.skip(depth + 1) })
	case c == '"':
		return d.skipString()
	case c == 't' || c == 'f':
		var b bool
		return d.boolean(&b)
	case c == 'n':
		return d.null()
	default:
		tok, _ := d.number()
		return tok != nil
	}
}

// skipString reads a string without decoding it; d.p is at its quote.
func (d *reader) skipString() bool {
	d.p++
	for d.p < len(d.b) {
		c := d.b[d.p]
		switch {
		case c == '"':
			d.p++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if d.p+1 >= len(d.b) {
				return false
			}
			switch d.b[d.p+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.p += 2
			case 'u':
				d.p += 2
				if _, ok := d.hex4(); !ok {
					return false
				}
			default:
				return false
			}
			continue
		}
		d.p++
	}
	return false
}

// response reads {"document": {...}}; an error response is left to
// encoding/json.
func (d *reader) response(r *response) bool {
	ok := d.object(func(key string) int {
		if key != "document" {
			return -1
		}
		if d.null() {
			return 0
		}
		r.Document = new(extract.Document)
		if !d.document(r.Document) {
			return -1
		}
		return 0
	})
	d.ws()
	return ok && d.p == len(d.b)
}

// The fields below follow extract.Document's json tags; a key the reader
// does not know goes to encoding/json, so a field added to Document and
// missing here costs speed, not correctness.

// fields reads an object whose keys are among keys, each once: read reads
// the value of keys[i]. A null value leaves a fresh struct's field as it
// is, as encoding/json does.
func (d *reader) fields(keys []string, read func(i int) bool) bool {
	return d.object(func(key string) int {
		i := slices.Index(keys, key)
		if i < 0 || d.null() {
			return i
		}
		if !read(i) {
			return -1
		}
		return i
	})
}

// arrayOf reads an array into *dst (empty, not nil, for []), elem reading
// each element.
func arrayOf[T any](d *reader, dst *[]T, elem func(*T) bool) bool {
	out := []T{}
	ok := d.array(func() bool {
		var v T
		ok := elem(&v)
		out = append(out, v)
		return ok
	})
	*dst = out
	return ok
}

var docKeys = [...]string{
	"url", "canonical_url", "title", "authors", "published", "modified",
	"site_name", "description", "language", "categories", "tags", "favicon",
	"lead_image", "markdown", "text", "html", "links", "media", "tables",
	"word_count", "reading_time_seconds", "quality", "schema", "open_graph",
	"twitter", "robots", "extraction",
}

func (d *reader) document(doc *extract.Document) bool {
	strs := [len(docKeys)]*string{
		0: &doc.URL, 1: &doc.CanonicalURL, 2: &doc.Title, 4: &doc.Published,
		5: &doc.Modified, 6: &doc.SiteName, 7: &doc.Description, 8: &doc.Language,
		11: &doc.Favicon, 12: &doc.LeadImage, 13: &doc.Markdown, 14: &doc.Text,
		15: &doc.HTML,
	}
	return d.fields(docKeys[:], func(i int) bool {
		if p := strs[i]; p != nil {
			return d.strInto(p)
		}
		switch i {
		case 3:
			return arrayOf(d, &doc.Authors, d.strInto)
		case 9:
			return arrayOf(d, &doc.Categories, d.strInto)
		case 10:
			return arrayOf(d, &doc.Tags, d.strInto)
		case 16:
			return arrayOf(d, &doc.Links, d.link)
		case 17:
			return arrayOf(d, &doc.Media, d.media)
		case 18:
			return arrayOf(d, &doc.Tables, d.table)
		case 19:
			return d.integer(&doc.WordCount)
		case 20:
			return d.integer(&doc.ReadingTimeSeconds)
		case 21:
			return d.quality(&doc.Quality)
		case 22:
			return arrayOf(d, &doc.Schema, d.raw)
		case 23:
			return d.stringMap(&doc.OpenGraph)
		case 24:
			return d.stringMap(&doc.Twitter)
		case 25:
			return arrayOf(d, &doc.Robots, d.strInto)
		case 26:
			return d.metadata(&doc.Meta)
		}
		return false
	})
}

var linkKeys = []string{"url", "text", "rel", "nofollow", "external", "in_content"}

func (d *reader) link(l *extract.Link) bool {
	return d.fields(linkKeys, func(i int) bool {
		switch i {
		case 0:
			return d.strInto(&l.URL)
		case 1:
			return d.strInto(&l.Text)
		case 2:
			return d.strInto(&l.Rel)
		case 3:
			return d.boolean(&l.NoFollow)
		case 4:
			return d.boolean(&l.External)
		default:
			return d.boolean(&l.InContent)
		}
	})
}

var mediaKeys = []string{"kind", "url", "alt", "title", "caption", "width", "height", "srcset"}

func (d *reader) media(m *extract.Media) bool {
	return d.fields(mediaKeys, func(i int) bool {
		switch i {
		case 0:
			var s string
			ok := d.strInto(&s)
			m.Kind = extract.MediaKind(s)
			return ok
		case 1:
			return d.strInto(&m.URL)
		case 2:
			return d.strInto(&m.Alt)
		case 3:
			return d.strInto(&m.Title)
		case 4:
			return d.strInto(&m.Caption)
		case 5:
			return d.integer(&m.Width)
		case 6:
			return d.integer(&m.Height)
		default:
			return arrayOf(d, &m.Srcset, d.candidate)
		}
	})
}

var candidateKeys = []string{"url", "width", "density"}

func (d *reader) candidate(c *extract.SrcsetCandidate) bool {
	return d.fields(candidateKeys, func(i int) bool {
		switch i {
		case 0:
			return d.strInto(&c.URL)
		case 1:
			return d.integer(&c.Width)
		default:
			return d.float(&c.Density)
		}
	})
}

var tableKeys = []string{"caption", "header_rows", "rows"}

func (d *reader) table(t *extract.Table) bool {
	return d.fields(tableKeys, func(i int) bool {
		switch i {
		case 0:
			return d.strInto(&t.Caption)
		case 1:
			return d.integer(&t.HeaderRows)
		default:
			return arrayOf(d, &t.Rows, func(row *[]string) bool { return arrayOf(d, row, d.strInto) })
		}
	})
}

var qualityKeys = []string{"score", "parts"}

func (d *reader) quality(q *extract.Quality) bool {
	return d.fields(qualityKeys, func(i int) bool {
		if i == 0 {
			return d.integer(&q.Score)
		}
		m := map[string]int{}
		q.Parts = m
		return d.mapOf(func(k string) bool {
			var v int
			ok := d.integer(&v)
			m[k] = v
			return ok
		})
	})
}

var metadataKeys = []string{"engine", "version", "duration_ns", "nodes_visited", "degraded", "warnings"}

func (d *reader) metadata(m *extract.Metadata) bool {
	return d.fields(metadataKeys, func(i int) bool {
		switch i {
		case 0:
			return d.strInto(&m.Engine)
		case 1:
			return d.strInto(&m.Version)
		case 2:
			var v int64
			ok := d.int64(&v)
			m.Duration = time.Duration(v)
			return ok
		case 3:
			return d.integer(&m.NodesVisited)
		case 4:
			return d.boolean(&m.Degraded)
		default:
			return arrayOf(d, &m.Warnings, d.strInto)
		}
	})
}

// unsafeString views b as a string, for lookups and parsing that do not
// keep it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
