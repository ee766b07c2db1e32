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
