package interrupt

import (
	"fmt"
	"slices"

	"github.com/riptide-go/riptide/internal/leb128"
)

// Immediate kinds of the one-byte opcodes. The zero value marks an opcode
// the rewriter does not know.
const (
	immUnknown      uint8 = iota
	immNone               // no immediate
	immU32                // one u32: label, local, table or memory index
	immI32                // i32.const
	immI64                // i64.const (immU32 to immI64: one LEB128 integer)
	immBlock              // block, if: a block type
	immLoop               // loop: a block type, then the inserted check
	immBrTable            // vec(label) label
	immCall               // call, return_call: a function index
	immCallIndirect       // call_indirect, return_call_indirect: type, table
	immGlobal             // global.get, global.set: a global index
	immMemarg             // loads and stores
	immF32                // f32.const
	immF64                // f64.const
	immSelect             // typed select: vec(valtype)
	immRefNull            // ref.null: a reference type
	immRefFunc            // ref.func: a function index
	immPrefixFC           // 0xFC: saturating truncation, bulk memory, tables
)

const opLoop = 0x03

// immediates maps each opcode of WebAssembly 1.0 and of the sign-extension,
// non-trapping conversion, bulk memory, reference types, tail call,
// multi-value and multi-memory proposals to its immediate kind. SIMD
// (0xFD), threads (0xFE), exception handling, GC and typed function
// references stay immUnknown.
var immediates = func() (t [256]uint8) {
	set := func(kind uint8, ops ...byte) {
		for _, op := range ops {
			t[op] = kind
		}
	}
	set(immNone, 0x00, 0x01, 0x05, 0x0b, 0x0f, 0x1a, 0x1b, 0xd1)
	set(immBlock, 0x02, 0x04)
	set(immLoop, opLoop)
	set(immU32, 0x0c, 0x0d, 0x20, 0x21, 0x22, 0x25, 0x26, 0x3f, 0x40)
	set(immBrTable, 0x0e)
	set(immCall, 0x10, 0x12)
	set(immCallIndirect, 0x11, 0x13)
	set(immSelect, 0x1c)
	set(immGlobal, 0x23, 0x24)
	for op := 0x28; op <= 0x3e; op++ {
		t[op] = immMemarg
	}
	set(immI32, 0x41)
	set(immI64, 0x42)
	set(immF32, 0x43)
	set(immF64, 0x44)
	for op := 0x45; op <= 0xc4; op++ {
		t[op] = immNone
	}
	set(immRefNull, 0xd0)
	set(immRefFunc, 0xd2)
	set(immPrefixFC, 0xfc)
	return t
}()

// fcImmediates is the number of u32 immediates of each 0xFC instruction,
// or -1 past the end of the table.
var fcImmediates = [...]int8{
	0, 0, 0, 0, 0, 0, 0, 0, // i32/i64.trunc_sat_f32/f64_s/u
	2, 1, // memory.init data mem, data.drop data
	2, 1, // memory.copy mem mem, memory.fill mem
	2, 1, // table.init elem table, elem.drop elem
	2, 1, 1, 1, // table.copy, table.grow, table.size, table.fill
}

func (r *rewriter) codeSection(s section) error {
	rd := r.sectionReader(s)
	n := rd.count()
	if rd.err != nil {
		return rd.err
	}
	if n != r.definedFuncs {
		return fmt.Errorf("%w: %d function bodies for %d functions", ErrInvalid, n, r.definedFuncs)
	}
	sp := r.begin(s, (s.end-s.start)/8)
	r.out = leb128.AppendU32(r.out, n)
	for i := uint32(0); i < n; i++ {
		size := rd.u32()
		if rd.ok() && int64(size) > int64(len(rd.b)-rd.p) {
			rd.fail(ErrInvalid, "function body runs past the code section")
		}
		if rd.err != nil {
			return rd.err
		}
		bsp := r.open(int(size) + len(r.check))
		if err := r.body(rd.p, rd.p+int(size)); err != nil {
			return err
		}
		if err := r.close(bsp); err != nil {
			return err
		}
		rd.p += int(size)
	}
	rd.end()
	if rd.err != nil {
		return rd.err
	}
	return r.close(sp)
}

