package extract_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/extract"
)

// TestNativeKeepsMetadataWarningsAndBase checks the orchestration: warnings
// of the metadata readers reach the Document, and <base href> decides how
// relative links resolve.
func TestNativeKeepsMetadataWarningsAndBase(t *testing.T) {
	page := `<html><head><base href="https://cdn.example.org/docs/">
<script type="application/ld+json">{"@type": "Article", "headline": </script></head>
<body><article><h1>Base</h1><p>` + strings.Repeat("A paragraph long enough to be kept as the article body. ", 6) +
		`<a href="guide.html">the guide</a></p></article></body></html>`
	doc, err := (&extract.Native{}).Extract(context.Background(), extract.Input{URL: "https://example.org/a/b.html", HTML: []byte(page)})
	require.NoError(t, err)
	assert.NotEmpty(t, doc.Meta.Warnings, "the invalid JSON-LD block is reported")
	var found bool
	for _, l := range doc.Links {
		if l.Text == "the guide" {
			found = true
			assert.Equal(t, "https://cdn.example.org/docs/guide.html", l.URL)
		}
	}
	assert.True(t, found)
}
