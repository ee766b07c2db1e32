package sitemap

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	urlset := `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc> https://example.org/a </loc><lastmod>2026-01-01</lastmod></url>
  <url><loc>https://example.org/b?x=1&amp;y=2</loc></url>
  <url><loc></loc></url>
</urlset>`
	sm, err := Parse([]byte(urlset))
	require.NoError(t, err)
	assert.Equal(t, []string{"https://example.org/a", "https://example.org/b?x=1&y=2"}, sm.URLs)
	assert.Empty(t, sm.Sitemaps)

	index := `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://example.org/s1.xml</loc></sitemap></sitemapindex>`
	sm, err = Parse([]byte(index))
	require.NoError(t, err)
	assert.Equal(t, []string{"https://example.org/s1.xml"}, sm.Sitemaps)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(urlset))
	require.NoError(t, zw.Close())
	sm, err = Parse(gz.Bytes())
	require.NoError(t, err)
	assert.Len(t, sm.URLs, 2)
}

func TestParseHostile(t *testing.T) {
	_, err := Parse([]byte("<urlset><url><loc>https://a/</loc></url><url><loc>"))
	assert.Error(t, err, "truncated XML is an error")
	sm, _ := Parse([]byte("<urlset><url><loc>https://a/</loc></url><url><loc>"))
	assert.Equal(t, []string{"https://a/"}, sm.URLs, "what was read is kept")

	// A gzip bomb stops at MaxBytes. It is built from concatenated gzip
	// members (a valid multi-member stream), each 1 MiB of spaces.
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	_, _ = zw.Write(bytes.Repeat([]byte(" "), 1<<20))
	require.NoError(t, zw.Close())
	bomb := bytes.Repeat(member.Bytes(), MaxBytes>>20+2)
	_, err = Parse(bomb)
	assert.ErrorIs(t, err, ErrTooLarge)

	many := "<urlset>" + strings.Repeat("<url><loc>https://a/</loc></url>", MaxURLs+10) + "</urlset>"
	sm, err = Parse([]byte(many))
	require.NoError(t, err)
	assert.Len(t, sm.URLs, MaxURLs)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`<urlset><url><loc>https://a/</loc></url></urlset>`))
	f.Add([]byte(`<sitemapindex><sitemap><loc>x</loc></sitemap></sitemapindex>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sm, _ := Parse(b)
		if len(sm.URLs)+len(sm.Sitemaps) > MaxURLs {
			t.Fatal("over MaxURLs")
		}
	})
}