// body copies the function body in[start:end], inserting the checks and
// shifting function indices. It copies runs of unchanged instructions at
// once and allocates nothing.
func (r *rewriter) body(start, end int) error {
	b := r.in[:end]
	p := start

	// Locals.
	n, p, ok := leb128.U32(b, p)
	if !ok {
		return invalidAt(p, "malformed local count")
	}
	for i := uint32(0); i < n; i++ {
		if _, p, ok = leb128.U32(b, p); !ok {
			return invalidAt(p, "malformed local count")
		}
		if p >= end {
			return invalidAt(p, "unexpected end of function")
		}
		if !isValType(b[p]) {
			return fmt.Errorf("%w: local type 0x%02x at offset %#x", ErrUnsupported, b[p], p)
		}
		p++
	}
	if p >= end {
		return invalidAt(p, "function without instructions")
	}

	out := append(r.out, b[start:p]...)
	// The entry check goes here, if the function calls any (known at its
	// end) and its first loop does not come first.
	entryAt, first, calls := len(out), loopFirst(b, p, end), false
	copied := p // b[copied:p] is still to be copied
	var op byte
	for p < end {
		op = b[p]
		k := immediates[op]
		if k == immNone {
			p++
			continue
		}
		// The commonest case after no immediate: one LEB128 integer of
		// one byte (local.get, i32.const, br_if, ...).
		if k-immU32 <= immI64-immU32 && p+1 < end && b[p+1] < 0x80 {
			p += 2
			continue
		}
		at := p
		p++
		switch k {
		case immU32:
			if p < end && b[p] < 0x80 {
				p++
			} else if _, p, ok = leb128.U32(b, p); !ok {
				return invalidAt(at, "malformed immediate")
			}
		case immI32:
			if p < end && b[p] < 0x80 {
				p++
			} else if p, ok = leb128.SkipSigned(b, p, 32); !ok {
				return invalidAt(at, "malformed i32.const")
			}
		case immGlobal:
			var g uint32
			if p < end && b[p] < 0x80 {
				g = uint32(b[p])
				p++
			} else if g, p, ok = leb128.U32(b, p); !ok {
				return invalidAt(at, "malformed global index")
			}
			if g >= r.globals {
				return invalidAt(at, "global %d of %d", g, r.globals)
			}
		case immMemarg:
			if p+1 < end && b[p] < 0x40 && b[p+1] < 0x80 { // one-byte alignment and offset
				p += 2
				break
			}
			var align uint32
			if align, p, ok = leb128.U32(b, p); !ok {
				return invalidAt(at, "malformed memory alignment")
			}
			if align&0x40 != 0 { // multi-memory: a memory index follows
				if _, p, ok = leb128.U32(b, p); !ok {
					return invalidAt(at, "malformed memory index")
				}
			}
			if _, p, ok = leb128.U32(b, p); !ok {
				return invalidAt(at, "malformed memory offset")
			}
		case immCall, immRefFunc:
			calls = calls || k == immCall
			var f uint32
			if f, p, ok = leb128.U32(b, p); !ok {
				return invalidAt(at, "malformed function index")
			}
			if f >= r.funcs {
				return invalidAt(at, "function %d of %d", f, r.funcs)
			}
			if f >= r.funcImports {
				out = append(out, b[copied:at+1]...)
				out = leb128.AppendU32(out, f+1)
				copied = p
			}
		case immBlock, immLoop:
			if p >= end {
				return invalidAt(at, "unexpected end of function")
			}
			if c := b[p]; c == blockEmpty || isValType(c) {
				p++
			} else {
				var t int64
				if t, p, ok = leb128.Signed(b, p, 33); !ok {
					return invalidAt(at, "malformed block type")
				}
				if t < 0 {
					return fmt.Errorf("%w: block type 0x%02x at offset %#x", ErrUnsupported, c, at)
				}
				if t >= int64(r.types) {
					return invalidAt(at, "block type %d of %d", t, r.types)
				}
			}
			if op == opLoop {
				out = append(out, b[copied:p]...)
				out = append(out, r.check...)
				copied = p
				r.loops++
			}
		case immI64:
			if p < end && b[p] < 0x80 {
				p++
			} else if p, ok = leb128.SkipSigned(b, p, 64); !ok {
				return invalidAt(at, "malformed i64.const")
			}
		case immF32:
			p += 4
		case immF64:
			p += 8
		case immBrTable:
			var m uint32
			if m, p, ok = leb128.U32(b, p); !ok {
				return invalidAt(at, "malformed br_table")
			}
			if int64(m) >= int64(end-p) {
				return invalidAt(at, "br_table longer than its function")
			}
			for i := uint32(0); i <= m; i++ {
				if _, p, ok = leb128.U32(b, p); !ok {
					return invalidAt(at, "malformed br_table")
				}
			}
		case immCallIndirect:
			calls = true
			var t uint32
			if t, p, ok = leb128.U32(b, p); !ok {
				return invalidAt(at, "malformed type index")
			}
			if t >= r.types {
				return invalidAt(at, "type %d of %d", t, r.types)
			}
			if _, p, ok = leb128.U32(b, p); !ok {
				return invalidAt(at, "malformed table index")
			}
		case immSelect:
			var m uint32
			if m, p, ok = leb128.U32(b, p); !ok {
				return invalidAt(at, "malformed select")
			}
			if int64(m) > int64(end-p) {
				return invalidAt(at, "select longer than its function")
			}
			for i := uint32(0); i < m; i++ {
				if !isValType(b[p]) {
					return fmt.Errorf("%w: value type 0x%02x at offset %#x", ErrUnsupported, b[p], p)
				}
				p++
			}
		case immRefNull:
			if p >= end {
				return invalidAt(at, "unexpected end of function")
			}
			if c := b[p]; c != typeFuncref && c != typeExternref {
				return fmt.Errorf("%w: heap type 0x%02x at offset %#x", ErrUnsupported, c, at)
			}
			p++
		case immPrefixFC:
			var sub uint32
			if sub, p, ok = leb128.U32(b, p); !ok {
				return invalidAt(at, "malformed 0xfc opcode")
			}
			if sub >= uint32(len(fcImmediates)) {
				return fmt.Errorf("%w: opcode 0xfc %d at offset %#x", ErrUnsupported, sub, at)
			}
			for k := fcImmediates[sub]; k > 0; k-- {
				if _, p, ok = leb128.U32(b, p); !ok {
					return invalidAt(at, "malformed immediate")
				}
			}
		default:
			return fmt.Errorf("%w: opcode 0x%02x at offset %#x", ErrUnsupported, op, at)
		}
	}
	if p != end {
		return invalidAt(end, "instruction runs past the end of its function")
	}
	if op != 0x0b {
		return invalidAt(end, "function does not end with end")
	}
	out = append(out, b[copied:end]...)
	if calls && !first {
		out = slices.Insert(out, entryAt, r.check...)
		r.entries++
	}
	r.out = out
	return nil
}

