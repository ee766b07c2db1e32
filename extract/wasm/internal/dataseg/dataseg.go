// Package dataseg merges the active data segments of a WebAssembly module.
//
// The Go toolchain writes one data segment per run of non-zero bytes of
// the program's initial memory: about 50,000 for riptide's default guest,
// most of them separated by a few zero bytes. A runtime decodes and
// allocates every segment on each load, even when the compiled code comes
// from its cache. Merging the segments that lie within a few bytes of each
// other, the zeros between them written out, leaves the initial memory
// exactly as it was and cuts the load of the default guest by about 5 ms.
package dataseg

import (
	"errors"
	"fmt"
	"slices"

	"github.com/riptide-go/riptide/internal/leb128"
)

// Errors of Merge.
var (
	// ErrInvalid: the input is not a well-formed module.
	ErrInvalid = errors.New("dataseg: invalid webassembly module")
	// ErrUnsupported: the module has data segments Merge leaves alone
	// (passive ones, another memory, an offset that is not a constant,
	// segments that overlap). The caller keeps the module as it is.
	ErrUnsupported = errors.New("dataseg: data segments not mergeable")
)

// DefaultGap is the gap the default guest's segments are merged across: it
// takes the Go linker's 50,000 segments to about 270, for 0.5 MB of zeros
// in the module.
const DefaultGap = 32

const (
	sectionData      = 11
	sectionDataCount = 12
)

// section is one section of a module: its id, and where it, its body and
// its end are in the module.
type section struct {
	id        byte
	start, at int
	end       int
}

// sections splits module into its sections, checking the header and
// that every section fits.
func sections(module []byte) ([]section, error) {
	if len(module) < 8 || string(module[:4]) != "\x00asm" || string(module[4:8]) != "\x01\x00\x00\x00" {
		return nil, fmt.Errorf("%w: no module header", ErrInvalid)
	}
	var out []section
	for p := 8; p < len(module); {
		size, q, ok := leb128.U32(module, p+1)
		if !ok || uint64(q)+uint64(size) > uint64(len(module)) {
			return nil, fmt.Errorf("%w: section at %#x runs past the end", ErrInvalid, p)
		}
		out = append(out, section{id: module[p], start: p, at: q, end: q + int(size)})
		p = q + int(size)
	}
	return out, nil
}

type segment struct {
	offset uint32
	data   []byte
}

// Merge returns module with every two active data segments whose gap is at
// most maxGap bytes made one, the gap filled with zeros. The initial
// memory the module describes is unchanged, and so is every other section
// (but the data count, which follows the number of segments). A negative
// maxGap is 0: only adjacent segments are merged. module is not modified.
func Merge(module []byte, maxGap int) ([]byte, error) {
	maxGap = max(maxGap, 0)
	secs, err := sections(module)
	if err != nil {
		return nil, err
	}
	var segs []segment
	declared, found := -1, -1 // the data count section's count; segments found
	for _, s := range secs {
		switch s.id {
		case sectionData:
			if found >= 0 {
				return nil, fmt.Errorf("%w: two data sections", ErrInvalid)
			}
			if segs, err = readSegments(module[s.at:s.end]); err != nil {
				return nil, err
			}
			found = len(segs)
			segs = merge(segs, maxGap)
		case sectionDataCount:
			if declared >= 0 {
				return nil, fmt.Errorf("%w: two data count sections", ErrInvalid)
			}
			n, end, ok := leb128.U32(module, s.at)
			if !ok || end != s.end {
				return nil, fmt.Errorf("%w: data count section", ErrInvalid)
			}
			declared = int(n)
		}
	}
	if declared >= 0 && declared != max(found, 0) {
		// Left as it is, the module stays as invalid as it came.
		return nil, fmt.Errorf("%w: data count %d for %d segments", ErrInvalid, declared, found)
	}
	out := make([]byte, 0, len(module)+len(module)/4)
	out = append(out, module[:8]...)
	for _, s := range secs {
		switch s.id {
		case sectionData:
			out = appendSection(out, sectionData, encodeSegments(segs))
		case sectionDataCount:
			out = appendSection(out, sectionDataCount, leb128.AppendU32(nil, uint32(len(segs))))
		default:
			out = append(out, module[s.start:s.end]...)
		}
	}
	return out, nil
}

