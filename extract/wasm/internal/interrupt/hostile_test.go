package interrupt_test

import (
	"errors"
	"github.com/riptide-go/riptide/extract/wasm/internal/wasmbin"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/extract/wasm/internal/interrupt"
)

// base is a module with two types, a table, a memory and a mutable i32
// global, to which a test adds one function (index 0).
func base() *mod {
	m := newMod()
	m.types = [][]byte{functype(nil, nil), functype([]byte{i32}, []byte{i32})}
	m.tables = [][]byte{table(1)}
	m.mems = [][]byte{memory(1)}
	m.globals = [][]byte{global(i32, true, i32c(0))}
	return m
}

// withBody is base with one function of type () -> () running code.
func withBody(code ...[]byte) []byte {
	m := base()
	m.fn(0, nil, code...)
	return m.bytes()
}

// edit is base with one empty function, changed by f.
func edit(f func(m *mod)) []byte {
	m := base()
	m.fn(0, nil)
	f(m)
	return m.bytes()
}

// bad are modules Instrument must refuse, with the error it must return.
// The out-of-range cases refer to the first index past the end of their
// space: the type, function or global index that the rewrite adds.
func bad() []struct {
	name   string
	module []byte
	want   error
} {
	v128 := cat([]byte{0xfd, 0x0c}, make([]byte, 16))
	return []struct {
		name   string
		module []byte
		want   error
	}{
		{"empty input", nil, interrupt.ErrInvalid},
		{"bad magic", []byte("\x00asn\x01\x00\x00\x00"), interrupt.ErrInvalid},
		{"bad version", []byte("\x00asm\x02\x00\x00\x00"), interrupt.ErrInvalid},
		{"global.get out of range", withBody(gget(1), drop), interrupt.ErrInvalid},
		{"global.set out of range", withBody(i32c(0), gset(1)), interrupt.ErrInvalid},
		{"call out of range", withBody(call(1)), interrupt.ErrInvalid},
		{"return_call out of range", withBody(returnCall(1)), interrupt.ErrInvalid},
		{"ref.func out of range", withBody(refFunc(1), drop), interrupt.ErrInvalid},
		{"call_indirect type out of range", withBody(i32c(0), callIndirect(2, 0)), interrupt.ErrInvalid},
		{"return_call_indirect type out of range", withBody(i32c(0), returnCallIndirect(2, 0)), interrupt.ErrInvalid},
		{"block type out of range", withBody([]byte{0x02, 0x02}, end), interrupt.ErrInvalid},
		{"loop type out of range", withBody([]byte{0x03, 0x02}, end), interrupt.ErrInvalid},
		{"if type out of range", withBody(i32c(0), []byte{0x04, 0x02}, end), interrupt.ErrInvalid},
		{"function type out of range", edit(func(m *mod) { m.funcs[0] = 2 }), interrupt.ErrInvalid},
		{"import type out of range", edit(func(m *mod) { m.imports = [][]byte{importFunc("env", "f", 2)} }), interrupt.ErrInvalid},
		{"export of function out of range", edit(func(m *mod) { m.exports = [][]byte{export("f", kFunc, 1)} }), interrupt.ErrInvalid},
		{"export of global out of range", edit(func(m *mod) { m.exports = [][]byte{export("g", kGlobal, 1)} }), interrupt.ErrInvalid},
		{"start out of range", edit(func(m *mod) { m.start = 1 }), interrupt.ErrInvalid},
		{"element function out of range", edit(func(m *mod) {
			m.elems = [][]byte{cat([]byte{0}, i32c(0), end, wasmbin.U32(nil, 1), wasmbin.U32(nil, 1))}
		}), interrupt.ErrInvalid},
		{"element ref.func out of range", edit(func(m *mod) {
			m.elems = [][]byte{cat([]byte{5, funcref}, wasmbin.U32(nil, 1), refFunc(1), end)}
		}), interrupt.ErrInvalid},
		{"element offset global out of range", edit(func(m *mod) {
			m.elems = [][]byte{cat([]byte{0}, gget(1), end, wasmbin.U32(nil, 0))}
		}), interrupt.ErrInvalid},
		{"global ref.func out of range", edit(func(m *mod) { m.globals = append(m.globals, global(funcref, false, refFunc(1))) }), interrupt.ErrInvalid},
		{"global initialiser out of range", edit(func(m *mod) { m.globals = append(m.globals, global(i32, false, gget(2))) }), interrupt.ErrInvalid},
		{"data offset global out of range", edit(func(m *mod) {
			m.datas = [][]byte{cat([]byte{0}, gget(1), end, str(nil, "x"))}
		}), interrupt.ErrInvalid},
		{"function name out of range", edit(func(m *mod) {
			m.custom = [][]byte{customSection("name", cat([]byte{1, 4}, wasmbin.U32(nil, 1), wasmbin.U32(nil, 1), str(nil, "f")))}
		}), interrupt.ErrInvalid},
		{"local names out of range", edit(func(m *mod) {
			m.custom = [][]byte{customSection("name", cat([]byte{2, 3}, wasmbin.U32(nil, 1), wasmbin.U32(nil, 1), wasmbin.U32(nil, 0)))}
		}), interrupt.ErrInvalid},
		{"already imports riptide_interrupt", edit(func(m *mod) {
			m.imports = [][]byte{importGlobal(interrupt.ImportModule, "fuel", i32, true)}
		}), interrupt.ErrInvalid},
		{"sections out of order", cat(withBody(), sect(nil, 1, []byte{0})), interrupt.ErrInvalid},
		{"section repeated", cat(withBody(), sect(nil, 11, []byte{0}), sect(nil, 11, []byte{0})), interrupt.ErrInvalid},
		{"section past the end", cat(withBody(), []byte{11, 5, 0}), interrupt.ErrInvalid},
		{"section longer than its content", cat(withBody(), sect(nil, 11, []byte{0, 0})), interrupt.ErrInvalid},
		{"no code section", edit(func(m *mod) { m.codes = nil }), interrupt.ErrInvalid},
		{"more bodies than functions", edit(func(m *mod) { m.codes = append(m.codes, body(nil)) }), interrupt.ErrInvalid},
		{"body without end", edit(func(m *mod) { m.codes[0] = []byte{0, 0x01} }), interrupt.ErrInvalid},
		{"body without instructions", edit(func(m *mod) { m.codes[0] = []byte{0} }), interrupt.ErrInvalid},
		{"truncated immediate", edit(func(m *mod) { m.codes[0] = []byte{0, 0x41, 0x80} }), interrupt.ErrInvalid},
		{"overlong integer", withBody([]byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, drop), interrupt.ErrInvalid},
		{"u32 past 32 bits", withBody([]byte{0x20, 0xff, 0xff, 0xff, 0xff, 0x1f}, drop), interrupt.ErrInvalid},
		{"element segment flags", edit(func(m *mod) { m.elems = [][]byte{{8}} }), interrupt.ErrInvalid},
		{"data segment flags", edit(func(m *mod) { m.datas = [][]byte{{3}} }), interrupt.ErrInvalid},

		{"simd", withBody(v128, drop), interrupt.ErrUnsupported},
		{"atomics", withBody([]byte{0xfe, 0x03, 0x00}), interrupt.ErrUnsupported},
		{"try", withBody([]byte{0x06, 0x40}, end), interrupt.ErrUnsupported},
		{"throw", withBody([]byte{0x08, 0x00}), interrupt.ErrUnsupported},
		{"throw_ref", withBody([]byte{0x0a}), interrupt.ErrUnsupported},
		{"delegate", withBody([]byte{0x18, 0x00}), interrupt.ErrUnsupported},
		{"catch_all", withBody([]byte{0x19}), interrupt.ErrUnsupported},
		{"try_table", withBody([]byte{0x1f, 0x40, 0x00}, end), interrupt.ErrUnsupported},
		{"call_ref", withBody([]byte{0x14, 0x00}), interrupt.ErrUnsupported},
		{"ref.as_non_null", withBody([]byte{0xd3}), interrupt.ErrUnsupported},
		{"gc prefix", withBody([]byte{0xfb, 0x00}), interrupt.ErrUnsupported},
		{"unknown 0xfc opcode", withBody(fc(18)), interrupt.ErrUnsupported},
		{"gc heap type", withBody([]byte{0xd0, 0x6e}, drop), interrupt.ErrUnsupported},
		{"gc local type", edit(func(m *mod) { m.codes[0] = []byte{1, 1, 0x64, 0x70, 0x0b} }), interrupt.ErrUnsupported},
		{"gc type", edit(func(m *mod) { m.types = append(m.types, []byte{0x5f, 0x00}) }), interrupt.ErrUnsupported},
		{"v128 global", edit(func(m *mod) { m.globals = append(m.globals, global(0x7b, false, v128)) }), interrupt.ErrUnsupported},
		{"shared memory", edit(func(m *mod) { m.mems = [][]byte{{0x03, 1, 1}} }), interrupt.ErrUnsupported},
		{"memory64", edit(func(m *mod) { m.mems = [][]byte{{0x04, 1}} }), interrupt.ErrUnsupported},
		{"table initialiser", edit(func(m *mod) { m.tables = [][]byte{cat([]byte{0x40, 0x00}, table(1), refFunc(0), end)} }), interrupt.ErrUnsupported},
		{"tag section", cat(withBody(), sect(nil, 13, []byte{0})), interrupt.ErrUnsupported},
		{"unknown section", cat(withBody(), sect(nil, 14, []byte{0})), interrupt.ErrUnsupported},
	}
}

