package docjson

import (
	"encoding/json"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"
)

// closeObject ends the object whose fields were appended to b from start
// on, each preceded by a comma: the first comma becomes the opening brace.
func closeObject(b []byte, start int) []byte {
	if len(b) == start {
		return append(b, '{', '}')
	}
	b[start] = '{'
	return append(b, '}')
}

// appendArray appends s as a JSON array, each element written by elem; a
// nil s is null, as in encoding/json.
func appendArray[E any](b []byte, s []E, elem func([]byte, *E) []byte) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = elem(b, &s[i])
	}
	return append(b, ']')
}

func appendStrings(b []byte, s []string) []byte {
	return appendArray(b, s, func(b []byte, s *string) []byte { return appendString(b, *s) })
}

// sortedCap is how many map entries appendMap sorts without allocating.
const sortedCap = 32

// appendMap appends m as a JSON object, its keys in ascending byte order as
// encoding/json sorts them, each value written by val; a nil m is null.
func appendMap[V any](b []byte, m map[string]V, val func([]byte, V) []byte) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	// Sorting the keys alone shares the sort code of []string with the
	// rest of the module, where sorting (key, value) pairs would add a
	// sort per map type.
	var buf [sortedCap]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = val(b, m[k])
	}
	return append(b, '}')
}

func appendInt(b []byte, n int) []byte {
	return strconv.AppendInt(b, int64(n), 10)
}

// appendFloat appends f as encoding/json does: like strconv's shortest 'f'
// form, switching to 'e' below 1e-6 and from 1e21 on, with a one-digit
// negative exponent not padded (1e-7, not 1e-07). encoding/json fails on
// NaN and infinities; they are written as 0.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendRaw appends raw compacted, as encoding/json writes a RawMessage:
// whitespace between tokens is dropped and nothing else changes (with HTML
// escaping off, compacting escapes nothing). A nil raw is null.
// encoding/json fails on a raw message that is not valid JSON, the empty
// one included; it is written as null.
func appendRaw(b []byte, raw *json.RawMessage) []byte {
	if *raw == nil {
		return append(b, "null"...)
	}
	b, ok := appendCompact(b, *raw)
	if !ok {
		return append(b, "null"...)
	}
	return b
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json does
// with HTML escaping off: '"' and '\\' with a backslash, control bytes as
// \b \f \n \r \t or \u00XX, U+2028 and U+2029 as \u2028 and \u2029, and
// each byte of invalid UTF-8 as \ufffd. Everything else is copied.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Most of a document's text is plain ASCII: step over it eight
		// bytes at a time, to the first byte that needs a look. Fewer than
		// eight bytes from the end, the word is the one ending with s, the
		// bytes before i masked out.
		if n := len(s) - i; n >= 8 {
			m := special8(le64(s[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8
		} else if len(s) >= 8 {
			m := special8(le64(s[len(s)-8:])) >> (64 - 8*n) // the last n bytes
			if m == 0 {
				i = len(s)
				continue
			}
			i += bits.TrailingZeros64(m) / 8
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		if n := plainRuneLen(s[i:]); n > 0 {
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainRuneLen returns the length of the valid two- or three-byte UTF-8
// sequence s starts with, unless it is U+2028 or U+2029: the runes that
// are copied as they are, checked inline since most text outside ASCII is
// made of them. It returns 0 for anything else, which the caller decodes.
func plainRuneLen(s string) int {
	if len(s) >= 2 && s[0]-0xC2 <= 0xDF-0xC2 && s[1]&0xC0 == 0x80 {
		return 2
	}
	if len(s) >= 3 && s[0]&0xF0 == 0xE0 && s[1]&0xC0 == 0x80 && s[2]&0xC0 == 0x80 {
		switch {
		case s[0] == 0xE0 && s[1] < 0xA0: // overlong
			return 0
		case s[0] == 0xED && s[1] >= 0xA0: // surrogate half
			return 0
		case s[0] == 0xE2 && s[1] == 0x80 && s[2]&^1 == 0xA8: // U+2028, U+2029
			return 0
		}
		return 3
	}
	return 0
}

const (
	lsb = 0x0101010101010101 // the low bit of each byte of a word
	msb = 0x8080808080808080 // the high bit of each byte of a word
)

// special8 returns a mask of the bytes of w that are not plain ASCII: a
// control byte, '"', '\\', or a byte of a multi-byte rune. The high bit
// of each such byte is set; the bytes that follow one may be marked too,
// but no plain byte before the first. It is 0 when all eight are plain.
func special8(w uint64) uint64 {
	// Subtracting n from a byte below n sets its high bit, and only such
	// a byte borrows from the next one. A byte that is 0 after the xor
	// was the quote or the backslash.
	return (w | (w - lsb*0x20) | ((w ^ lsb*'"') - lsb) | ((w ^ lsb*'\\') - lsb)) & msb
}

// le64 reads the first eight bytes of s as a little-endian word; the
// compiler makes it one load.
func le64[T string | []byte](s T) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
