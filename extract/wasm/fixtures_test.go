package wasm_test

import (
	"github.com/riptide-go/riptide/extract/wasm/internal/wasmbin"
)

// Hostile and minimal guests, assembled by hand. Their layout: info JSON
// at 16, a good response at 512, an error response at 768, garbage at
// 1000; riptide_alloc always returns 2048.
const (
	offInfo    = 16
	offDoc     = 512
	offErr     = 768
	offGarbage = 1000
	offAlloc   = 2048
)

var (
	fixInfo    = []byte(`{"name":"fixture","version":"1","modes":["article","full_page"]}`)
	fixDoc     = []byte(`{"document":{"title":"tiny","text":"tiny guest"}}`)
	fixErr     = []byte(`{"error":{"code":"resource_limit","message":"memory.grow failed"}}`)
	fixGarbage = []byte(`{"document": not json`)
)

type guestSpec struct {
	abi          int32
	alloc        []byte           // riptide_alloc body; default returns offAlloc
	extract      []byte           // riptide_extract body; default returns fixDoc
	start        []byte           // _initialize body, if any
	startSection []byte           // body of a function the start section names, if any
	info         []byte           // riptide_info body; default returns fixInfo
	omit         string           // export left out
	pages        uint32           // initial memory pages; default 2
	errJSON      []byte           // replaces fixErr
	infoJSON     []byte           // replaces fixInfo
	imports      []wasmbin.Import // function imports, before the ABI functions
}

const (
	tI32    = 0 // () -> i32
	tI32I32 = 1 // (i32) -> i32
	tFree   = 2 // (i32, i32) -> ()
	tI64    = 3 // () -> i64
	tExtr   = 4 // (i32, i32) -> i64
	tVoid   = 5 // () -> ()
)

// guest assembles a module implementing the ABI as spec says.
func guest(s guestSpec) []byte {
	if s.abi == 0 {
		s.abi = 1
	}
	if s.alloc == nil {
		s.alloc = wasmbin.I32Const(offAlloc)
	}
	if s.extract == nil {
		s.extract = wasmbin.Packed(offDoc, uint32(len(fixDoc)))
	}
	if s.infoJSON == nil {
		s.infoJSON = fixInfo
	}
	if s.info == nil {
		s.info = wasmbin.Packed(offInfo, uint32(len(s.infoJSON)))
	}
	if s.pages == 0 {
		s.pages = 2
	}
	if s.errJSON == nil {
		s.errJSON = fixErr
	}
	m := &wasmbin.Module{
		Types: []wasmbin.FuncType{
			{Results: []byte{wasmbin.I32}},
			{Params: []byte{wasmbin.I32}, Results: []byte{wasmbin.I32}},
			{Params: []byte{wasmbin.I32, wasmbin.I32}},
			{Results: []byte{wasmbin.I64}},
			{Params: []byte{wasmbin.I32, wasmbin.I32}, Results: []byte{wasmbin.I64}},
			{},
		},
		Funcs: []wasmbin.Func{
			{Type: tI32, Body: wasmbin.I32Const(s.abi)},
			{Type: tI32I32, Body: s.alloc},
			{Type: tFree},
			{Type: tI64, Body: s.info},
			{Type: tExtr, Body: s.extract},
		},
		Imports: s.imports,
		Memory:  &wasmbin.Memory{Min: s.pages},
		Data: []wasmbin.Data{
			{Offset: offInfo, Bytes: s.infoJSON},
			{Offset: offDoc, Bytes: fixDoc},
			{Offset: offErr, Bytes: s.errJSON},
			{Offset: offGarbage, Bytes: fixGarbage},
		},
	}
	names := []string{"riptide_abi_version", "riptide_alloc", "riptide_free", "riptide_info", "riptide_extract"}
	for i, n := range names {
		if n != s.omit {
			m.Exports = append(m.Exports, wasmbin.Export{Name: n, Kind: wasmbin.KindFunc, Index: uint32(len(s.imports) + i)})
		}
	}
	if s.omit != "memory" {
		m.Exports = append(m.Exports, wasmbin.Export{Name: "memory", Kind: wasmbin.KindMemory})
	}
	if s.startSection != nil {
		m.Funcs = append(m.Funcs, wasmbin.Func{Type: tVoid, Body: s.startSection})
		i := uint32(len(s.imports) + len(m.Funcs) - 1)
		m.Start = &i
	}
	if s.start != nil {
		m.Funcs = append(m.Funcs, wasmbin.Func{Type: tVoid, Body: s.start})
		m.Exports = append(m.Exports, wasmbin.Export{Name: "_initialize", Kind: wasmbin.KindFunc, Index: uint32(len(s.imports) + len(m.Funcs) - 1)})
	}
	return m.Bytes()
}
