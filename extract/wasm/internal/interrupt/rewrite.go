package interrupt

import (
	"fmt"
	"github.com/riptide-go/riptide/internal/leb128"
	"math"
)

// rewriter is the second pass: it copies the module into out, rewriting
// what refers to function indices and adding the import, the type, the
// fuel global and the checks.
type rewriter struct {
	*module
	out []byte

	checkType uint32 // index of the added type () -> (i32)
	check     []byte // the check sequence inserted in function bodies

	table []uint32 // a dispatch loop's br_table, reused between functions

	// Checks inserted at loop heads, function entries and branches back
	// to a dispatch loop; dispatch loops found and branches to them left
	// without a check, for tests and benchmarks.
	loops, entries, backs, dispatches, forward int
}

func newRewriter(m *module) *rewriter {
	r := &rewriter{module: m, checkType: m.types}
	// The checks add about 1.5% to the default guest, a Go-compiled module.
	r.out = make([]byte, 0, len(m.in)+len(m.in)/32+64)

	g, f := m.globals, m.funcImports
	c := make([]byte, 0, 32)
	c = leb128.AppendU32(append(c, 0x23), g) // global.get G
	c = append(c, 0x45, 0x04, blockEmpty)    // i32.eqz; if
	c = leb128.AppendU32(append(c, 0x10), f) //   call F
	c = leb128.AppendU32(append(c, 0x24), g) //   global.set G
	c = append(c, 0x0b)                      // end
	c = leb128.AppendU32(append(c, 0x23), g) // global.get G
	c = append(c, 0x41, 0x01, 0x6b)          // i32.const 1; i32.sub
	c = leb128.AppendU32(append(c, 0x24), g) // global.set G
	r.check = c
	return r
}

// span is a length placeholder opened in out.
type span struct{ pos, n int }

// open reserves room for the LEB128 length of what follows, guessing its
// size from hint so that close rarely has to move anything.
func (r *rewriter) open(hint int) span {
	n := lebLen(uint32(min(int64(hint), math.MaxUint32)))
	s := span{pos: len(r.out), n: n}
	r.out = append(r.out, make([]byte, n)...)
	return s
}

// close writes the length of everything appended since open.
func (r *rewriter) close(s span) error {
	size := len(r.out) - s.pos - s.n
	if int64(size) > math.MaxUint32 {
		return fmt.Errorf("%w: output section larger than 4 GiB", ErrUnsupported)
	}
	n := lebLen(uint32(size))
	switch {
	case n > s.n:
		end := len(r.out)
		r.out = append(r.out, make([]byte, n-s.n)...)
		copy(r.out[s.pos+n:], r.out[s.pos+s.n:end])
	case n < s.n:
		copy(r.out[s.pos+n:], r.out[s.pos+s.n:])
		r.out = r.out[:len(r.out)-(s.n-n)]
	}
	putU32(r.out[s.pos:s.pos+n], uint32(size))
	return nil
}

func (r *rewriter) run() error {
	r.out = append(r.out, r.in[:8]...)
	// The sections the module lacks go before the first section that must
	// follow them, or else after the last non-custom section, so that
	// trailing custom sections ("name", "producers") stay last.
	last := -1
	for i, s := range r.sections {
		if s.id != secCustom {
			last = i
		}
	}
	if last < 0 {
		if err := r.missing(rankEnd); err != nil {
			return err
		}
	}
	var codeSeen bool
	for i, s := range r.sections {
		if s.id != secCustom {
			if err := r.missing(sectionRank[s.id]); err != nil {
				return err
			}
		}
		var err error
		switch s.id {
		case secCustom:
			err = r.custom(s)
		case secType:
			err = r.typeSection(s)
		case secImport:
			err = r.importSection(s)
		case secTable:
			err = r.tableSection(s)
		case secMemory:
			err = r.memorySection(s)
		case secGlobal:
			err = r.globalSection(s)
		case secExport:
			err = r.exportSection(s)
		case secStart:
			err = r.startSection(s)
		case secElement:
			err = r.elementSection(s)
		case secCode:
			codeSeen = true
			err = r.codeSection(s)
		case secData:
			err = r.dataSection(s)
		default: // function, data count: no function or global indices
			r.out = append(r.out, r.in[s.head:s.end]...)
		}
		if err != nil {
			return err
		}
		if i == last {
			if err := r.missing(rankEnd); err != nil {
				return err
			}
		}
	}
	if !codeSeen && r.definedFuncs > 0 {
		return fmt.Errorf("%w: %d functions declared but no code section", ErrInvalid, r.definedFuncs)
	}
	return nil
}

