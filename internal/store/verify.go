package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
)

// The verifier reads a bbolt file with plain ReadAt calls and checks its
// structure before bbolt maps it. bbolt trusts its pages: a damaged page
// can make it panic, fault on an address past the end of the file, loop on
// a cycle of pages or recurse until the stack overflows, and the last two
// kill the process whatever recover does. Checking the structure first, in
// bounded time and memory, with no unsafe and no mmap, keeps those files
// away from bbolt.
//
// The on-disk format (bbolt v1, format version 2, little-endian):
//
//	page header, 16 bytes: id u64, flags u16, count u16, overflow u32
//	meta (after the header): magic u32, version u32, page_size u32,
//	    flags u32, root bucket {root u64, sequence u64}, freelist u64,
//	    pgid u64 (high water mark), txid u64, checksum u64 (FNV-64a of the
//	    56 bytes before it)
//	branch element, 16 bytes: pos u32, ksize u32, pgid u64
//	leaf element, 16 bytes: flags u32, pos u32, ksize u32, vsize u32
//	    (pos is relative to the element itself; flag 1 marks a bucket,
//	    whose value is {root u64, sequence u64}, followed by an inline
//	    leaf page when root is 0)
//	freelist page: count ids u64; a count of 0xFFFF means the first u64
//	    holds the real count.

const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16
	elemSize         = 16
	metaSize         = 64
	flagBranch       = 0x01
	flagLeaf         = 0x02
	flagMeta         = 0x04
	flagFreelist     = 0x10
	leafFlagBucket   = 0x01
	noFreelist       = ^uint64(0)
	maxTreeDepth     = 64
	minPageSize      = 512
	maxPageSize      = 1 << 24
	ctxCheckInterval = 256
)

// errStructure marks a structural defect found by the verifier.
var errStructure = errors.New("structure")

type meta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	hwm      uint64
	txid     uint64
}

func parseMeta(b []byte) (meta, error) {
	if len(b) < pageHeaderSize+metaSize {
		return meta{}, fmt.Errorf("%w: short meta page", errStructure)
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	le := binary.LittleEndian
	if le.Uint32(m[0:]) != boltMagic {
		return meta{}, fmt.Errorf("%w: bad magic", errStructure)
	}
	if le.Uint32(m[4:]) != boltVersion {
		return meta{}, fmt.Errorf("%w: unsupported version %d", errStructure, le.Uint32(m[4:]))
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:56])
	if h.Sum64() != le.Uint64(m[56:]) {
		return meta{}, fmt.Errorf("%w: meta checksum mismatch", errStructure)
	}
	return meta{
		pageSize: le.Uint32(m[8:]),
		root:     le.Uint64(m[16:]),
		freelist: le.Uint64(m[32:]),
		hwm:      le.Uint64(m[40:]),
		txid:     le.Uint64(m[48:]),
	}, nil
}

// verifier walks one file. Memory is bounded by one bit per page below the
// high water mark plus one page buffer per tree level.
type verifier struct {
	r        io.ReaderAt
	size     int64
	pageSize int64
	hwm      uint64
	seen     []uint64 // bitset of pages referenced so far
	pages    int
	ctx      context.Context
}

// verifyFile checks the structure of the bbolt file read through r, of
// the given size. It returns nil for a sound file, an error wrapping
// errStructure for a damaged one, and ctx's error when ctx ends first.
// preferTxid, when not zero, selects the meta page of that transaction if
// it is valid (used by Check under an open read transaction).
func verifyFile(ctx context.Context, r io.ReaderAt, size int64, preferTxid uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if size < 2*minPageSize {
		return fmt.Errorf("%w: file of %d bytes is too small", errStructure, size)
	}
	m, err := chooseMeta(r, size, preferTxid)
	if err != nil {
		return err
	}
	ps := int64(m.pageSize)
	if m.hwm < 2 || m.root < 2 || m.root >= m.hwm {
		return fmt.Errorf("%w: meta root %d outside [2, %d)", errStructure, m.root, m.hwm)
	}
	if m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.hwm) {
		return fmt.Errorf("%w: meta freelist %d outside [2, %d)", errStructure, m.freelist, m.hwm)
	}
	// A sound file reaches its high water mark (pages are written before
	// the meta that counts them); allow one page of slack.
	if m.hwm > uint64(size/ps)+1 || m.hwm > 1<<40 {
		return fmt.Errorf("%w: high water mark %d past the end of a %d-byte file", errStructure, m.hwm, size)
	}
	v := &verifier{r: r, size: size, pageSize: ps, hwm: m.hwm, seen: make([]uint64, (m.hwm+63)/64), ctx: ctx}
	v.mark(0)
	v.mark(1)
	var freed []uint64
	if m.freelist != noFreelist {
		if freed, err = v.freelist(m.freelist); err != nil {
			return err
		}
	}
	if err := v.tree(m.root, nil, nil, 0); err != nil {
		return err
	}
	for _, id := range freed {
		if v.marked(id) {
			return fmt.Errorf("%w: page %d is both free and in use", errStructure, id)
		}
	}
	return nil
}

