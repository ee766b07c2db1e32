package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/internal/pageparse"
	"github.com/riptide-go/riptide/extract/wasm/htmltree"
	"github.com/riptide-go/riptide/internal/extractbench"
	"github.com/riptide-go/riptide/internal/testenv"
)

const page = `<html><head><title>T</title></head><body><article><h1>T</h1><p>` +
	`A paragraph long enough to be the content of the page, and a second sentence after it.</p></article></body></html>`

// requestBuf builds a request buffer as the host does: u32 header length,
// header JSON, page, tree.
func requestBuf(t testing.TB, hdr map[string]any, html, tree []byte) []byte {
	t.Helper()
	h, err := json.Marshal(hdr)
	require.NoError(t, err)
	buf := binary.LittleEndian.AppendUint32(nil, uint32(len(h)))
	buf = append(buf, h...)
	buf = append(buf, html...)
	return append(buf, tree...)
}

func treeOf(t *testing.T, html string) []byte {
	t.Helper()
	root, degraded, err := pageparse.Parse(context.Background(), []byte(html), 0)
	require.NoError(t, err)
	require.False(t, degraded)
	b, err := htmltree.Append(nil, root)
	require.NoError(t, err)
	return b
}

func respond(t *testing.T, buf []byte) response {
	t.Helper()
	var g guest
	var r response
	require.NoError(t, json.Unmarshal(g.handle(buf), &r))
	return r
}

// TestTreeRequest: a request with a tree gives the Document of the page
// without it, which is the native engine's.
func TestTreeRequest(t *testing.T) {
	want, err := (&extract.Native{}).Extract(context.Background(), extract.Input{HTML: []byte(page)})
	require.NoError(t, err)
	tree := treeOf(t, page)
	for name, buf := range map[string][]byte{
		"page and tree": requestBuf(t, map[string]any{"html_len": len(page), "tree_len": len(tree)}, []byte(page), tree),
		"page alone":    requestBuf(t, map[string]any{"html_len": len(page)}, []byte(page), nil),
	} {
		t.Run(name, func(t *testing.T) {
			r := respond(t, buf)
			require.Nil(t, r.Error)
			require.NotNil(t, r.Document)
			w, got := *want, *r.Document
			w.Meta.Duration, got.Meta.Duration = 0, 0
			assert.Equal(t, w, got)
		})
	}
}

// TestBadTreeRequest: lengths that do not add up, or a tree that does not
// decode, give an internal error, never a panic.
func TestBadTreeRequest(t *testing.T) {
	tree := treeOf(t, page)
	broken := append([]byte(nil), tree...)
	binary.LittleEndian.PutUint32(broken[4:], 1<<20) // node count
	for name, buf := range map[string][]byte{
		"tree_len past the buffer":  requestBuf(t, map[string]any{"html_len": len(page), "tree_len": len(tree) + 1}, []byte(page), tree),
		"tree_len short":            requestBuf(t, map[string]any{"html_len": len(page), "tree_len": len(tree) - 1}, []byte(page), tree),
		"negative tree_len":         requestBuf(t, map[string]any{"html_len": len(page) + len(tree), "tree_len": -len(tree)}, []byte(page), tree),
		"negative html_len":         requestBuf(t, map[string]any{"html_len": -1, "tree_len": len(page) + len(tree) + 1}, []byte(page), tree),
		"tree that does not decode": requestBuf(t, map[string]any{"html_len": len(page), "tree_len": len(broken)}, []byte(page), broken),
		"page as the tree":          requestBuf(t, map[string]any{"html_len": 0, "tree_len": len(page)}, []byte(page), nil),
	} {
		t.Run(name, func(t *testing.T) {
			r := respond(t, buf)
			require.NotNil(t, r.Error)
			assert.Equal(t, "internal", r.Error.Code)
			assert.Nil(t, r.Document)
			assert.True(t, strings.Contains(r.Error.Message, "tree") || strings.Contains(r.Error.Message, "html_len"), r.Error.Message)
		})
	}
}

// BenchmarkHandle runs the guest's request handling natively on the
// benchmark pages, as the host sends them (page and tree): the guest's
// own work, profiled and measured without the WebAssembly runtime.
func BenchmarkHandle(b *testing.B) {
	pages, err := extractbench.LoadPages(testenv.BenchDir(b))
	require.NoError(b, err)
	bufs := make([][]byte, 0, len(pages))
	for _, p := range pages {
		root, degraded, err := pageparse.Parse(context.Background(), p.HTML, 0)
		require.NoError(b, err)
		var tree []byte
		if !degraded {
			tree, err = htmltree.Append(nil, root)
			require.NoError(b, err)
		}
		hdr := map[string]any{"url": "https://example.com/" + p.ID, "html_len": len(p.HTML), "tree_len": len(tree)}
		bufs = append(bufs, requestBuf(b, hdr, p.HTML, tree))
	}
	var g guest
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		g.handle(bufs[i%len(bufs)])
	}
}
