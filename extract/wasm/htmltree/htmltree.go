// Package htmltree is the binary form in which the WebAssembly host hands
// a guest a parsed page: a tree of [html.Node] flattened so that the guest
// rebuilds it with three allocations, whatever its size.
//
// Parsing HTML is most of the work of an extraction, and Go code compiled
// to WebAssembly runs it about nine times slower than natively; a guest
// that declares the format in its info gets the tree the host parsed
// natively, alongside the page. The format is specified in ABI.md
// ("Parsed tree"); in short, all integers little-endian u32:
//
//	header   "RTT1", node count N, attribute count A, string bytes S
//	N nodes  type, parent, atom, data (offset, length),
//	         namespace (offset, length), attribute count    8 words each
//	A attrs  namespace, key, val (offset, length each)     6 words each
//	S bytes  the strings the offsets point into
//
// Nodes come in document order (a node before its children, children in
// order), so node 0 is the root and every other node's parent is an
// earlier node; each node's attributes follow those of the node before.
package htmltree

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Version is the format version a guest declares in its info ("tree": 1).
const Version = 1

const (
	magic      = "RTT1"
	headerSize = 16
	nodeSize   = 8 * 4
	attrSize   = 6 * 4
	noParent   = math.MaxUint32
)

// ErrFormat is wrapped by every error Decode returns.
var ErrFormat = errors.New("htmltree: malformed tree")

// ErrTooLarge is returned by Append for a tree whose encoding would not fit
// the format's 32-bit offsets.
var ErrTooLarge = errors.New("htmltree: tree too large")

// Append appends the encoding of the tree under root to b.
func Append(b []byte, root *html.Node) ([]byte, error) {
	e, err := NewEncoder(root)
	if err != nil {
		return b, err
	}
	n := len(b)
	b = append(b, make([]byte, e.Len())...)
	e.Encode(b[n:])
	return b, nil
}

// An Encoder writes one tree, measured beforehand, so that the encoding can
// go straight into a buffer of the right size (such as a guest's memory).
type Encoder struct {
	root               *html.Node
	nodes, attrs, strs int
}

// NewEncoder measures the tree under root. The tree must not change until
// Encode is done. A tree whose encoding would pass the format's 32-bit
// offsets gives [ErrTooLarge].
func NewEncoder(root *html.Node) (*Encoder, error) {
	e := &Encoder{root: root}
	walk(root, func(n *html.Node, _ int) {
		e.nodes++
		e.attrs += len(n.Attr)
		e.strs += len(n.Data) + len(n.Namespace)
		for _, a := range n.Attr {
			e.strs += len(a.Namespace) + len(a.Key) + len(a.Val)
		}
	})
	if size := uint64(e.Len()); size > math.MaxUint32 {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, size)
	}
	return e, nil
}

// Len is the size of the encoding, in bytes.
func (e *Encoder) Len() int {
	return headerSize + e.nodes*nodeSize + e.attrs*attrSize + e.strs
}

// Encode writes the encoding to dst, which must be Len bytes long (Encode
// panics otherwise, as a write past a slice would).
func (e *Encoder) Encode(dst []byte) {
	if len(dst) != e.Len() {
		panic(fmt.Sprintf("htmltree: Encode into %d bytes, want %d", len(dst), e.Len()))
	}
	copy(dst, magic)
	le := binary.LittleEndian
	le.PutUint32(dst[4:], uint32(e.nodes))
	le.PutUint32(dst[8:], uint32(e.attrs))
	le.PutUint32(dst[12:], uint32(e.strs))
	w := writer{
		out:   dst,
		node:  headerSize,
		attr:  headerSize + e.nodes*nodeSize,
		sbase: headerSize + e.nodes*nodeSize + e.attrs*attrSize,
	}
	w.sp = w.sbase
	walk(e.root, w.put)
}

// walk calls visit for root and every node under it in document order,
// with the number of the node's parent in that order (-1 for root). It
// keeps no stack but the parents' numbers, so any depth is fine.
func walk(root *html.Node, visit func(n *html.Node, parent int)) {
	var parents []int // numbers of the open ancestors of n
	i := 0
	n := root
	for {
		parent := -1
		if len(parents) > 0 {
			parent = parents[len(parents)-1]
		}
		visit(n, parent)
		if n.FirstChild != nil {
			parents = append(parents, i)
			n = n.FirstChild
			i++
			continue
		}
		i++
		for n != root && n.NextSibling == nil {
			n = n.Parent
			parents = parents[:len(parents)-1]
		}
		if n == root {
			return
		}
		n = n.NextSibling
	}
}

// writer fills the three sections of one tree.
type writer struct {
	out        []byte
	node, attr int // next record's offset
	sbase, sp  int // start of the strings, next string's offset
}

