// Package leb128 encodes and decodes integers in the LEB128 encodings of
// the WebAssembly binary format; the module rewriters and the test
// fixtures share it.
package leb128

// AppendU32 appends v in minimal unsigned LEB128.
func AppendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// AppendS64 appends v in minimal signed LEB128.
func AppendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// LEB128 decoding works on a byte slice and a position, so the hot loop
// over function bodies allocates nothing. Every decoder is strict the way
// the WebAssembly binary format is: at most ceil(N/7) bytes, and the unused
// bits of the last byte must be zero (unsigned) or copies of the sign bit
// (signed). A value that breaks these rules, or runs past the end of b,
// makes the decoder report false.

// U32 decodes an unsigned LEB128 u32 at b[p:] and returns the value and the
// position after it.
func U32(b []byte, p int) (uint32, int, bool) {
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

// SkipSigned skips a signed LEB128 value of bits bits (32, 33 or 64) at
// b[p:] and returns the position after it.
func SkipSigned(b []byte, p int, bits int) (int, bool) {
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

// Signed decodes a signed LEB128 value of bits bits (32, 33 or 64) at
// b[p:]: an s33 is a block type index, an s32 an i32.const operand.
func Signed(b []byte, p int, bits int) (int64, int, bool) {
	end, ok := SkipSigned(b, p, bits)
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