// missing writes the sections the module lacks and the rewrite needs
// (type, import, global) that come before rank.
func (r *rewriter) missing(rank uint8) error {
	for _, id := range [...]byte{secType, secImport, secGlobal} {
		k := sectionRank[id]
		if k >= rank || r.has[k] {
			continue
		}
		r.has[k] = true
		r.out = append(r.out, id)
		sp := r.open(32)
		r.out = append(r.out, 1)
		switch id {
		case secType:
			r.appendCheckType()
		case secImport:
			r.appendCheckImport()
		case secGlobal:
			r.appendFuel()
		}
		if err := r.close(sp); err != nil {
			return err
		}
	}
	return nil
}

func (r *rewriter) appendCheckType() {
	r.out = append(r.out, formFunc, 0, 1, typeI32)
}

func (r *rewriter) appendCheckImport() {
	r.out = leb128.AppendU32(r.out, uint32(len(ImportModule)))
	r.out = append(r.out, ImportModule...)
	r.out = leb128.AppendU32(r.out, uint32(len(ImportName)))
	r.out = append(r.out, ImportName...)
	r.out = append(r.out, kindFunc)
	r.out = leb128.AppendU32(r.out, r.checkType)
}

func (r *rewriter) appendFuel() {
	r.out = append(r.out, typeI32, 1, 0x41) // mutable i32 = i32.const Interval
	r.out = leb128.AppendS64(r.out, Interval)
	r.out = append(r.out, 0x0b)
}

// sectionReader reads the content of s.
func (r *rewriter) sectionReader(s section) *reader {
	return &reader{b: r.in[:s.end], p: s.start}
}

// begin starts the output copy of s; the caller appends the content and
// calls close.
func (r *rewriter) begin(s section, grow int) span {
	r.out = append(r.out, s.id)
	return r.open(s.end - s.start + grow)
}

// copyFrom appends the input bytes from a to the reader's position.
func (r *rewriter) copyFrom(rd *reader, a int) {
	r.out = append(r.out, rd.b[a:rd.p]...)
}

// vecPlusOne reads a vector length and appends it increased by one.
func (r *rewriter) vecPlusOne(rd *reader) uint32 {
	n := rd.count()
	r.out = leb128.AppendU32(r.out, n+1)
	return n
}

func (r *rewriter) typeSection(s section) error {
	rd := r.sectionReader(s)
	sp := r.begin(s, 4)
	rd.count()
	r.out = leb128.AppendU32(r.out, r.types+1)
	r.out = append(r.out, r.in[rd.p:s.end]...) // checked by scan
	r.appendCheckType()
	return r.close(sp)
}

func (r *rewriter) importSection(s section) error {
	rd := r.sectionReader(s)
	sp := r.begin(s, 32)
	rd.count()
	r.out = leb128.AppendU32(r.out, r.imports+1)
	r.out = append(r.out, r.in[rd.p:s.end]...) // checked by scan
	r.appendCheckImport()
	return r.close(sp)
}

func (r *rewriter) tableSection(s section) error {
	rd := r.sectionReader(s)
	n := rd.count()
	for i := uint32(0); i < n && rd.ok(); i++ {
		if rd.p < len(rd.b) && rd.b[rd.p] == 0x40 {
			rd.fail(ErrUnsupported, "table with an initialiser expression")
			break
		}
		refType(rd)
		limits(rd, false)
	}
	rd.end()
	if rd.err != nil {
		return rd.err
	}
	r.out = append(r.out, r.in[s.head:s.end]...)
	return nil
}

func (r *rewriter) memorySection(s section) error {
	rd := r.sectionReader(s)
	n := rd.count()
	for i := uint32(0); i < n && rd.ok(); i++ {
		limits(rd, false)
	}
	rd.end()
	if rd.err != nil {
		return rd.err
	}
	r.out = append(r.out, r.in[s.head:s.end]...)
	return nil
}

func (r *rewriter) globalSection(s section) error {
	rd := r.sectionReader(s)
	sp := r.begin(s, 8)
	n := r.vecPlusOne(rd)
	for i := uint32(0); i < n && rd.ok(); i++ {
		a := rd.p
		valType(rd)
		mutability(rd)
		r.copyFrom(rd, a)
		r.constExpr(rd, true)
	}
	rd.end()
	if rd.err != nil {
		return rd.err
	}
	r.appendFuel()
	return r.close(sp)
}

