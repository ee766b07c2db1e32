package interrupt

import (
	"github.com/riptide-go/riptide/internal/leb128"

	"errors"
	"fmt"
	"math"
)

const (
	// ImportModule is the module name of the function import that
	// [Instrument] adds.
	ImportModule = "riptide_interrupt"
	// ImportName is the field name of that import. Its type is () -> (i32).
	ImportName = "check"
	// Interval is the initial fuel of an instrumented instance: the number
	// of checks (loop iterations and calls) it runs before its first
	// call to the check import. The check function returns the next
	// budget, normally Interval again.
	Interval = 10000
)

// Errors returned by [Instrument]. Callers that get either one run the
// original module with wazero's own interruption instead.
var (
	// ErrUnsupported: the module uses an instruction, type or section the
	// rewriter does not know (SIMD, threads, exception handling, GC, ...).
	ErrUnsupported = errors.New("interrupt: unsupported webassembly feature")
	// ErrInvalid: the module is malformed, refers to a type, function or
	// global that it does not have, or already imports from ImportModule.
	ErrInvalid = errors.New("interrupt: invalid webassembly module")
)

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
)

// sectionRank is the position of each known non-custom section in the
// order the binary format requires (the data count section comes between
// element and code).
var sectionRank = [...]uint8{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5,
	secGlobal: 6, secExport: 7, secStart: 8, secElement: 9,
	secDataCount: 10, secCode: 11, secData: 12,
}

// rankEnd is past the last rank.
const rankEnd = 13

// Import and export kinds.
const (
	kindFunc   = 0x00
	kindTable  = 0x01
	kindMemory = 0x02
	kindGlobal = 0x03
	kindTag    = 0x04
)

// Value and reference types.
const (
	typeI32       = 0x7f
	typeI64       = 0x7e
	typeF32       = 0x7d
	typeF64       = 0x7c
	typeV128      = 0x7b
	typeFuncref   = 0x70
	typeExternref = 0x6f
	blockEmpty    = 0x40
	formFunc      = 0x60
)

// checkName is the name the "name" section gives the added import.
const checkName = ImportModule + "." + ImportName

// section is one section of the input: its id, and the bounds of its
// content (after the id and size) and of the whole section.
type section struct {
	id         byte
	head       int // offset of the id byte
	start, end int // content
}

// module is what the first pass learns about the input.
type module struct {
	in       []byte
	sections []section

	types         uint32 // type section entries
	imports       uint32 // import section entries
	funcImports   uint32 // F: the index of the added import
	globalImports uint32
	definedFuncs  uint32 // function section entries
	definedGlobal uint32 // global section entries
	funcs         uint32 // all functions of the original
	globals       uint32 // all globals of the original: G, the fuel's index
	has           [rankEnd]bool
}

// Instrument returns a copy of module, a WebAssembly 1.0 binary, that
// calls back into the host at bounded intervals, so that a host can stop a
// guest that loops or recurses forever without wazero's costlier
// WithCloseOnContextDone. The package documentation describes the
// rewrite and the contract of the added import.
//
// Instrument does not modify module. It returns [ErrInvalid] for a
// malformed module and [ErrUnsupported] for one that uses a feature it
// does not know; it never panics, whatever the input. The same input
// always gives the same output.
func Instrument(module []byte) ([]byte, error) {
	m, err := scan(module)
	if err != nil {
		return nil, err
	}
	r := newRewriter(m)
	if err := r.run(); err != nil {
		return nil, err
	}
	return r.out, nil
}

// Instrumented reports whether module imports ImportModule.ImportName, that
// is, whether it is the output of [Instrument]. It reads the section
// headers and the import section only, and reports false for a module it
// cannot read.
func Instrumented(module []byte) bool {
	if !header(module) {
		return false
	}
	p := 8
	for p < len(module) {
		id := module[p]
		size, start, ok := leb128.U32(module, p+1)
		if !ok || int64(size) > int64(len(module)-start) {
			return false
		}
		end := start + int(size)
		switch {
		case id == secImport:
			return importsCheck(module[:end], start)
		case id != secCustom && int(id) < len(sectionRank) && sectionRank[id] > sectionRank[secImport]:
			return false
		}
		p = end
	}
	return false
}

// importsCheck reports whether the import section in b[p:] imports
// ImportModule.ImportName.
func importsCheck(b []byte, p int) bool {
	r := reader{b: b, p: p}
	n := r.count()
	for i := uint32(0); i < n && r.ok(); i++ {
		mod, name := r.bytes(), r.bytes()
		if r.ok() && string(mod) == ImportModule && string(name) == ImportName {
			return true
		}
		importDesc(&r, true)
	}
	return false
}

func header(b []byte) bool {
	return len(b) >= 8 && string(b[:8]) == "\x00asm\x01\x00\x00\x00"
}