func TestRefused(t *testing.T) {
	for _, tc := range bad() {
		t.Run(tc.name, func(t *testing.T) {
			out, err := interrupt.Instrument(tc.module)
			assert.ErrorIs(t, err, tc.want)
			assert.Nil(t, out)
			other := interrupt.ErrUnsupported
			if tc.want == interrupt.ErrUnsupported {
				other = interrupt.ErrInvalid
			}
			assert.False(t, errors.Is(err, other), "%v", err)
		})
	}
}

// TestInRange: the same constructs as in bad, with indices in range, are
// accepted, and wazero compiles the result.
func TestInRange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		module []byte
	}{
		{"global.get", withBody(gget(0), drop)},
		{"call", withBody(call(0))},
		{"ref.func", edit(func(m *mod) {
			m.codes[0] = body(nil, refFunc(0), drop)
			m.elems = [][]byte{cat([]byte{3, 0}, wasmbin.U32(nil, 1), wasmbin.U32(nil, 0))}
		})},
		{"call_indirect", withBody(i32c(0), i32c(0), callIndirect(1, 0), drop)},
		{"block type", withBody(i32c(0), []byte{0x02, 0x01}, end, drop)},
		{"export", edit(func(m *mod) { m.exports = [][]byte{export("f", kFunc, 0), export("g", kGlobal, 0)} })},
		{"start", edit(func(m *mod) { m.start = 0 })},
		{"function name", edit(func(m *mod) {
			m.custom = [][]byte{customSection("name", cat([]byte{1, 4}, wasmbin.U32(nil, 1), wasmbin.U32(nil, 0), str(nil, "f")))}
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, compiles(tc.module))
			out, err := interrupt.Instrument(tc.module)
			require.NoError(t, err)
			assert.NoError(t, compiles(out))
		})
	}
}

