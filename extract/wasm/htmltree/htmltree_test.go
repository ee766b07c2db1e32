package htmltree

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/riptide-go/riptide/internal/extractbench"
	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

var pages = []string{
	``,
	`<p>one`,
	`<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html lang=en><head><title>T</title>` +
		`<meta charset=utf-8><script type="application/ld+json">{"@type":"Article"}</script></head>` +
		`<body class="a b"><!-- note --><div id=x data-y="&quot;q&quot;"><p>Hello <b>bold <i>both</b> italic</i></p>` +
		`<table><tr><td>1<td>2</table><svg viewBox="0 0 1 1" xlink:href="#u"><foreignObject><p>in svg</p></foreignObject></svg>` +
		`<math><mi>x</mi></math><template><span>t</span></template><custom-el a=1 a=2>é ☃ 😀</custom-el></div></body></html>`,
	strings.Repeat("<div>", 500) + "deep" + strings.Repeat("</div>", 500),
	"<p>nul \x00 and \r\n lines</p><textarea>\n x</textarea><pre>\n\ny</pre>",
}

// same fails the test unless the trees under a and b are equal node for
// node, links included.
func same(t testing.TB, a, b *html.Node) {
	t.Helper()
	var na, nb []*html.Node
	walk(a, func(n *html.Node, _ int) { na = append(na, n) })
	walk(b, func(n *html.Node, _ int) { nb = append(nb, n) })
	require.Equal(t, len(na), len(nb), "node count")
	index := func(list []*html.Node) map[*html.Node]int {
		m := make(map[*html.Node]int, len(list))
		for i, n := range list {
			m[n] = i
		}
		m[nil] = -1
		return m
	}
	ia, ib := index(na), index(nb)
	for i := range na {
		x, y := na[i], nb[i]
		require.Equal(t, x.Type, y.Type, "node %d", i)
		require.Equal(t, x.DataAtom, y.DataAtom, "node %d", i)
		require.Equal(t, x.Data, y.Data, "node %d", i)
		require.Equal(t, x.Namespace, y.Namespace, "node %d", i)
		require.Equal(t, len(x.Attr), len(y.Attr), "node %d", i)
		for j := range x.Attr {
			require.Equal(t, x.Attr[j], y.Attr[j], "node %d attr %d", i, j)
		}
		if i > 0 {
			require.Equal(t, ia[x.Parent], ib[y.Parent], "node %d parent", i)
		}
		require.Equal(t, ia[x.FirstChild], ib[y.FirstChild], "node %d first child", i)
		require.Equal(t, ia[x.LastChild], ib[y.LastChild], "node %d last child", i)
		require.Equal(t, ia[x.PrevSibling], ib[y.PrevSibling], "node %d previous sibling", i)
		require.Equal(t, ia[x.NextSibling], ib[y.NextSibling], "node %d next sibling", i)
	}
	require.Nil(t, b.Parent)
}

func roundTrip(t testing.TB, page string) {
	t.Helper()
	root, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	enc, err := Append([]byte("prefix"), root)
	require.NoError(t, err)
	require.Equal(t, "prefix", string(enc[:6]))
	got, err := Decode(enc[6:])
	require.NoError(t, err)
	same(t, root, got)
	var w1, w2 bytes.Buffer
	require.NoError(t, html.Render(&w1, root))
	require.NoError(t, html.Render(&w2, got))
	require.Equal(t, w1.String(), w2.String())
	// Decode keeps nothing of its input.
	clear(enc)
	same(t, root, got)
}

func TestRoundTrip(t *testing.T) {
	for _, p := range pages {
		roundTrip(t, p)
	}
}

// TestRoundTripBench runs every page of the extraction benchmark through
// the format.
func TestRoundTripBench(t *testing.T) {
	pages, err := extractbench.LoadPages(testenv.BenchDir(t))
	require.NoError(t, err)
	require.NotEmpty(t, pages)
	for _, p := range pages {
		roundTrip(t, string(p.HTML))
	}
}

// TestDeep encodes a tree far deeper than the parser builds: Append keeps
// no call stack per level.
func TestDeep(t *testing.T) {
	root := &html.Node{Type: html.DocumentNode}
	n := root
	for i := range 30_000 {
		c := &html.Node{Type: html.ElementNode, DataAtom: atom.Div, Data: "div"}
		if i%2 == 1 {
			n.AppendChild(&html.Node{Type: html.TextNode, Data: "x"})
		}
		n.AppendChild(c)
		n = c
	}
	enc, err := Append(nil, root)
	require.NoError(t, err)
	got, err := Decode(enc)
	require.NoError(t, err)
	same(t, root, got)
}

// TestSubtree encodes a node that is not a document: it becomes the root,
// without its parent or siblings.
func TestSubtree(t *testing.T) {
	root, err := html.Parse(strings.NewReader(`<div><p id=a>x<i>y</i></p><p>z</p></div>`))
	require.NoError(t, err)
	var p *html.Node
	walk(root, func(n *html.Node, _ int) {
		if p == nil && n.DataAtom == atom.P {
			p = n
		}
	})
	enc, err := Append(nil, p)
	require.NoError(t, err)
	got, err := Decode(enc)
	require.NoError(t, err)
	require.Nil(t, got.NextSibling)
	var w1, w2 bytes.Buffer
	require.NoError(t, html.Render(&w1, p))
	require.NoError(t, html.Render(&w2, got))
	require.Equal(t, `<p id="a">x<i>y</i></p>`, w2.String())
	require.Equal(t, w1.String(), w2.String())
}