func (e *writer) put(n *html.Node, parent int) {
	le := binary.LittleEndian
	r := e.out[e.node : e.node+nodeSize]
	le.PutUint32(r[0:], uint32(n.Type))
	if parent < 0 {
		le.PutUint32(r[4:], noParent)
	} else {
		le.PutUint32(r[4:], uint32(parent))
	}
	le.PutUint32(r[8:], uint32(n.DataAtom))
	e.str(r[12:], n.Data)
	e.str(r[20:], n.Namespace)
	le.PutUint32(r[28:], uint32(len(n.Attr)))
	e.node += nodeSize
	for _, a := range n.Attr {
		r := e.out[e.attr : e.attr+attrSize]
		e.str(r[0:], a.Namespace)
		e.str(r[8:], a.Key)
		e.str(r[16:], a.Val)
		e.attr += attrSize
	}
}

// str copies s into the string section and writes its offset and length
// at r.
func (e *writer) str(r []byte, s string) {
	binary.LittleEndian.PutUint32(r, uint32(e.sp-e.sbase))
	binary.LittleEndian.PutUint32(r[4:], uint32(len(s)))
	e.sp += copy(e.out[e.sp:], s)
}

// Decode rebuilds the tree b encodes and returns its root. The tree's
// strings are one copy of b's string section, so b may be reused once
// Decode returns. A malformed b gives an error wrapping [ErrFormat], never
// a panic or a tree with a cycle.
func Decode(b []byte) (*html.Node, error) {
	le := binary.LittleEndian
	if len(b) < headerSize || string(b[:4]) != magic {
		return nil, fmt.Errorf("%w: no header", ErrFormat)
	}
	n, na, ns := uint64(le.Uint32(b[4:])), uint64(le.Uint32(b[8:])), uint64(le.Uint32(b[12:]))
	if n == 0 || headerSize+n*nodeSize+na*attrSize+ns != uint64(len(b)) {
		return nil, fmt.Errorf("%w: %d nodes, %d attributes and %d string bytes do not make %d bytes", ErrFormat, n, na, ns, len(b))
	}
	recs := b[headerSize : headerSize+n*nodeSize]
	arecs := b[headerSize+n*nodeSize : headerSize+n*nodeSize+na*attrSize]
	strs := string(b[headerSize+n*nodeSize+na*attrSize:])
	nodes := make([]html.Node, n)
	attrs := make([]html.Attribute, na)
	var ok bool
	for i := range nodes {
		r := recs[i*nodeSize : i*nodeSize+nodeSize]
		nd := &nodes[i]
		typ := le.Uint32(r)
		if typ > uint32(html.RawNode) || typ == uint32(html.ErrorNode) {
			return nil, fmt.Errorf("%w: node %d has type %d", ErrFormat, i, typ)
		}
		nd.Type = html.NodeType(typ)
		nd.DataAtom = atom.Atom(le.Uint32(r[8:]))
		if nd.Data, ok = sub(strs, r[12:]); !ok {
			return nil, fmt.Errorf("%w: node %d's data is out of bounds", ErrFormat, i)
		}
		if nd.Namespace, ok = sub(strs, r[20:]); !ok {
			return nil, fmt.Errorf("%w: node %d's namespace is out of bounds", ErrFormat, i)
		}
		if k := uint64(le.Uint32(r[28:])); k > 0 {
			if k > uint64(len(arecs)/attrSize) {
				return nil, fmt.Errorf("%w: node %d has more attributes than are left", ErrFormat, i)
			}
			nd.Attr = attrs[:k:k]
			for j := range nd.Attr {
				a := &nd.Attr[j]
				ar := arecs[j*attrSize : j*attrSize+attrSize]
				ns, ok1 := sub(strs, ar)
				key, ok2 := sub(strs, ar[8:])
				val, ok3 := sub(strs, ar[16:])
				if !ok1 || !ok2 || !ok3 {
					return nil, fmt.Errorf("%w: an attribute of node %d is out of bounds", ErrFormat, i)
				}
				a.Namespace, a.Key, a.Val = ns, key, val
			}
			attrs, arecs = attrs[k:], arecs[k*attrSize:]
		}
		p := le.Uint32(r[4:])
		if i == 0 {
			if p != noParent {
				return nil, fmt.Errorf("%w: the root has a parent", ErrFormat)
			}
			continue
		}
		if uint64(p) >= uint64(i) {
			return nil, fmt.Errorf("%w: node %d's parent %d does not come before it", ErrFormat, i, p)
		}
		parent := &nodes[p]
		nd.Parent = parent
		if last := parent.LastChild; last != nil {
			last.NextSibling, nd.PrevSibling = nd, last
		} else {
			parent.FirstChild = nd
		}
		parent.LastChild = nd
	}
	if len(arecs) != 0 {
		return nil, fmt.Errorf("%w: %d attributes belong to no node", ErrFormat, len(arecs)/attrSize)
	}
	return &nodes[0], nil
}

// sub returns the string r's offset and length (two u32) select in strs.
func sub(strs string, r []byte) (string, bool) {
	off, n := uint64(binary.LittleEndian.Uint32(r)), uint64(binary.LittleEndian.Uint32(r[4:]))
	if off+n > uint64(len(strs)) {
		return "", false
	}
	return strs[off : off+n], true
}
