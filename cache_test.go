package riptide_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide"
)

// validatingServer serves one page with an ETag and counts full answers
// and 304s.
func validatingServer(t *testing.T) (*httptest.Server, *atomic.Int32, *atomic.Int32) {
	var full, notModified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<html><head><title>Cached page</title></head><body><article><p>A page whose answer carries an entity tag, so that a stale cache entry can be revalidated.</p></article></body></html>`))
	}))
	t.Cleanup(srv.Close)
	return srv, &full, &notModified
}

func TestResultCacheModes(t *testing.T) {
	srv, full, notModified := validatingServer(t)
	c := newClient(t, riptide.WithResultCache(100, time.Hour))
	ctx := context.Background()

	first, err := c.Extract(ctx, srv.URL+"/page")
	require.NoError(t, err)
	assert.False(t, first.FromCache)

	second, err := c.Extract(ctx, srv.URL+"/page#fragment") // same page after normalisation
	require.NoError(t, err)
	assert.True(t, second.FromCache)
	assert.Equal(t, first.Document.Text, second.Document.Text)
	assert.EqualValues(t, 1, full.Load())

	_, err = c.Extract(ctx, srv.URL+"/page", riptide.WithCacheMode(riptide.CacheBypass))
	require.NoError(t, err)
	assert.EqualValues(t, 2, full.Load(), "bypass fetches")

	refreshed, err := c.Extract(ctx, srv.URL+"/page", riptide.WithCacheMode(riptide.CacheRefresh))
	require.NoError(t, err)
	assert.False(t, refreshed.FromCache)
	assert.EqualValues(t, 3, full.Load(), "refresh fetches")
	assert.Zero(t, notModified.Load())

	_, err = c.Extract(ctx, srv.URL+"/page", riptide.WithHeader(http.Header{"Authorization": {"Bearer x"}}))
	require.NoError(t, err)
	assert.EqualValues(t, 4, full.Load(), "requests with credentials are never served from cache")
}

func TestResultCacheRevalidatesStaleEntries(t *testing.T) {
	srv, full, notModified := validatingServer(t)
	dir := t.TempDir()
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithCacheDir(dir), riptide.WithResultCache(10, time.Nanosecond))
	require.NoError(t, err)
	_, err = c.Extract(context.Background(), srv.URL+"/page")
	require.NoError(t, err)
	require.NoError(t, c.Close())

	// A new Client over the same store finds the stale entry on disk and
	// revalidates it with If-None-Match.
	c2, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithCacheDir(dir), riptide.WithResultCache(10, time.Nanosecond))
	require.NoError(t, err)
	defer c2.Close()
	res, err := c2.Extract(context.Background(), srv.URL+"/page")
	require.NoError(t, err)
	assert.True(t, res.FromCache)
	assert.Equal(t, "Cached page", res.Document.Title)
	assert.EqualValues(t, 1, full.Load())
	assert.EqualValues(t, 1, notModified.Load())
}
