package wasm_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm"
	"github.com/riptide-go/riptide/internal/testenv"
)

// TestParity: on every page of the article benchmark, the default module
// extracts the same Text as the native engine it was built from, both from
// the tree the host parsed (the default) and parsing the page itself. When
// the native engine changed since default.wasm was built, this fails: run
// go generate ./extract/wasm.
func TestParity(t *testing.T) {
	pages := loadPages(t)
	ctx := context.Background()
	guestParse, err := wasm.New(ctx, wasm.WithHostParse(false))
	require.NoError(t, err)
	defer guestParse.Close(ctx)
	same, both := 0, 0
	for _, p := range pages {
		in := extract.Input{URL: "https://example.com/" + p.id, HTML: p.html}
		want, werr := (&extract.Native{}).Extract(ctx, in)
		for _, e := range []*wasm.Engine{defaultEngine(t), guestParse} {
			got, gerr := e.Extract(ctx, in)
			if werr != nil {
				assert.Error(t, gerr, "%s: native failed (%v), wasm did not", p.id, werr)
				both++
				continue
			}
			require.NoError(t, gerr, p.id)
			if assert.Equal(t, want.Text, got.Text, "%s (tree %d): Text differs; run go generate ./extract/wasm if the native engine changed", p.id, e.Info().Tree) {
				same++
			}
		}
	}
	testenv.Figure(t, "wasm_parity", "pages", len(pages), "same_text", same/2, "both_failed", both/2)
}
