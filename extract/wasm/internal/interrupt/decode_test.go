package interrupt_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/extract/wasm/internal/interrupt"
)

// sample is an instruction as it is in the input and as it must be in the
// output.
type sample struct {
	name    string
	in, out []byte
}

func same(name string, b ...byte) sample { return sample{name, b, b} }

// samples covers every instruction the rewriter decodes, with immediates
// of several lengths. The module they run in has one imported function
// (F = 1) and one global (G = 1), so defined function 1 becomes 2.
func samples() []sample {
	multi := []byte{0x80, 0x01} // 128 in two bytes
	s := []sample{
		same("unreachable", 0x00), same("nop", 0x01),
		same("block", 0x02, 0x40), same("block i32", 0x02, 0x7f), same("block type index", 0x02, 0x01),
		same("block v128", 0x02, 0x7b), same("block funcref", 0x02, 0x70),
		{"loop", []byte{0x03, 0x40}, cat([]byte{0x03, 0x40}, checkSeq())},
		{"loop type index", []byte{0x03, 0x01}, cat([]byte{0x03, 0x01}, checkSeq())},
		{"loop padded type index", []byte{0x03, 0x81, 0x00}, cat([]byte{0x03, 0x81, 0x00}, checkSeq())},
		same("if", 0x04, 0x40), same("else", 0x05), same("end", 0x0b),
		same("br", 0x0c, 0x00), same("br_if", cat([]byte{0x0d}, multi)...),
		same("br_table", 0x0e, 0x03, 0x00, 0x01, 0x80, 0x01, 0x02), same("return", 0x0f),
		{"call import", []byte{0x10, 0x00}, []byte{0x10, 0x00}},
		{"call defined", []byte{0x10, 0x01}, []byte{0x10, 0x02}},
		{"call padded", []byte{0x10, 0x81, 0x80, 0x00}, []byte{0x10, 0x02}},
		same("call_indirect", 0x11, 0x01, 0x00), same("call_indirect table 1", 0x11, 0x01, 0x01),
		{"return_call", []byte{0x12, 0x01}, []byte{0x12, 0x02}},
		same("return_call_indirect", 0x13, 0x00, 0x00),
		same("drop", 0x1a), same("select", 0x1b), same("select t", 0x1c, 0x02, 0x7f, 0x6f),
		same("local.get", 0x20, 0x00), same("local.set", cat([]byte{0x21}, multi)...), same("local.tee", 0x22, 0x05),
		same("global.get", 0x23, 0x00), same("global.set", 0x24, 0x80, 0x00),
		same("table.get", 0x25, 0x00), same("table.set", 0x26, 0x01),
		same("memory.size", 0x3f, 0x00), same("memory.grow", 0x40, 0x00),
		same("i32.const", 0x41, 0x00), same("i32.const -1", 0x41, 0x7f), same("i32.const min", 0x41, 0x80, 0x80, 0x80, 0x80, 0x78),
		same("i32.const loop byte", 0x41, 0x03),
		same("i64.const", 0x42, 0x10), same("i64.const min", 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f),
		same("f32.const", 0x43, 0x10, 0x03, 0x10, 0x03), same("f64.const", 0x44, 0x03, 0x10, 0x03, 0x10, 0x03, 0x10, 0x03, 0x10),
		same("ref.null func", 0xd0, 0x70), same("ref.null extern", 0xd0, 0x6f), same("ref.is_null", 0xd1),
		{"ref.func import", []byte{0xd2, 0x00}, []byte{0xd2, 0x00}},
		{"ref.func defined", []byte{0xd2, 0x01}, []byte{0xd2, 0x02}},
		same("memarg multi-byte", 0x28, 0x02, 0x80, 0x80, 0x04),
		same("memarg multi-memory", 0x28, 0x42, 0x01, 0x08),
		same("memarg multi-memory multi-byte", 0x36, 0xc2, 0x00, 0x80, 0x01, 0x80, 0x01),
	}
	for op := byte(0x28); op <= 0x3e; op++ {
		s = append(s, same(fmt.Sprintf("memarg %#x", op), op, 0x02, 0x10))
	}
	for op := 0x45; op <= 0xc4; op++ {
		s = append(s, same(fmt.Sprintf("numeric %#x", op), byte(op)))
	}
	fcImm := [][]uint32{
		{}, {}, {}, {}, {}, {}, {}, {},
		{3, 0}, {128}, {0, 0}, {0}, {1, 0}, {1}, {0, 1}, {0}, {1}, {0},
	}
	for sub, imm := range fcImm {
		s = append(s, same(fmt.Sprintf("0xfc %d", sub), fc(uint32(sub), imm...)...))
	}
	return s
}

// checkSeq is the check sequence for F = 1 and G = 1.
func checkSeq() []byte {
	return []byte{
		0x23, 0x01, 0x45, 0x04, 0x40, 0x10, 0x01, 0x24, 0x01, 0x0b,
		0x23, 0x01, 0x41, 0x01, 0x6b, 0x24, 0x01,
	}
}

// TestDecodesEveryInstruction rewrites one body per instruction, followed
// by a call that must be shifted: the output proves that the rewriter
// found where the instruction ends.
func TestDecodesEveryInstruction(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			m := newMod()
			m.types = [][]byte{functype(nil, nil), functype([]byte{i32}, []byte{i32})}
			m.imports = [][]byte{importFunc("env", "f", 0)}
			m.globals = [][]byte{global(i32, true, i32c(0))}
			m.codes = [][]byte{cat([]byte{0}, s.in, call(1), call(0), end)}
			m.funcs = []uint32{0}
			out, err := interrupt.Instrument(m.bytes())
			require.NoError(t, err)
			entry := checkSeq()
			if s.in[0] == 0x03 { // a body that starts with a loop has no entry check
				entry = nil
			}
			want := cat([]byte{0}, entry, s.out, call(2), call(0), end)
			assert.Equal(t, want, onlyBody(t, out))
		})
	}
}

// onlyBody returns the one function body of module.
func onlyBody(t *testing.T, module []byte) []byte {
	t.Helper()
	for p := 8; p < len(module); {
		id := module[p]
		size, n := uleb(module[p+1:])
		content := module[p+1+n : p+1+n+int(size)]
		if id == 10 {
			require.Equal(t, byte(1), content[0], "one body")
			bsize, k := uleb(content[1:])
			return content[1+k : 1+k+int(bsize)]
		}
		p += 1 + n + int(size)
	}
	t.Fatal("no code section")
	return nil
}
