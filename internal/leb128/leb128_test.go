package leb128

import (
	"bytes"
	"testing"
)

func TestAppend(t *testing.T) {
	for _, tc := range []struct {
		got, want []byte
	}{
		{AppendU32(nil, 0), []byte{0}},
		{AppendU32(nil, 127), []byte{0x7f}},
		{AppendU32(nil, 128), []byte{0x80, 0x01}},
		{AppendU32(nil, 1<<32-1), []byte{0xff, 0xff, 0xff, 0xff, 0x0f}},
		{AppendS64(nil, 0), []byte{0}},
		{AppendS64(nil, -1), []byte{0x7f}},
		{AppendS64(nil, 63), []byte{0x3f}},
		{AppendS64(nil, 64), []byte{0xc0, 0x00}},
		{AppendS64(nil, -65), []byte{0xbf, 0x7f}},
		{AppendS64([]byte{9}, -128), []byte{9, 0x80, 0x7f}},
	} {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("got % x, want % x", tc.got, tc.want)
		}
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	for _, v := range []uint32{0, 1, 127, 128, 300, 1 << 21, 1<<32 - 1} {
		b := AppendU32([]byte{0xaa}, v)
		got, p, ok := U32(b, 1)
		if !ok || got != v || p != len(b) {
			t.Errorf("U32(% x) = %d, %d, %v; want %d, %d", b, got, p, ok, v, len(b))
		}
	}
	for _, v := range []int64{0, -1, 63, 64, -64, -65, 1<<31 - 1, -1 << 31} {
		b := AppendS64(nil, v)
		got, p, ok := Signed(b, 0, 32)
		if !ok || got != v || p != len(b) {
			t.Errorf("Signed(% x, 32) = %d, %d, %v; want %d", b, got, p, ok, v)
		}
	}
	for _, v := range []int64{1 << 40, -1 << 60, 1<<63 - 1, -1 << 63} {
		b := AppendS64(nil, v)
		if got, _, ok := Signed(b, 0, 64); !ok || got != v {
			t.Errorf("Signed(% x, 64) = %d, %v; want %d", b, got, ok, v)
		}
		if _, _, ok := Signed(b, 0, 32); ok {
			t.Errorf("Signed(% x, 32) accepted a 64-bit value", b)
		}
	}
}

// TestDecodeStrict: the decoders refuse what the binary format refuses.
func TestDecodeStrict(t *testing.T) {
	for _, b := range [][]byte{
		{},                                // nothing
		{0x80},                            // runs past the end
		{0x80, 0x80, 0x80, 0x80, 0x80, 0}, // longer than 5 bytes
		{0xff, 0xff, 0xff, 0xff, 0x1f},    // bits past 32
	} {
		if _, _, ok := U32(b, 0); ok {
			t.Errorf("U32(% x) accepted", b)
		}
	}
	for _, b := range [][]byte{
		{0x80, 0x80, 0x80, 0x80, 0x10}, // s32 with bits past the sign
		{0xff, 0xff, 0xff, 0xff, 0x4f}, // unused bits not copies of the sign
		{0x80, 0x80},                   // runs past the end
	} {
		if _, _, ok := Signed(b, 0, 32); ok {
			t.Errorf("Signed(% x, 32) accepted", b)
		}
	}
	if _, p, ok := U32([]byte{1, 2}, 1); !ok || p != 2 {
		t.Errorf("U32 at an offset: %d %v", p, ok)
	}
}