// TestTruncated cuts small modules at every length. A cut between
// sections may leave a valid module; any other cut is refused.
func TestTruncated(t *testing.T) {
	for _, tc := range runCases() {
		module := tc.module()
		bounds := sectionEnds(module)
		for n := range len(module) {
			prefix := module[:n]
			out, err := interrupt.Instrument(prefix)
			if !bounds[n] {
				require.ErrorIs(t, err, interrupt.ErrInvalid, "%s cut at %d", tc.name, n)
				continue
			}
			if err == nil && compiles(prefix) == nil {
				require.NoError(t, compiles(out), "%s cut at %d", tc.name, n)
			}
		}
	}
}

// sectionEnds returns the offsets at which a section ends (and the header).
func sectionEnds(module []byte) map[int]bool {
	ends := map[int]bool{8: true}
	for p := 8; p < len(module); {
		size, n := uleb(module[p+1:])
		p += 1 + n + int(size)
		ends[p] = true
	}
	return ends
}

func uleb(b []byte) (uint32, int) {
	var v uint32
	for i, c := range b {
		v |= uint32(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return v, len(b)
}

// TestInstrumentedMalformed: Instrumented reads anything without panicking.
func TestInstrumentedMalformed(t *testing.T) {
	out, err := interrupt.Instrument(chainModule())
	require.NoError(t, err)
	for n := range len(out) {
		interrupt.Instrumented(out[:n])
	}
	for _, tc := range bad() {
		assert.False(t, interrupt.Instrumented(tc.module), tc.name)
	}
	// An import of another kind with the same names still counts.
	m := newMod()
	m.imports = [][]byte{importGlobal(interrupt.ImportModule, interrupt.ImportName, i32, false)}
	assert.True(t, interrupt.Instrumented(m.bytes()))
}