func (r *rewriter) exportSection(s section) error {
	rd := r.sectionReader(s)
	sp := r.begin(s, 0)
	n := rd.count()
	r.out = leb128.AppendU32(r.out, n)
	for i := uint32(0); i < n && rd.ok(); i++ {
		a := rd.p
		rd.bytes()
		kind := rd.byte()
		r.copyFrom(rd, a)
		switch kind {
		case kindFunc:
			r.funcIndex(rd)
		case kindTable, kindMemory:
			a := rd.p
			rd.u32()
			r.copyFrom(rd, a)
		case kindGlobal:
			a := rd.p
			if g := rd.u32(); rd.ok() && g >= r.globals {
				rd.fail(ErrInvalid, "export of global %d of %d", g, r.globals)
			}
			r.copyFrom(rd, a)
		case kindTag:
			rd.fail(ErrUnsupported, "tag export")
		default:
			rd.fail(ErrInvalid, "export kind 0x%02x", kind)
		}
	}
	rd.end()
	if rd.err != nil {
		return rd.err
	}
	return r.close(sp)
}

func (r *rewriter) startSection(s section) error {
	rd := r.sectionReader(s)
	sp := r.begin(s, 1)
	r.funcIndex(rd)
	rd.end()
	if rd.err != nil {
		return rd.err
	}
	return r.close(sp)
}

// funcIndex reads a function index, checks it against the original
// function count and appends it shifted past the added import.
func (r *rewriter) funcIndex(rd *reader) {
	f := rd.u32()
	if !rd.ok() {
		return
	}
	if f >= r.funcs {
		rd.fail(ErrInvalid, "function index %d of %d", f, r.funcs)
		return
	}
	if f >= r.funcImports {
		f++
	}
	r.out = leb128.AppendU32(r.out, f)
}

// funcIndices reads a vector of function indices and appends it shifted.
func (r *rewriter) funcIndices(rd *reader) {
	n := rd.count()
	r.out = leb128.AppendU32(r.out, n)
	for i := uint32(0); i < n && rd.ok(); i++ {
		r.funcIndex(rd)
	}
}

// constExpr copies a constant expression (a global initialiser, a segment
// offset, an element), shifting ref.func and checking global.get. With
// write false it only checks the expression.
func (r *rewriter) constExpr(rd *reader, write bool) {
	a := rd.p
	// Fast path: i32.const n; end, the usual segment offset.
	if rd.err == nil && a < len(rd.b) && rd.b[a] == 0x41 {
		if q, ok := leb128.SkipSigned(rd.b, a+1, 32); ok && q < len(rd.b) && rd.b[q] == 0x0b {
			rd.p = q + 1
			if write {
				r.copyFrom(rd, a)
			}
			return
		}
	}
	for rd.ok() {
		op := rd.byte()
		switch op {
		case 0x0b: // end
			if write {
				r.copyFrom(rd, a)
			}
			return
		case 0x41: // i32.const
			rd.skipSigned(32)
		case 0x42: // i64.const
			rd.skipSigned(64)
		case 0x43: // f32.const
			rd.skip(4)
		case 0x44: // f64.const
			rd.skip(8)
		case 0x23: // global.get
			if g := rd.u32(); rd.ok() && g >= r.globals {
				rd.fail(ErrInvalid, "global.get %d of %d", g, r.globals)
			}
		case 0xd0: // ref.null
			refType(rd)
		case 0xd2: // ref.func
			if write {
				r.copyFrom(rd, a)
				r.funcIndex(rd)
				a = rd.p
			} else if f := rd.u32(); rd.ok() && f >= r.funcs {
				rd.fail(ErrInvalid, "function index %d of %d", f, r.funcs)
			}
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended-const add, sub, mul
		default:
			if rd.ok() {
				rd.fail(ErrUnsupported, "constant expression opcode 0x%02x", op)
			}
		}
	}
}

func (r *rewriter) elementSection(s section) error {
	rd := r.sectionReader(s)
	sp := r.begin(s, 0)
	n := rd.count()
	r.out = leb128.AppendU32(r.out, n)
	for i := uint32(0); i < n && rd.ok(); i++ {
		a := rd.p
		flags := rd.u32()
		if flags > 7 {
			rd.fail(ErrInvalid, "element segment flags 0x%02x", flags)
			break
		}
		if flags&3 == 2 { // explicit table index
			rd.u32()
		}
		r.copyFrom(rd, a)
		if flags&1 == 0 { // active: offset
			r.constExpr(rd, true)
		}
		exprs := flags&4 != 0
		if flags&3 != 0 { // element kind or reference type
			a := rd.p
			if exprs {
				refType(rd)
			} else if k := rd.byte(); rd.ok() && k != 0 {
				rd.fail(ErrInvalid, "element kind 0x%02x", k)
			}
			r.copyFrom(rd, a)
		}
		if !exprs {
			r.funcIndices(rd)
			continue
		}
		m := rd.count()
		r.out = leb128.AppendU32(r.out, m)
		for j := uint32(0); j < m && rd.ok(); j++ {
			r.constExpr(rd, true)
		}
	}
	rd.end()
	if rd.err != nil {
		return rd.err
	}
	return r.close(sp)
}