// readSegments decodes a data section whose segments are all active, in
// memory 0, at constant offsets, and pairwise disjoint.
func readSegments(b []byte) ([]segment, error) {
	n, p, ok := leb128.U32(b, 0)
	if !ok || uint64(n) > uint64(len(b)) {
		return nil, fmt.Errorf("%w: data segment count", ErrInvalid)
	}
	segs := make([]segment, 0, n)
	for i := range n {
		var flag uint32
		if flag, p, ok = leb128.U32(b, p); !ok {
			return nil, fmt.Errorf("%w: data segment %d", ErrInvalid, i)
		}
		if flag != 0 {
			return nil, fmt.Errorf("%w: data segment %d has kind %d", ErrUnsupported, i, flag)
		}
		if p >= len(b) || b[p] != 0x41 { // i32.const
			return nil, fmt.Errorf("%w: data segment %d offset is not an i32 constant", ErrUnsupported, i)
		}
		var off int64
		if off, p, ok = leb128.Signed(b, p+1, 32); !ok || p >= len(b) {
			return nil, fmt.Errorf("%w: data segment %d offset", ErrInvalid, i)
		}
		if b[p] != 0x0b { // end
			return nil, fmt.Errorf("%w: data segment %d offset is not a single constant", ErrUnsupported, i)
		}
		var size uint32
		if size, p, ok = leb128.U32(b, p+1); !ok || uint64(p)+uint64(size) > uint64(len(b)) {
			return nil, fmt.Errorf("%w: data segment %d runs past its section", ErrInvalid, i)
		}
		segs = append(segs, segment{offset: uint32(off), data: b[p : p+int(size)]})
		p += int(size)
	}
	if p != len(b) {
		return nil, fmt.Errorf("%w: %d bytes after the last data segment", ErrInvalid, len(b)-p)
	}
	sorted := slices.Clone(segs)
	slices.SortStableFunc(sorted, func(a, b segment) int {
		if a.offset < b.offset {
			return -1
		}
		if a.offset > b.offset {
			return 1
		}
		return 0
	})
	for i := 1; i < len(sorted); i++ {
		prev := sorted[i-1]
		if uint64(prev.offset)+uint64(len(prev.data)) > uint64(sorted[i].offset) {
			return nil, fmt.Errorf("%w: data segments at %#x and %#x overlap", ErrUnsupported, prev.offset, sorted[i].offset)
		}
	}
	return sorted, nil
}

// merge joins sorted, disjoint segments whose gap is at most maxGap. The
// result owns the bytes of every segment it grew; the others still alias
// the module.
func merge(segs []segment, maxGap int) []segment {
	var out []segment
	owned := false // whether out's last segment has its own buffer
	for _, s := range segs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			end := uint64(last.offset) + uint64(len(last.data))
			if gap := uint64(s.offset) - end; gap <= uint64(maxGap) {
				if !owned {
					last.data = slices.Clone(last.data)
					owned = true
				}
				last.data = append(last.data, make([]byte, gap)...)
				last.data = append(last.data, s.data...)
				continue
			}
		}
		out = append(out, s)
		owned = false
	}
	return out
}

func encodeSegments(segs []segment) []byte {
	b := leb128.AppendU32(nil, uint32(len(segs)))
	for _, s := range segs {
		b = append(b, 0x00, 0x41) // active, memory 0; i32.const
		b = leb128.AppendS64(b, int64(int32(s.offset)))
		b = append(b, 0x0b) // end
		b = leb128.AppendU32(b, uint32(len(s.data)))
		b = append(b, s.data...)
	}
	return b
}

func appendSection(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = leb128.AppendU32(out, uint32(len(body)))
	return append(out, body...)
}
