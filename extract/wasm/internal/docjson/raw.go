package docjson

import "math/bits"

// appendCompact appends src to dst without the whitespace between its
// tokens, as json.Compact does, and reports whether src is one valid JSON
// value by json.Valid's rules (nesting at most maxDepth deep; strings are
// not checked for valid UTF-8). When it is not, dst is returned as it was.
//
// It does json.Valid's and json.Compact's work in one pass, several times
// faster inside WebAssembly than encoding/json's scanner, which makes an
// indirect call per byte. FuzzAppendCompact checks it against both.
func appendCompact(dst, src []byte) ([]byte, bool) {
	orig := len(dst)
	var objects bitStack // whether each open container is an object
	depth, i := 0, 0
	for {
		// A value starts at the next token.
		i = skipSpace(src, i)
		if i == len(src) {
			return dst[:orig], false
		}
		ok := true
		switch c := src[i]; {
		case c == '{' || c == '[':
			if depth == maxDepth {
				return dst[:orig], false
			}
			objects.set(depth, c == '{')
			depth++
			dst = append(dst, c)
			i = skipSpace(src, i+1)
			if closer := c + 2; i < len(src) && src[i] == closer { // '{'+2 is '}', '['+2 is ']'
				dst = append(dst, closer)
				i++
				depth--
				break // an empty container is a whole value
			}
			if c == '{' {
				if dst, i, ok = appendKey(dst, src, i); !ok {
					return dst[:orig], false
				}
			}
			continue
		case c == '"':
			var end int
			if end, ok = stringEnd(src, i); ok {
				dst = append(dst, src[i:end]...)
				i = end
			}
		case c == '-' || '0' <= c && c <= '9':
			var end int
			if end, ok = numberEnd(src, i); ok {
				dst = append(dst, src[i:end]...)
				i = end
			}
		default:
			var lit string
			switch c {
			case 't':
				lit = "true"
			case 'f':
				lit = "false"
			case 'n':
				lit = "null"
			}
			if ok = lit != "" && len(src)-i >= len(lit) && string(src[i:i+len(lit)]) == lit; ok {
				dst = append(dst, lit...)
				i += len(lit)
			}
		}
		if !ok {
			return dst[:orig], false
		}
		// After a value: the containers it closes, then a comma and the
		// next value, or the end.
		for {
			i = skipSpace(src, i)
			if depth == 0 {
				if i != len(src) {
					return dst[:orig], false
				}
				return dst, true
			}
			if i == len(src) {
				return dst[:orig], false
			}
			object := objects.get(depth - 1)
			c := src[i]
			if c == ',' {
				dst = append(dst, ',')
				i++
				if object {
					if dst, i, ok = appendKey(dst, src, skipSpace(src, i)); !ok {
						return dst[:orig], false
					}
				}
				break // to the next value
			}
			if object && c == '}' || !object && c == ']' {
				dst = append(dst, c)
				i++
				depth--
				continue
			}
			return dst[:orig], false
		}
	}
}

// maxDepth is how deep encoding/json lets arrays and objects nest.
const maxDepth = 10000

// bitStack holds one bit for each level of nesting.
type bitStack [(maxDepth + 63) / 64]uint64

func (s *bitStack) set(i int, v bool) {
	if v {
		s[i/64] |= 1 << (i % 64)
	} else {
		s[i/64] &^= 1 << (i % 64)
	}
}

func (s *bitStack) get(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }

func skipSpace(src []byte, i int) int {
	for i < len(src) {
		switch src[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// appendKey appends the object key at src[i:] and the colon after it, and
// returns the index past the colon.
func appendKey(dst, src []byte, i int) ([]byte, int, bool) {
	if i == len(src) || src[i] != '"' {
		return dst, i, false
	}
	end, ok := stringEnd(src, i)
	if !ok {
		return dst, i, false
	}
	dst = append(dst, src[i:end]...)
	i = skipSpace(src, end)
	if i == len(src) || src[i] != ':' {
		return dst, i, false
	}
	return append(dst, ':'), i + 1, true
}

// stringEnd returns the index past the string that opens at src[i]. A
// string may hold any byte but a control byte, and its escapes are \", \\,
// \/, \b, \f, \n, \r, \t and \u with four hex digits.
func stringEnd(src []byte, i int) (int, bool) {
	for i++; i < len(src); {
		// Step over eight plain bytes at a time.
		if len(src)-i >= 8 {
			w := le64(src[i:])
			m := ((w-lsb*0x20)&^w | haszero(w^lsb*'"') | haszero(w^lsb*'\\')) & msb
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8
		}
		switch c := src[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			if i+1 == len(src) {
				return 0, false
			}
			switch src[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(src)-i < 6 || !isHex(src[i+2]) || !isHex(src[i+3]) || !isHex(src[i+4]) || !isHex(src[i+5]) {
					return 0, false
				}
				i += 6
			default:
				return 0, false
			}
		default:
			i++
		}
	}
	return 0, false
}

// haszero returns a mask with the high bit set of the first zero byte of w,
// and maybe of later bytes; 0 when no byte is zero.
func haszero(w uint64) uint64 { return (w - lsb) &^ w & msb }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// numberEnd returns the index past the number that starts at src[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberEnd(src []byte, i int) (int, bool) {
	if src[i] == '-' {
		i++
	}
	switch {
	case i == len(src):
		return 0, false
	case src[i] == '0':
		i++
	case '1' <= src[i] && src[i] <= '9':
		i = digitsEnd(src, i)
	default:
		return 0, false
	}
	if i < len(src) && src[i] == '.' {
		j := digitsEnd(src, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		j := digitsEnd(src, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func digitsEnd(src []byte, i int) int {
	for i < len(src) && '0' <= src[i] && src[i] <= '9' {
		i++
	}
	return i
}
