package riptidetest_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/riptidetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer c.CloseIdleConnections()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSite(t *testing.T) {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(5))
	defer site.Close()
	cases := []struct {
		path   string
		status int
		body   string
	}{
		{"/", 200, "Tide Notes"},
		{"/articles/rip-currents.html", 200, "application/ld+json"},
		{"/js/app.html", 200, `<div id="root"></div>`},
		{"/robots.txt", 200, "Disallow: /private/"},
		{"/sitemap.xml", 200, site.URL("/articles/tide-tables.html")},
		{"/old/rip-currents", 301, ""},
		{"/loop/a", 302, ""},
		{"/broken", 500, ""},
		{"/slow?ms=10", 200, "10 milliseconds"},
		{"/gen/0.html", 200, `href="/gen/1.html"`},
		{"/gen/5.html", 404, ""},
	}
	for _, tc := range cases {
		status, body := get(t, site.URL(tc.path))
		assert.Equal(t, tc.status, status, tc.path)
		assert.Contains(t, body, tc.body, tc.path)
	}
	assert.EqualValues(t, len(cases), site.Requests())
}

func TestFakeExtractorConforms(t *testing.T) {
	riptidetest.RequireExtractor(t, &riptidetest.Extractor{})
}

func TestNativeExtractorConforms(t *testing.T) {
	riptidetest.RequireExtractor(t, &extract.Native{})
}

func TestConformanceCatchesBrokenExtractor(t *testing.T) {
	broken := extract.Func(func(ctx context.Context, in extract.Input) (*extract.Document, error) {
		return nil, nil // ignores ctx and returns nothing
	})
	err := riptidetest.TestExtractor(context.Background(), broken)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "cancelled context"), err.Error())
}

func TestFakeFetcher(t *testing.T) {
	f := &riptidetest.Fetcher{}
	f.SetPage("https://example.org/", "<p>x</p>")
	_, err := f.Fetch(context.Background(), nil)
	assert.Error(t, err)
	_, err = f.Fetch(context.Background(), &fetch.Request{URL: "https://example.org/missing"})
	assert.ErrorIs(t, err, fetch.ErrHTTPStatus)
	resp, err := f.Fetch(context.Background(), &fetch.Request{URL: "https://example.org/"})
	require.NoError(t, err)
	assert.Equal(t, "<p>x</p>", string(resp.Body))
	assert.Equal(t, []string{"https://example.org/missing", "https://example.org/"}, f.Calls())
}
