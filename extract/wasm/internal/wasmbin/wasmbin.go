// Package wasmbin assembles small WebAssembly binaries by hand, for test
// fixtures: hostile guests that no compiler would produce. It encodes only
// the sections they need (type, import, function, memory, export, code,
// data) and a handful of instructions.
package wasmbin

import "github.com/riptide-go/riptide/internal/leb128"

// Value types.
const (
	I32 byte = 0x7f
	I64 byte = 0x7e
)

// Export kinds.
const (
	KindFunc   byte = 0x00
	KindMemory byte = 0x02
)

// FuncType is a function signature.
type FuncType struct {
	Params, Results []byte
}

// Import is an imported function.
type Import struct {
	Module, Name string
	Type         uint32
}

// Func is a function defined by the module: its type index and its body
// (instructions, without the final end, which Bytes adds).
type Func struct {
	Type uint32
	Body []byte
}

// Memory is the module's one linear memory, in 64 KiB pages.
type Memory struct {
	Min, Max uint32
	HasMax   bool
}

// Export names a function or the memory.
type Export struct {
	Name  string
	Kind  byte
	Index uint32
}

// Data is an active data segment of memory 0.
type Data struct {
	Offset uint32
	Bytes  []byte
}

// Module is a module to assemble.
type Module struct {
	Types   []FuncType
	Imports []Import
	Funcs   []Func
	Memory  *Memory
	Exports []Export
	Start   *uint32 // the start function, if any
	Data    []Data
}

// Bytes returns the binary encoding of m.
func (m *Module) Bytes() []byte {
	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	if len(m.Types) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Types)))
		for _, t := range m.Types {
			s = append(s, 0x60)
			s = U32(s, uint32(len(t.Params)))
			s = append(s, t.Params...)
			s = U32(s, uint32(len(t.Results)))
			s = append(s, t.Results...)
		}
		out = section(out, 1, s)
	}
	if len(m.Imports) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Imports)))
		for _, im := range m.Imports {
			s = name(s, im.Module)
			s = name(s, im.Name)
			s = append(s, KindFunc)
			s = U32(s, im.Type)
		}
		out = section(out, 2, s)
	}
	if len(m.Funcs) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Funcs)))
		for _, f := range m.Funcs {
			s = U32(s, f.Type)
		}
		out = section(out, 3, s)
	}
	if m.Memory != nil {
		s := []byte{1}
		if m.Memory.HasMax {
			s = append(s, 0x01)
			s = U32(s, m.Memory.Min)
			s = U32(s, m.Memory.Max)
		} else {
			s = append(s, 0x00)
			s = U32(s, m.Memory.Min)
		}
		out = section(out, 5, s)
	}
	if len(m.Exports) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Exports)))
		for _, e := range m.Exports {
			s = name(s, e.Name)
			s = append(s, e.Kind)
			s = U32(s, e.Index)
		}
		out = section(out, 7, s)
	}
	if m.Start != nil {
		out = section(out, 8, U32(nil, *m.Start))
	}
	if len(m.Funcs) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Funcs)))
		for _, f := range m.Funcs {
			body := append([]byte{0x00}, f.Body...) // no locals
			body = append(body, 0x0b)
			s = U32(s, uint32(len(body)))
			s = append(s, body...)
		}
		out = section(out, 10, s)
	}
	if len(m.Data) > 0 {
		var s []byte
		s = U32(s, uint32(len(m.Data)))
		for _, d := range m.Data {
			s = append(s, 0x00)
			s = append(s, I32Const(int32(d.Offset))...)
			s = append(s, 0x0b)
			s = U32(s, uint32(len(d.Bytes)))
			s = append(s, d.Bytes...)
		}
		out = section(out, 11, s)
	}
	return out
}

func section(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = U32(out, uint32(len(body)))
	return append(out, body...)
}

func name(b []byte, s string) []byte {
	b = U32(b, uint32(len(s)))
	return append(b, s...)
}

// U32 appends v in unsigned LEB128.
func U32(b []byte, v uint32) []byte { return leb128.AppendU32(b, v) }

// S64 appends v in signed LEB128.
func S64(b []byte, v int64) []byte { return leb128.AppendS64(b, v) }

// Instructions.

// I32Const is i32.const v.
func I32Const(v int32) []byte { return S64([]byte{0x41}, int64(v)) }

// I64Const is i64.const v.
func I64Const(v int64) []byte { return S64([]byte{0x42}, v) }

// Packed is i64.const ptr<<32|n, the ABI's packed buffer.
func Packed(ptr, n uint32) []byte { return I64Const(int64(uint64(ptr)<<32 | uint64(n))) }

// LocalGet is local.get i.
func LocalGet(i uint32) []byte { return U32([]byte{0x20}, i) }

// Call is call f.
func Call(f uint32) []byte { return U32([]byte{0x10}, f) }

// Unreachable traps.
var Unreachable = []byte{0x00}

// Loop is an infinite loop: loop br 0 end.
var Loop = []byte{0x03, 0x40, 0x0c, 0x00, 0x0b}

// GrowUntilFail grows memory by pages at a time until memory.grow returns
// -1: loop (i32.const pages) memory.grow (i32.const -1) i32.ne br_if 0 end.
func GrowUntilFail(pages int32) []byte {
	b := []byte{0x03, 0x40}
	b = append(b, I32Const(pages)...)
	b = append(b, 0x40, 0x00)
	b = append(b, I32Const(-1)...)
	b = append(b, 0x47, 0x0d, 0x00, 0x0b)
	return b
}

// Cat concatenates instruction sequences.
func Cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// IfParamOver runs over when local param is greater (unsigned) than n and
// under otherwise; both must leave one value of type result.
func IfParamOver(param uint32, n int32, result byte, over, under []byte) []byte {
	b := Cat(LocalGet(param), I32Const(n), []byte{0x4b, 0x04, result}, over, []byte{0x05}, under, []byte{0x0b})
	return b
}