// loopFirst reports whether every run of the function body b[p:end]
// reaches a loop header before it can call, branch, return or trap: when
// the instructions before its first loop only open blocks, move values
// between locals, globals and memory, or compute. That loop's check then
// runs on every entry, and an entry check would count the call twice (Go
// compiles most functions this way: a frame set-up, a block per resume
// point, then the loop that dispatches on the resume point). It answers
// false for anything it does not follow, which only costs a check.
func loopFirst(b []byte, p, end int) bool {
	var ok bool
	for p < end {
		op := b[p]
		p++
		switch {
		case op == opLoop:
			return true
		case op == 0x02: // block
			if p >= end {
				return false
			}
			if c := b[p]; c == blockEmpty || isValType(c) {
				p++
			} else if _, p, ok = leb128.Signed(b, p, 33); !ok {
				return false
			}
		case op == 0x01, op == 0x1a, op == 0x1b: // nop, drop, select
		case op >= 0x20 && op <= 0x24: // local.get/set/tee, global.get/set
			if _, p, ok = leb128.U32(b, p); !ok {
				return false
			}
		case op == 0x41: // i32.const
			if p, ok = leb128.SkipSigned(b, p, 32); !ok {
				return false
			}
		case op == 0x42: // i64.const
			if p, ok = leb128.SkipSigned(b, p, 64); !ok {
				return false
			}
		case op >= 0x28 && op <= 0x3e: // loads and stores (one memory)
			var align uint32
			if align, p, ok = leb128.U32(b, p); !ok || align&0x40 != 0 {
				return false
			}
			if _, p, ok = leb128.U32(b, p); !ok {
				return false
			}
		case op >= 0x45 && op <= 0xc4: // comparisons, arithmetic, conversions
		default:
			return false
		}
	}
	return false
}

func invalidAt(off int, format string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %#x", ErrInvalid, fmt.Sprintf(format, args...), off)
}