// dataSection checks the segment offsets and copies the section as it is:
// data segments hold no function index.
func (r *rewriter) dataSection(s section) error {
	rd := r.sectionReader(s)
	n := rd.count()
	for i := uint32(0); i < n && rd.ok(); i++ {
		flags := rd.u32()
		switch flags {
		case 0, 1:
		case 2:
			rd.u32() // memory index
		default:
			rd.fail(ErrInvalid, "data segment flags 0x%02x", flags)
		}
		if flags != 1 {
			r.constExpr(rd, false)
		}
		rd.bytes()
	}
	rd.end()
	if rd.err != nil {
		return rd.err
	}
	r.out = append(r.out, r.in[s.head:s.end]...)
	return nil
}

// custom copies a custom section, rewriting the "name" section.
func (r *rewriter) custom(s section) error {
	rd := r.sectionReader(s)
	name := rd.bytes()
	if rd.err != nil {
		return rd.err
	}
	if string(name) != "name" {
		r.out = append(r.out, r.in[s.head:s.end]...)
		return nil
	}
	sp := r.begin(s, 32)
	r.out = append(r.out, r.in[s.start:rd.p]...)
	for !rd.done() && rd.ok() {
		h := rd.p
		id := rd.byte()
		size := rd.u32()
		if rd.ok() && int64(size) > int64(len(rd.b)-rd.p) {
			rd.fail(ErrInvalid, "name subsection runs past its section")
		}
		if rd.err != nil {
			break
		}
		end := rd.p + int(size)
		sub := &reader{b: rd.b[:end], p: rd.p}
		switch id {
		case 0: // module name
			r.out = append(r.out, rd.b[h:end]...)
			sub.p = end
		case 1: // function names
			r.out = append(r.out, 1)
			ssp := r.open(int(size) + len(checkName) + 2)
			r.functionNames(sub)
			if err := r.close(ssp); err != nil {
				return err
			}
		case 2: // local names
			r.out = append(r.out, 2)
			ssp := r.open(int(size))
			r.localNames(sub)
			if err := r.close(ssp); err != nil {
				return err
			}
		default:
			// Other subsections (labels, types, tables, ...) are
			// dropped: label indices change with the added blocks.
			sub.p = end
		}
		sub.end()
		if sub.err != nil {
			return sub.err
		}
		rd.p = end
	}
	if rd.err != nil {
		return rd.err
	}
	return r.close(sp)
}

// functionNames copies a function name map, shifting its indices and
// naming the added import.
func (r *rewriter) functionNames(rd *reader) {
	n := rd.count()
	r.out = leb128.AppendU32(r.out, n+1)
	named := false
	for i := uint32(0); i < n && rd.ok(); i++ {
		f := rd.u32()
		a := rd.p
		rd.bytes()
		if !rd.ok() {
			return
		}
		if f >= r.funcs {
			rd.fail(ErrInvalid, "name of function %d of %d", f, r.funcs)
			return
		}
		if f >= r.funcImports {
			if !named {
				r.appendCheckName()
				named = true
			}
			f++
		}
		r.out = leb128.AppendU32(r.out, f)
		r.copyFrom(rd, a)
	}
	if !named {
		r.appendCheckName()
	}
}

func (r *rewriter) appendCheckName() {
	r.out = leb128.AppendU32(r.out, r.funcImports)
	r.out = leb128.AppendU32(r.out, uint32(len(checkName)))
	r.out = append(r.out, checkName...)
}

// localNames copies an indirect name map of function indices to local
// names, shifting the function indices.
func (r *rewriter) localNames(rd *reader) {
	n := rd.count()
	r.out = leb128.AppendU32(r.out, n)
	for i := uint32(0); i < n && rd.ok(); i++ {
		r.funcIndex(rd)
		a := rd.p
		m := rd.count()
		for j := uint32(0); j < m && rd.ok(); j++ {
			rd.u32()
			rd.bytes()
		}
		r.copyFrom(rd, a)
	}
}
