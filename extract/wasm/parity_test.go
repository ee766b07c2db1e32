package wasm_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/internal/testenv"
)

// TestParity: on every page of the article benchmark, the default module
// extracts the same Text as the native engine it was built from. When the
// native engine changed since default.wasm was built, this fails: run
// go generate ./extract/wasm.
func TestParity(t *testing.T) {
	pages := loadPages(t)
	// Interruption checks change the compiled code's speed, not its
	// results; the faster build keeps this test short.
	e := defaultEngine(t)
	ctx := context.Background()
	same, both := 0, 0
	for _, p := range pages {
		in := extract.Input{URL: "https://example.com/" + p.id, HTML: p.html}
		want, werr := (&extract.Native{}).Extract(ctx, in)
		got, gerr := e.Extract(ctx, in)
		if werr != nil {
			assert.Error(t, gerr, "%s: native failed (%v), wasm did not", p.id, werr)
			both++
			continue
		}
		require.NoError(t, gerr, p.id)
		if assert.Equal(t, want.Text, got.Text, "%s: Text differs; run go generate ./extract/wasm if the native engine changed", p.id) {
			same++
		}
	}
	testenv.Figure(t, "wasm_parity", "pages", len(pages), "same_text", same, "both_failed", both)
}