// chooseMeta picks the meta page bbolt would use: the valid one with the
// highest txid.
func chooseMeta(r io.ReaderAt, size int64, preferTxid uint64) (meta, error) {
	buf := make([]byte, pageHeaderSize+metaSize)
	var metas []meta
	var firstErr error
	add := func(off int64) (meta, bool) {
		if _, err := r.ReadAt(buf, off); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%w: read meta: %v", errStructure, err)
			}
			return meta{}, false
		}
		m, err := parseMeta(buf)
		if err == nil {
			ps := int64(m.pageSize)
			if ps < minPageSize || ps > maxPageSize || ps&(ps-1) != 0 {
				err = fmt.Errorf("%w: page size %d", errStructure, ps)
			}
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return meta{}, false
		}
		return m, true
	}
	m0, ok0 := add(0)
	if ok0 {
		metas = append(metas, m0)
		if m1, ok := add(int64(m0.pageSize)); ok && m1.pageSize == m0.pageSize {
			metas = append(metas, m1)
		}
	} else {
		// Page 0 is unreadable: find meta 1 as bbolt does, trying each
		// page size.
		for ps := int64(1024); ps <= maxPageSize && ps < size-1024; ps <<= 1 {
			if m1, ok := add(ps); ok && int64(m1.pageSize) == ps {
				metas = append(metas, m1)
				break
			}
		}
	}
	if len(metas) == 0 {
		if firstErr == nil {
			firstErr = fmt.Errorf("%w: no valid meta page", errStructure)
		}
		return meta{}, firstErr
	}
	best := metas[0]
	for _, m := range metas[1:] {
		if m.txid > best.txid {
			best = m
		}
	}
	if preferTxid != 0 {
		for _, m := range metas {
			if m.txid == preferTxid {
				best = m
			}
		}
	}
	return best, nil
}

func (v *verifier) mark(id uint64) { v.seen[id/64] |= 1 << (id % 64) }

func (v *verifier) marked(id uint64) bool { return v.seen[id/64]&(1<<(id%64)) != 0 }

// page reads page id with its overflow pages, checking its header, and
// marks every page it spans as referenced.
func (v *verifier) page(id uint64, wantFlags uint16) ([]byte, error) {
	v.pages++
	if v.pages%ctxCheckInterval == 0 {
		if err := v.ctx.Err(); err != nil {
			return nil, err
		}
	}
	if id < 2 || id >= v.hwm {
		return nil, fmt.Errorf("%w: page %d outside [2, %d)", errStructure, id, v.hwm)
	}
	var hdr [pageHeaderSize]byte
	off := int64(id) * v.pageSize
	if _, err := v.r.ReadAt(hdr[:], off); err != nil {
		return nil, fmt.Errorf("%w: read page %d: %v", errStructure, id, err)
	}
	le := binary.LittleEndian
	if got := le.Uint64(hdr[0:]); got != id {
		return nil, fmt.Errorf("%w: page %d says it is page %d", errStructure, id, got)
	}
	flags := le.Uint16(hdr[8:])
	if flags != wantFlags && !(wantFlags == flagBranch|flagLeaf && (flags == flagBranch || flags == flagLeaf)) {
		return nil, fmt.Errorf("%w: page %d has flags %#x", errStructure, id, flags)
	}
	overflow := uint64(le.Uint32(hdr[12:]))
	if id+overflow >= v.hwm {
		return nil, fmt.Errorf("%w: page %d overflows past the high water mark", errStructure, id)
	}
	for i := uint64(0); i <= overflow; i++ {
		if v.marked(id + i) {
			return nil, fmt.Errorf("%w: page %d referenced twice", errStructure, id+i)
		}
		v.mark(id + i)
	}
	n := int64(overflow+1) * v.pageSize
	if off+n > v.size {
		return nil, fmt.Errorf("%w: page %d extends past the end of the file", errStructure, id)
	}
	buf := make([]byte, n)
	if _, err := v.r.ReadAt(buf, off); err != nil {
		return nil, fmt.Errorf("%w: read page %d: %v", errStructure, id, err)
	}
	return buf, nil
}

func (v *verifier) freelist(id uint64) ([]uint64, error) {
	p, err := v.page(id, flagFreelist)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	count := uint64(le.Uint16(p[10:]))
	start := int64(pageHeaderSize)
	if count == 0xFFFF {
		if len(p) < pageHeaderSize+8 {
			return nil, fmt.Errorf("%w: short freelist page", errStructure)
		}
		count = le.Uint64(p[pageHeaderSize:])
		start += 8
	}
	if count > uint64(len(p)-int(start))/8 {
		return nil, fmt.Errorf("%w: freelist count %d does not fit its page", errStructure, count)
	}
	ids := make([]uint64, count)
	dup := make([]uint64, len(v.seen))
	for i := range ids {
		x := le.Uint64(p[start+int64(i)*8:])
		if x < 2 || x >= v.hwm {
			return nil, fmt.Errorf("%w: free page %d outside [2, %d)", errStructure, x, v.hwm)
		}
		if dup[x/64]&(1<<(x%64)) != 0 {
			return nil, fmt.Errorf("%w: page %d freed twice", errStructure, x)
		}
		dup[x/64] |= 1 << (x % 64)
		ids[i] = x
	}
	return ids, nil
}

