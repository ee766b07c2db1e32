package interrupt

import (
	"fmt"

	"github.com/riptide-go/riptide/internal/leb128"
)

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
	v, p, ok := leb128.U32(r.b, r.p)
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
	p, ok := leb128.SkipSigned(r.b, r.p, bits)
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