func TestDecodeMalformed(t *testing.T) {
	root, err := html.Parse(strings.NewReader(`<p class=c>text</p>`))
	require.NoError(t, err)
	good, err := Append(nil, root)
	require.NoError(t, err)
	le := binary.LittleEndian
	n := int(le.Uint32(good[4:]))
	firstAttr := headerSize + n*nodeSize
	mutate := func(f func(b []byte) []byte) []byte {
		return f(bytes.Clone(good))
	}
	cases := map[string][]byte{
		"empty":        nil,
		"bad magic":    mutate(func(b []byte) []byte { b[0] = 'X'; return b }),
		"truncated":    good[:len(good)-1],
		"extra byte":   append(bytes.Clone(good), 0),
		"no nodes":     mutate(func(b []byte) []byte { le.PutUint32(b[4:], 0); return b[:headerSize] }),
		"huge counts":  mutate(func(b []byte) []byte { le.PutUint32(b[4:], 1<<31); le.PutUint32(b[8:], 1<<31); return b }),
		"root parent":  mutate(func(b []byte) []byte { le.PutUint32(b[headerSize+4:], 0); return b }),
		"self parent":  mutate(func(b []byte) []byte { le.PutUint32(b[headerSize+nodeSize+4:], 1); return b }),
		"later parent": mutate(func(b []byte) []byte { le.PutUint32(b[headerSize+nodeSize+4:], 3); return b }),
		"error type":   mutate(func(b []byte) []byte { le.PutUint32(b[headerSize+nodeSize:], 0); return b }),
		"unknown type": mutate(func(b []byte) []byte { le.PutUint32(b[headerSize+nodeSize:], 99); return b }),
		"data past end": mutate(func(b []byte) []byte {
			le.PutUint32(b[headerSize+nodeSize+12:], 1<<30)
			return b
		}),
		"data length wraps": mutate(func(b []byte) []byte {
			le.PutUint32(b[headerSize+nodeSize+12:], 1)
			le.PutUint32(b[headerSize+nodeSize+16:], 0xffffffff)
			return b
		}),
		"attribute past end": mutate(func(b []byte) []byte { le.PutUint32(b[firstAttr+16:], 1<<30); return b }),
		"too many attributes": mutate(func(b []byte) []byte {
			for i := range n {
				le.PutUint32(b[headerSize+i*nodeSize+28:], 2)
			}
			return b
		}),
		"orphan attributes": mutate(func(b []byte) []byte {
			for i := range n {
				le.PutUint32(b[headerSize+i*nodeSize+28:], 0)
			}
			return b
		}),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			root, err := Decode(b)
			require.ErrorIs(t, err, ErrFormat)
			require.Nil(t, root)
		})
	}
	_, err = Decode(good)
	require.NoError(t, err, "the unmutated tree decodes")
}

func FuzzRoundTrip(f *testing.F) {
	for _, p := range pages {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, page string) {
		roundTrip(t, page)
	})
}

// FuzzDecode feeds Decode arbitrary bytes: it either fails with ErrFormat
// or returns a tree of exactly the nodes it declares, without a cycle.
func FuzzDecode(f *testing.F) {
	for _, p := range pages {
		root, err := html.Parse(strings.NewReader(p))
		require.NoError(f, err)
		b, err := Append(nil, root)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		root, err := Decode(b)
		if err != nil {
			require.True(t, errors.Is(err, ErrFormat), "%v", err)
			return
		}
		want := int(binary.LittleEndian.Uint32(b[4:]))
		count := 0
		walk(root, func(*html.Node, int) {
			count++
			require.LessOrEqual(t, count, want, "more nodes than declared: a cycle")
		})
		require.Equal(t, want, count)
		// The decoded tree encodes again to a tree equal to itself.
		again, err := Append(nil, root)
		require.NoError(t, err)
		root2, err := Decode(again)
		require.NoError(t, err)
		same(t, root, root2)
	})
}

func BenchmarkAppend(b *testing.B) {
	root := benchTree(b)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = Append(buf[:0], root)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecode(b *testing.B) {
	buf, err := Append(nil, benchTree(b))
	require.NoError(b, err)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// benchTree parses the first page of the benchmark set when it is
// there, and a synthetic article otherwise.
func benchTree(b *testing.B) *html.Node {
	page := []byte(strings.Repeat(`<div class="post"><h2><a href="/a/b?c=d">Title</a></h2><p>Some <b>text</b> with a <a href="#x" rel=nofollow>link</a>.</p><img src="/i.png" alt="pic" width=10></div>`, 400))
	if dir := os.Getenv("RIPTIDE_BENCH_DIR"); dir != "" {
		pages, err := extractbench.LoadPages(dir)
		require.NoError(b, err)
		page = pages[0].HTML
	}
	root, err := html.Parse(bytes.NewReader(page))
	require.NoError(b, err)
	return root
}