// scan is the first pass: it checks the header and the section layout and
// counts the types, functions and globals of the original, which the
// second pass needs wherever it meets an index (the "name" section may
// come before the import section).
func scan(in []byte) (*module, error) {
	if len(in) < 4 || string(in[:4]) != "\x00asm" {
		return nil, fmt.Errorf("%w: bad magic number", ErrInvalid)
	}
	if !header(in) {
		return nil, fmt.Errorf("%w: unsupported binary version", ErrInvalid)
	}
	m := &module{in: in}
	var last uint8
	p := 8
	for p < len(in) {
		head := p
		id := in[p]
		size, start, ok := leb128.U32(in, p+1)
		if !ok {
			return nil, fmt.Errorf("%w: malformed section size at offset %#x", ErrInvalid, head+1)
		}
		if int64(size) > int64(len(in)-start) {
			return nil, fmt.Errorf("%w: section %d at offset %#x runs past the end of the module", ErrInvalid, id, head)
		}
		end := start + int(size)
		if id != secCustom {
			if int(id) >= len(sectionRank) {
				return nil, fmt.Errorf("%w: section id %d at offset %#x", ErrUnsupported, id, head)
			}
			rank := sectionRank[id]
			if rank <= last {
				return nil, fmt.Errorf("%w: section %d at offset %#x is out of order or repeated", ErrInvalid, id, head)
			}
			last = rank
			m.has[rank] = true
		}
		m.sections = append(m.sections, section{id: id, head: head, start: start, end: end})
		r := reader{b: in[:end], p: start}
		switch id {
		case secType:
			m.scanTypes(&r)
		case secImport:
			m.scanImports(&r)
		case secFunction:
			m.definedFuncs = r.count()
			for i := uint32(0); i < m.definedFuncs && r.ok(); i++ {
				if t := r.u32(); r.ok() && t >= m.types {
					r.fail(ErrInvalid, "function %d has type %d of %d", i, t, m.types)
				}
			}
			r.end()
		case secGlobal:
			m.definedGlobal = r.count()
		}
		if r.err != nil {
			return nil, r.err
		}
		p = end
	}
	funcs := uint64(m.funcImports) + uint64(m.definedFuncs)
	globals := uint64(m.globalImports) + uint64(m.definedGlobal)
	if funcs >= math.MaxUint32 || globals >= math.MaxUint32 || m.types >= math.MaxUint32 {
		return nil, fmt.Errorf("%w: too many functions, globals or types", ErrUnsupported)
	}
	m.funcs, m.globals = uint32(funcs), uint32(globals)
	return m, nil
}

// end checks that the section was read to its end.
func (r *reader) end() {
	if r.err == nil && r.p != len(r.b) {
		r.fail(ErrInvalid, "%d bytes left over at the end of a section", len(r.b)-r.p)
	}
}

func (m *module) scanTypes(r *reader) {
	m.types = r.count()
	for i := uint32(0); i < m.types && r.ok(); i++ {
		switch form := r.byte(); form {
		case formFunc:
		case 0x4e, 0x4f, 0x50, 0x5d, 0x5e, 0x5f: // GC: rec, sub, struct, array...
			r.fail(ErrUnsupported, "type form 0x%02x", form)
		default:
			r.fail(ErrInvalid, "type form 0x%02x", form)
		}
		for k := 0; k < 2; k++ { // params, results
			n := r.count()
			for j := uint32(0); j < n && r.ok(); j++ {
				valType(r)
			}
		}
	}
	r.end()
}

func (m *module) scanImports(r *reader) {
	n := r.count()
	m.imports = n
	for i := uint32(0); i < n && r.ok(); i++ {
		mod := r.bytes()
		r.bytes()
		if r.ok() && string(mod) == ImportModule {
			r.fail(ErrInvalid, "the module already imports from %q", ImportModule)
			return
		}
		switch kind, t := importDesc(r, false); kind {
		case kindFunc:
			if r.ok() && t >= m.types {
				r.fail(ErrInvalid, "imported function has type %d of %d", t, m.types)
			}
			m.funcImports++
		case kindGlobal:
			m.globalImports++
		}
	}
	r.end()
}

// importDesc reads an import descriptor and returns its kind and, for a
// function, its type index. With lenient set it accepts every form it can
// skip, for [Instrumented].
func importDesc(r *reader, lenient bool) (kind byte, typ uint32) {
	kind = r.byte()
	switch kind {
	case kindFunc:
		typ = r.u32()
	case kindTable:
		refType(r)
		limits(r, lenient)
	case kindMemory:
		limits(r, lenient)
	case kindGlobal:
		valType(r)
		mutability(r)
	case kindTag:
		if lenient {
			r.byte()
			r.u32()
		} else {
			r.fail(ErrUnsupported, "tag import")
		}
	default:
		r.fail(ErrInvalid, "import kind 0x%02x", kind)
	}
	return kind, typ
}

// valType reads a value type.
func valType(r *reader) byte {
	t := r.byte()
	if r.ok() && !isValType(t) {
		r.fail(ErrUnsupported, "value type 0x%02x", t)
	}
	return t
}

func isValType(t byte) bool {
	switch t {
	case typeI32, typeI64, typeF32, typeF64, typeV128, typeFuncref, typeExternref:
		return true
	}
	return false
}

func refType(r *reader) {
	t := r.byte()
	if r.ok() && t != typeFuncref && t != typeExternref {
		r.fail(ErrUnsupported, "reference type 0x%02x", t)
	}
}

func mutability(r *reader) {
	if c := r.byte(); r.ok() && c > 1 {
		r.fail(ErrInvalid, "global mutability 0x%02x", c)
	}
}

// limits reads the limits of a table or memory. Shared (threads) and
// 64-bit limits are unsupported, except by the lenient reader.
func limits(r *reader, lenient bool) {
	flags := r.byte()
	switch {
	case flags <= 1:
		r.u32()
		if flags == 1 {
			r.u32()
		}
	case lenient && flags <= 7:
		for k := 0; k <= int(flags&1); k++ {
			// 64-bit limits are u64; skip either width.
			for r.ok() && r.byte() >= 0x80 {
			}
		}
	case flags <= 7:
		r.fail(ErrUnsupported, "limits flags 0x%02x", flags)
	default:
		r.fail(ErrInvalid, "limits flags 0x%02x", flags)
	}
}
