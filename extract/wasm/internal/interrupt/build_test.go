package interrupt_test

import "github.com/riptide-go/riptide/extract/wasm/internal/wasmbin"

// A small WebAssembly encoder for the test modules. LEB128 comes from
// wasmbin, which assembles only the sections the engine's fixtures need;
// these tests also need tables, globals, element segments, the start
// function and names.

// Value types and other bytes of the binary format.
const (
	i32     byte = 0x7f
	i64     byte = 0x7e
	funcref byte = 0x70
	void    byte = 0x40 // empty block type

	kFunc   byte = 0x00
	kTable  byte = 0x01
	kMemory byte = 0x02
	kGlobal byte = 0x03
)

// mod is a module to assemble. Every slice holds encoded vector elements;
// Bytes writes the non-empty sections in order.
type mod struct {
	types     [][]byte
	imports   [][]byte
	funcs     []uint32 // type index of each defined function
	tables    [][]byte
	mems      [][]byte
	globals   [][]byte
	exports   [][]byte
	start     int // function index, or -1 for none (0 is a valid index, so set it)
	elems     [][]byte
	dataCount bool
	codes     [][]byte
	datas     [][]byte
	custom    [][]byte // whole custom sections, appended at the end
}

func newMod() *mod { return &mod{start: -1} }

func (m *mod) bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	vec := func(id byte, items [][]byte) {
		if len(items) == 0 {
			return
		}
		s := wasmbin.U32(nil, uint32(len(items)))
		for _, it := range items {
			s = append(s, it...)
		}
		out = sect(out, id, s)
	}
	vec(1, m.types)
	vec(2, m.imports)
	if len(m.funcs) > 0 {
		s := wasmbin.U32(nil, uint32(len(m.funcs)))
		for _, t := range m.funcs {
			s = wasmbin.U32(s, t)
		}
		out = sect(out, 3, s)
	}
	vec(4, m.tables)
	vec(5, m.mems)
	vec(6, m.globals)
	vec(7, m.exports)
	if m.start >= 0 {
		out = sect(out, 8, wasmbin.U32(nil, uint32(m.start)))
	}
	vec(9, m.elems)
	if m.dataCount {
		out = sect(out, 12, wasmbin.U32(nil, uint32(len(m.datas))))
	}
	if len(m.codes) > 0 {
		s := wasmbin.U32(nil, uint32(len(m.codes)))
		for _, c := range m.codes {
			s = wasmbin.U32(s, uint32(len(c)))
			s = append(s, c...)
		}
		out = sect(out, 10, s)
	}
	vec(11, m.datas)
	for _, c := range m.custom {
		out = append(out, c...)
	}
	return out
}

// fn adds a function of type typ with the given locals (one value type per
// local) and instructions, and returns its index given nImports function
// imports.
func (m *mod) fn(typ uint32, locals []byte, code ...[]byte) uint32 {
	m.funcs = append(m.funcs, typ)
	m.codes = append(m.codes, body(locals, code...))
	return uint32(len(m.funcs) - 1)
}

func sect(out []byte, id byte, content []byte) []byte {
	out = append(out, id)
	out = wasmbin.U32(out, uint32(len(content)))
	return append(out, content...)
}

func str(b []byte, s string) []byte { return append(wasmbin.U32(b, uint32(len(s))), s...) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// body encodes a function body: locals, one per value type, then code and
// the final end.
func body(locals []byte, code ...[]byte) []byte {
	b := wasmbin.U32(nil, uint32(len(locals)))
	for _, t := range locals {
		b = append(b, 1, t)
	}
	return append(append(b, cat(code...)...), 0x0b)
}

// Entries.

func functype(params, results []byte) []byte {
	b := wasmbin.U32([]byte{0x60}, uint32(len(params)))
	b = append(b, params...)
	b = wasmbin.U32(b, uint32(len(results)))
	return append(b, results...)
}

func importFunc(module, name string, typ uint32) []byte {
	return wasmbin.U32(append(str(str(nil, module), name), kFunc), typ)
}

func importGlobal(module, name string, t byte, mutable bool) []byte {
	return append(str(str(nil, module), name), kGlobal, t, b2i(mutable))
}

func export(name string, kind byte, idx uint32) []byte {
	return wasmbin.U32(append(str(nil, name), kind), idx)
}

func global(t byte, mutable bool, init ...[]byte) []byte {
	return append(append([]byte{t, b2i(mutable)}, cat(init...)...), 0x0b)
}

func table(min uint32) []byte { return wasmbin.U32([]byte{funcref, 0x00}, min) }

func memory(min uint32) []byte { return wasmbin.U32([]byte{0x00}, min) }

func b2i(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// customSection encodes a whole custom section.
func customSection(name string, content []byte) []byte {
	return sect(nil, 0, append(str(nil, name), content...))
}

// Instructions.

func i32c(v int32) []byte  { return wasmbin.S64([]byte{0x41}, int64(v)) }
func i64c(v int64) []byte  { return wasmbin.S64([]byte{0x42}, v) }
func get(i uint32) []byte  { return wasmbin.U32([]byte{0x20}, i) }
func set(i uint32) []byte  { return wasmbin.U32([]byte{0x21}, i) }
func tee(i uint32) []byte  { return wasmbin.U32([]byte{0x22}, i) }
func gget(i uint32) []byte { return wasmbin.U32([]byte{0x23}, i) }
func gset(i uint32) []byte { return wasmbin.U32([]byte{0x24}, i) }
func call(f uint32) []byte { return wasmbin.U32([]byte{0x10}, f) }
func br(l uint32) []byte   { return wasmbin.U32([]byte{0x0c}, l) }
func brIf(l uint32) []byte { return wasmbin.U32([]byte{0x0d}, l) }
func refFunc(f uint32) []byte {
	return wasmbin.U32([]byte{0xd2}, f)
}
func callIndirect(typ, tbl uint32) []byte { return wasmbin.U32(wasmbin.U32([]byte{0x11}, typ), tbl) }
func returnCall(f uint32) []byte          { return wasmbin.U32([]byte{0x12}, f) }
func returnCallIndirect(typ, tbl uint32) []byte {
	return wasmbin.U32(wasmbin.U32([]byte{0x13}, typ), tbl)
}
func fc(sub uint32, imm ...uint32) []byte {
	b := wasmbin.U32([]byte{0xfc}, sub)
	for _, v := range imm {
		b = wasmbin.U32(b, v)
	}
	return b
}

func block(bt byte, code ...[]byte) []byte { return cat([]byte{0x02, bt}, cat(code...), end) }
func loop(bt byte, code ...[]byte) []byte  { return cat([]byte{0x03, bt}, cat(code...), end) }

// ifElse is if bt then els else end; els may be nil.
func ifElse(bt byte, then, els []byte) []byte {
	b := cat([]byte{0x04, bt}, then)
	if els != nil {
		b = cat(b, []byte{0x05}, els)
	}
	return cat(b, end)
}

var (
	end         = []byte{0x0b}
	drop        = []byte{0x1a}
	ret         = []byte{0x0f}
	i32Add      = []byte{0x6a}
	i32Sub      = []byte{0x6b}
	i32Mul      = []byte{0x6c}
	i32Eqz      = []byte{0x45}
	i32Eq       = []byte{0x46}
	i32LtS      = []byte{0x48}
	i32LtU      = []byte{0x49}
	i32Load     = []byte{0x28, 0x02, 0x00}
	i32Store    = []byte{0x36, 0x02, 0x00}
	unreachable = []byte{0x00}
	memoryGrow  = []byte{0x40, 0x00}
	i64Add      = []byte{0x7c}
)
