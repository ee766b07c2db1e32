package interrupt

import "fmt"

// LEB128 decoding works on a byte slice and a position, so the hot loop
// over function bodies allocates nothing. Every decoder is strict the way
// the WebAssembly binary format is: at most ceil(N/7) bytes, and the unused
// bits of the last byte must be zero (unsigned) or copies of the sign bit
// (signed). A value that breaks these rules, or runs past the end of b,
// makes the decoder report false.

// u32 decodes an unsigned LEB128 u32 at b[p:] and returns the value and the
// position after it.
func u32(b []byte, p int) (uint32, int, bool) {
	if p < len(b) && b[p] < 0x80 {
		return uint32(b[p]), p + 1, true
	}
	var v uint32
	for i := 0; i < 5; i++ {
		if p >= len(b) {
			return 0, p, false
		}
		c := b[p]
		p++
		if i == 4 && c > 0x0f {
			return 0, p, false
		}
		v |= uint32(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, p, true
		}
	}
	return 0, p, false
}

// skipSigned skips a signed LEB128 value of bits bits (32, 33 or 64) at
// b[p:] and returns the position after it.
func skipSigned(b []byte, p int, bits int) (int, bool) {
	if p < len(b) && b[p] < 0x80 {
		return p + 1, true
	}
	n := (bits + 6) / 7
	for i := 0; i < n; i++ {
		if p >= len(b) {
			return p, false
		}
		c := b[p]
		p++
		if i == n-1 {
			// The last byte holds bits-7*(n-1) value bits; the bits above
			// the sign bit must repeat it.
			k := bits - 7*(n-1)
			m := byte(0x7f) &^ (1<<(k-1) - 1)
			return p, c&0x80 == 0 && (c&m == 0 || c&m == m)
		}
		if c < 0x80 {
			return p, true
		}
	}
	return p, false
}

// s33 decodes a signed LEB128 s33 (a block type index) at b[p:].
func s33(b []byte, p int) (int64, int, bool) {
	end, ok := skipSigned(b, p, 33)
	if !ok {
		return 0, end, false
	}
	var v int64
	shift := 0
	for i := p; i < end; i++ {
		v |= int64(b[i]&0x7f) << shift
		shift += 7
	}
	if shift < 64 && b[end-1]&0x40 != 0 {
		v |= -1 << shift
	}
	return v, end, true
}

// putU32 writes v in unsigned LEB128 over exactly len(b) bytes, which must
// be lebLen(v).
func putU32(b []byte, v uint32) {
	for i := range b {
		c := byte(v & 0x7f)
		v >>= 7
		if i < len(b)-1 {
			c |= 0x80
		}
		b[i] = c
	}
}

// lebLen is the length of v in minimal unsigned LEB128.
func lebLen(v uint32) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// reader decodes the sections other than code, where convenience matters
// more than speed. The first failure sticks: later reads return zero
// values, and err reports it.
type reader struct {
	b   []byte
	p   int
	err error
}

func (r *reader) fail(base error, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at offset %#x", base, fmt.Sprintf(format, args...), r.p)
	}
}

func (r *reader) ok() bool { return r.err == nil }

func (r *reader) done() bool { return r.p >= len(r.b) }

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.p >= len(r.b) {
		r.fail(ErrInvalid, "unexpected end")
		return 0
	}
	c := r.b[r.p]
	r.p++
	return c
}

func (r *reader) u32() uint32 {
	if r.err != nil {
		return 0
	}
	v, p, ok := u32(r.b, r.p)
	if !ok {
		r.fail(ErrInvalid, "malformed integer")
		return 0
	}
	r.p = p
	return v
}

// count reads a vector length. Every element takes at least one byte, so a
// length beyond what is left cannot be right.
func (r *reader) count() uint32 {
	n := r.u32()
	if r.err == nil && int64(n) > int64(len(r.b)-r.p) {
		r.fail(ErrInvalid, "vector length %d exceeds its section", n)
		return 0
	}
	return n
}

// bytes reads a length-prefixed byte string (a name, a data segment).
func (r *reader) bytes() []byte {
	n := r.u32()
	if r.err != nil {
		return nil
	}
	if int64(n) > int64(len(r.b)-r.p) {
		r.fail(ErrInvalid, "byte string of length %d exceeds its section", n)
		return nil
	}
	s := r.b[r.p : r.p+int(n)]
	r.p += int(n)
	return s
}

func (r *reader) skipSigned(bits int) {
	if r.err != nil {
		return
	}
	p, ok := skipSigned(r.b, r.p, bits)
	if !ok {
		r.fail(ErrInvalid, "malformed integer")
		return
	}
	r.p = p
}

func (r *reader) skip(n int) {
	if r.err != nil {
		return
	}
	if n > len(r.b)-r.p {
		r.fail(ErrInvalid, "unexpected end")
		return
	}
	r.p += n
}
