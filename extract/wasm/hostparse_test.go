package wasm_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm"
)

// hostParseCases are pages for which the host may or may not send a tree:
// wantTree tells whether it does.
var hostParseCases = []struct {
	name     string
	html     string
	opts     extract.Options
	wantTree bool
}{
	{name: "article", html: article, wantTree: true},
	{name: "full page", html: article, opts: extract.Options{Mode: extract.ModeFullPage}, wantTree: true},
	{name: "metadata", html: article, opts: extract.Options{Mode: extract.ModeMetadata}, wantTree: true},
	{name: "selectors", html: article, opts: extract.Options{Mode: extract.ModeSelectors, Selectors: []string{"article p"}}, wantTree: true},
	{name: "bad selector", html: article, opts: extract.Options{Mode: extract.ModeSelectors, Selectors: []string{"p >"}}, wantTree: true},
	{name: "text in noscript", wantTree: true,
		html: `<html><body><div id=app></div><noscript><article><h1>Hi</h1><p>` + strings.Repeat("The page keeps its text here for readers without scripts. ", 8) + `</p></article></noscript></body></html>`},
	{name: "frameset", html: `<html><head><title>Frames</title><meta name=description content=d></head><frameset><frame src=a></frameset></html>`, wantTree: true},
	{name: "script text left out", wantTree: true,
		html: `<html><head><script>var s = "<p>not text</p>";</script><script type="application/ld+json">{"@type":"NewsArticle","headline":"LD title"}</script></head><body><article><p>` + strings.Repeat("Body text of the article. ", 20) + `</p></article></body></html>`},
	{name: "not markup", html: "\x00\x01\x02\x03\x04\x05\x06\x07binary\x00\x00\x00\x00"},
	{name: "white space only", html: " \n\t "},
	{name: "more tags than the node budget", opts: extract.Options{MaxNodes: 40},
		html: "<html><body>" + strings.Repeat("<p>paragraph of text</p>", 100) + "</body></html>"},
	{name: "nested past the parser's limit",
		html: "<html><body>" + strings.Repeat("<div>", 600) + "deep text" + strings.Repeat("</div>", 600) + "</body></html>"},
}

// TestHostParse: with a module that accepts a tree (the default module),
// the host parses the pages the native engine would parse as a tree and
// sends the tree; degraded and invalid pages go as pages alone. Either
// way, and with WithHostParse(false), the Document is the native engine's.
func TestHostParse(t *testing.T) {
	ctx := context.Background()
	on := defaultEngine(t)
	require.Equal(t, 1, on.Info().Tree)
	off, err := wasm.New(ctx, wasm.WithHostParse(false), wasm.WithPool(0, 1))
	require.NoError(t, err)
	defer off.Close(ctx)
	require.Zero(t, off.Info().Tree)

	for _, tc := range hostParseCases {
		t.Run(tc.name, func(t *testing.T) {
			in := extract.Input{URL: "https://example.com/a", HTML: []byte(tc.html), Options: tc.opts}
			hdr, treeLen, err := wasm.RequestHeader(ctx, on, in)
			require.NoError(t, err)
			assert.Equal(t, tc.wantTree, treeLen > 0, "tree sent")
			if tc.wantTree {
				assert.EqualValues(t, treeLen, hdr["tree_len"])
			} else {
				assert.NotContains(t, hdr, "tree_len")
			}
			_, treeLen, err = wasm.RequestHeader(ctx, off, in)
			require.NoError(t, err)
			assert.Zero(t, treeLen, "WithHostParse(false) sends no tree")

			want, werr := (&extract.Native{}).Extract(ctx, in)
			for _, e := range []*wasm.Engine{on, off} {
				got, gerr := e.Extract(ctx, in)
				if werr != nil {
					require.Error(t, gerr)
					for _, sentinel := range []error{extract.ErrInvalidHTML, extract.ErrParse, extract.ErrResourceLimit} {
						assert.Equal(t, errors.Is(werr, sentinel), errors.Is(gerr, sentinel), "%v vs %v", werr, gerr)
					}
					continue
				}
				require.NoError(t, gerr)
				w := *want
				w.Meta.Engine = got.Meta.Engine
				assert.Equal(t, comparable(t, &w), comparable(t, got))
			}
		})
	}
}

// TestHostParseTimeout: a page whose parsing outlasts the document's time
// fails with ErrTimeout without reaching the guest, and the engine goes on.
func TestHostParseTimeout(t *testing.T) {
	ctx := context.Background()
	e, err := wasm.New(ctx, wasm.WithTimeout(20*time.Millisecond), wasm.WithPool(0, 1))
	require.NoError(t, err)
	defer e.Close(ctx)
	big := bytes.Repeat([]byte(`<div class="c"><p>text <b>bold</b></p></div>`), 400_000) // 18 MB
	start := time.Now()
	_, err = e.Extract(ctx, extract.Input{HTML: big})
	require.ErrorIs(t, err, wasm.ErrTimeout)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "parsing")
	t.Logf("stopped after %v", time.Since(start))
	assert.Zero(t, e.Stats().Faults, "the guest was not involved")

	// A caller's cancellation is the caller's error.
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(5*time.Millisecond, cancel)
	e2, err := wasm.New(ctx, wasm.WithTimeout(time.Minute), wasm.WithPool(0, 1))
	require.NoError(t, err)
	defer e2.Close(ctx)
	_, err = e2.Extract(cctx, extract.Input{HTML: big})
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, wasm.ErrTimeout)

	doc, err := e.Extract(ctx, extract.Input{HTML: []byte(article)})
	require.NoError(t, err)
	assert.Contains(t, doc.Text, "Second paragraph")
}

// TestTreeVersion: the host sends a tree only to a module whose info
// names a format it writes.
func TestTreeVersion(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		info string
		want int
	}{
		{`{"name":"fixture","version":"1","modes":["article"]}`, 0},
		{`{"name":"fixture","version":"1","modes":["article"],"tree":1}`, 1},
		{`{"name":"fixture","version":"1","modes":["article"],"tree":2}`, 0},
		{`{"name":"fixture","version":"1","modes":["article"],"tree":0}`, 0},
	} {
		e, err := wasm.New(ctx, wasm.Module(guest(guestSpec{infoJSON: []byte(tc.info)})))
		require.NoError(t, err, tc.info)
		assert.Equal(t, tc.want, e.Info().Tree, tc.info)
		_, treeLen, err := wasm.RequestHeader(ctx, e, extract.Input{HTML: []byte(article)})
		require.NoError(t, err)
		assert.Equal(t, tc.want > 0, treeLen > 0, tc.info)
		require.NoError(t, e.Close(ctx))
	}
	_, err := wasm.New(ctx, wasm.Module(guest(guestSpec{infoJSON: []byte(`{"name":"fixture","modes":["article"],"tree":"yes"}`)})))
	require.ErrorIs(t, err, wasm.ErrBadResponse, "a tree that is not a number is a bad info")
}
