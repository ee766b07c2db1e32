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
	// end) unless its first loop comes first and gets a check at its
	// head (first, known once that loop is reached).
	entryAt, firstAt, first, calls := len(out), loopFirst(b, p, end), false, false
	copied := p // b[copied:p] is still to be copied

	// Control nesting: depth counts the open blocks, loops and ifs,
	// the function's own block included. d is the dispatch loop open,
	// if any; setAt is where the last local.set began, constEnd and setEnd
	// where the last i32.const and local.set ended.
	depth := 1
	var d dispatchLoop
	constEnd, setAt, setEnd := -1, -1, -1
	var constVal int64
	var setLocal uint32

	var op byte
	for p < end {
		op = b[p]
		k := immediates[op]
		if k == immNone {
			if op == 0x0b { // end
				depth--
				if d.active {
					switch depth {
					case d.at:
						d.active = false
					case d.at + d.n - d.region:
						d.region++
					}
				}
			}
			p++
			continue
		}
		at := p
		// The commonest case after no immediate: one LEB128 integer of
		// one byte (local.get, i32.const, br_if, ...). Branches to a
		// dispatch loop, and the i32.const and local.set before them,
		// take the long way.
		if k-immU32 <= immI64-immU32 && p+1 < end && b[p+1] < 0x80 && !(d.active && (op == 0x0c || op == 0x0d || op == 0x21 || op == 0x41)) {
			p += 2
			continue
		}
		p++
		switch k {
		case immU32:
			var v uint32
			if p < end && b[p] < 0x80 {
				v = uint32(b[p])
				p++
			} else if v, p, ok = leb128.U32(b, p); !ok {
				return invalidAt(at, "malformed immediate")
			}
			switch op {
			case 0x21: // local.set
				setAt, setEnd, setLocal = at, p, v
			case 0x0c, 0x0d: // br, br_if
				if !d.active || int64(depth)-1-int64(v) != int64(d.at) {
					break
				}
				if op == 0x0c && setEnd == at && constEnd == setAt && setLocal == d.local && d.forward(constVal) {
					r.forward++
					break
				}
				out, copied = r.checkBefore(out, b, copied, at), at
				r.backs++
			}
		case immI32:
			if p < end && b[p] < 0x80 {
				constVal = int64(int8(b[p]<<1) >> 1)
				p++
			} else if constVal, p, ok = leb128.Signed(b, p, 32); !ok {
				return invalidAt(at, "malformed i32.const")
			}
			constEnd = p
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
				if !d.active {
					if dl, ok := r.dispatch(b, at, end); ok {
						d = dl
						d.at = depth
						r.dispatches++
					}
				}
				if !d.active || d.at != depth {
					out, copied = r.checkBefore(out, b, copied, p), p
					r.loops++
					first = first || at == firstAt
				}
			}
			depth++
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
			toLoop := false
			for i := uint32(0); i <= m; i++ {
				var l uint32
				if l, p, ok = leb128.U32(b, p); !ok {
					return invalidAt(at, "malformed br_table")
				}
				toLoop = toLoop || d.active && int64(depth)-1-int64(l) == int64(d.at)
			}
			if toLoop {
				out, copied = r.checkBefore(out, b, copied, at), at
				r.backs++
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

// checkBefore appends to out the input b[copied:pos] still to be copied,
// then the check: the check goes before b[pos].
func (r *rewriter) checkBefore(out, b []byte, copied, pos int) []byte {
	out = append(out, b[copied:pos]...)
	return append(out, r.check...)
}

// loopFirst returns the offset of the function body b[p:end]'s first
// loop if every run of it reaches that loop before it can call, branch,
// return or trap, and -1 otherwise. It does when
// the instructions before its first loop only open blocks, move values
// between locals, globals and memory, or compute. That loop's check then
// runs on every entry, and an entry check would count the call twice (Go
// compiles most functions this way: a frame set-up, a block per resume
// point, then the loop that dispatches on the resume point), when that
// loop has a check at its head (a dispatch loop has none). It answers -1
// for anything it does not follow, which only costs a check.
func loopFirst(b []byte, p, end int) int {
	var ok bool
	for p < end {
		op := b[p]
		p++
		switch {
		case op == opLoop:
			return p - 1
		case op == 0x02: // block
			if p >= end {
				return -1
			}
			if c := b[p]; c == blockEmpty || isValType(c) {
				p++
			} else if _, p, ok = leb128.Signed(b, p, 33); !ok {
				return -1
			}
		case op == 0x01, op == 0x1a, op == 0x1b: // nop, drop, select
		case op >= 0x20 && op <= 0x24: // local.get/set/tee, global.get/set
			if _, p, ok = leb128.U32(b, p); !ok {
				return -1
			}
		case op == 0x41: // i32.const
			if p, ok = leb128.SkipSigned(b, p, 32); !ok {
				return -1
			}
		case op == 0x42: // i64.const
			if p, ok = leb128.SkipSigned(b, p, 64); !ok {
				return -1
			}
		case op >= 0x28 && op <= 0x3e: // loads and stores (one memory)
			var align uint32
			if align, p, ok = leb128.U32(b, p); !ok || align&0x40 != 0 {
				return -1
			}
			if _, p, ok = leb128.U32(b, p); !ok {
				return -1
			}
		case op >= 0x45 && op <= 0xc4: // comparisons, arithmetic, conversions
		default:
			return -1
		}
	}
	return -1
}

func invalidAt(off int, format string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %#x", ErrInvalid, fmt.Sprintf(format, args...), off)
}

// dispatchLoop is a loop that starts by dispatching on a local through
// a br_table, the way Go compiles every function: the loop's body opens
// n blocks, then "local.get x; br_table", whose labels pick the code
// after the end of one of those blocks. A jump inside the function sets
// x to the target and branches to the loop. Such a branch only needs a
// check when it goes back: when the code it selects does not come after
// the branch (the region it selects is not past the branch's region).
type dispatchLoop struct {
	active bool
	at     int      // control depth of the loop: the loop is the at-th open construct
	n      int      // dispatch blocks
	region int      // dispatch blocks ended so far: the region the code is in
	local  uint32   // the local the br_table reads
	table  []uint32 // the br_table's labels, the default last
}

// forward reports whether a branch to the loop with the local set to k,
// from the current region, selects a later region. Label l of the table
// selects the code after the end of the l-th dispatch block from the
// innermost, which is region l+1.
func (d *dispatchLoop) forward(k int64) bool {
	i := uint64(uint32(k)) // br_table reads the operand as unsigned
	if i >= uint64(len(d.table)-1) {
		i = uint64(len(d.table) - 1)
	}
	return int(d.table[i])+1 > d.region
}

// dispatch recognises a dispatch loop at b[at] (a loop opcode): an empty
// block type, one or more empty blocks, local.get x, then a br_table
// whose labels are all among those blocks. Anything else is not one.
func (r *rewriter) dispatch(b []byte, at, end int) (dispatchLoop, bool) {
	p := at + 1
	if p >= end || b[p] != blockEmpty {
		return dispatchLoop{}, false
	}
	p++
	n := 0
	for p+1 < end && b[p] == 0x02 && b[p+1] == blockEmpty {
		n++
		p += 2
	}
	if n == 0 || p >= end || b[p] != 0x20 {
		return dispatchLoop{}, false
	}
	x, p, ok := leb128.U32(b, p+1)
	if !ok || p >= end || b[p] != 0x0e {
		return dispatchLoop{}, false
	}
	m, p, ok := leb128.U32(b, p+1)
	if !ok || int64(m) >= int64(end-p) {
		return dispatchLoop{}, false
	}
	table := r.table[:0]
	for i := uint32(0); i <= m; i++ {
		var l uint32
		if l, p, ok = leb128.U32(b, p); !ok || l >= uint32(n) {
			return dispatchLoop{}, false
		}
		table = append(table, l)
	}
	r.table = table
	return dispatchLoop{active: true, n: n, local: x, table: table}, true
}