type elem struct {
	flags uint32
	key   []byte
	val   []byte // leaf
	child uint64 // branch
}

// elems decodes the elements of a branch or leaf page held in p (a page
// read from the file, or an inline bucket's page).
func elems(p []byte, leaf bool) ([]elem, error) {
	if len(p) < pageHeaderSize {
		return nil, fmt.Errorf("%w: short page", errStructure)
	}
	le := binary.LittleEndian
	count := int(le.Uint16(p[10:]))
	if pageHeaderSize+count*elemSize > len(p) {
		return nil, fmt.Errorf("%w: %d elements do not fit a %d-byte page", errStructure, count, len(p))
	}
	out := make([]elem, count)
	// bbolt writes element data back to back after the element table,
	// in order. Requiring that (no overlap) keeps the total of key bytes
	// compared below the page size, whatever the offsets say.
	end := uint64(pageHeaderSize + count*elemSize)
	for i := range out {
		at := pageHeaderSize + i*elemSize
		e := p[at : at+elemSize]
		var pos, ksize, vsize uint64
		if leaf {
			out[i].flags = le.Uint32(e[0:])
			pos, ksize, vsize = uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
		} else {
			pos, ksize = uint64(le.Uint32(e[0:])), uint64(le.Uint32(e[4:]))
			out[i].child = le.Uint64(e[8:])
		}
		ks := uint64(at) + pos
		if ks < end || ks+ksize+vsize > uint64(len(p)) {
			return nil, fmt.Errorf("%w: element %d overlaps or runs past its page", errStructure, i)
		}
		end = ks + ksize + vsize
		out[i].key = p[ks : ks+ksize]
		out[i].val = p[ks+ksize : ks+ksize+vsize]
		if i > 0 && bytes.Compare(out[i-1].key, out[i].key) >= 0 {
			return nil, fmt.Errorf("%w: keys out of order", errStructure)
		}
	}
	return out, nil
}

// tree checks the subtree rooted at page id, whose keys must lie in
// [lo, hi) (nil: unbounded).
func (v *verifier) tree(id uint64, lo, hi []byte, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("%w: tree deeper than %d", errStructure, maxTreeDepth)
	}
	p, err := v.page(id, flagBranch|flagLeaf)
	if err != nil {
		return err
	}
	leaf := binary.LittleEndian.Uint16(p[8:]) == flagLeaf
	es, err := elems(p, leaf)
	if err != nil {
		return fmt.Errorf("page %d: %w", id, err)
	}
	if len(es) == 0 && !leaf {
		return fmt.Errorf("%w: empty branch page %d", errStructure, id)
	}
	for i, e := range es {
		if (lo != nil && bytes.Compare(e.key, lo) < 0) || (hi != nil && bytes.Compare(e.key, hi) >= 0) {
			return fmt.Errorf("%w: page %d: key outside its parent's range", errStructure, id)
		}
		if !leaf {
			next := hi
			if i+1 < len(es) {
				next = es[i+1].key
			}
			if err := v.tree(e.child, e.key, next, depth+1); err != nil {
				return err
			}
			continue
		}
		if e.flags&leafFlagBucket != 0 {
			if err := v.bucket(e.val, depth); err != nil {
				return fmt.Errorf("bucket %q: %w", e.key, err)
			}
		}
	}
	return nil
}

// bucket checks a bucket value: a root page id, or an inline leaf page.
func (v *verifier) bucket(val []byte, depth int) error {
	if len(val) < 16 {
		return fmt.Errorf("%w: bucket value of %d bytes", errStructure, len(val))
	}
	root := binary.LittleEndian.Uint64(val)
	if root != 0 {
		return v.tree(root, nil, nil, depth+1)
	}
	// An inline bucket: a leaf page stored in the value itself.
	inline := val[16:]
	if len(inline) < pageHeaderSize || binary.LittleEndian.Uint16(inline[8:]) != flagLeaf {
		return fmt.Errorf("%w: bad inline bucket", errStructure)
	}
	es, err := elems(inline, true)
	if err != nil {
		return err
	}
	// bbolt inlines only buckets without sub-buckets. Refusing them here
	// also keeps the walk linear: inline values can overlap, and nested
	// ones could otherwise be walked an exponential number of times.
	for _, e := range es {
		if e.flags&leafFlagBucket != 0 {
			return fmt.Errorf("%w: bucket nested in an inline bucket", errStructure)
		}
	}
	return nil
}
