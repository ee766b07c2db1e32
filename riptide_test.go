package riptide_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/riptidetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newClient(t *testing.T, opts ...riptide.Option) *riptide.Client {
	t.Helper()
	c, err := riptide.New(append([]riptide.Option{riptide.AllowPrivateNetworks()}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestDefaultClientRefusesLoopback(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	c, err := riptide.New()
	require.NoError(t, err)
	defer c.Close()

	_, err = c.Extract(context.Background(), site.URL("/articles/rip-currents.html"))
	require.Error(t, err)
	assert.ErrorIs(t, err, riptide.ErrBlocked)
	var re *riptide.Error
	require.True(t, errors.As(err, &re))
	assert.Equal(t, "blocked", re.Code())
	assert.False(t, re.Retryable())
	assert.Zero(t, site.Requests(), "the site must never see a connection")
}

func TestExtractDemoSite(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	c := newClient(t)
	ctx := context.Background()

	res, err := c.Extract(ctx, site.URL("/articles/rip-currents.html"))
	require.NoError(t, err)
	assert.Equal(t, 200, res.Status)
	assert.Equal(t, riptide.EngineStatic, res.Engine)
	assert.Equal(t, 1, res.Attempts)
	assert.Positive(t, res.BytesFetched)
	assert.Positive(t, res.Timings.Total)
	require.NotNil(t, res.Document)
	assert.Equal(t, "How rip currents form, and how to escape one", res.Document.Title)
	assert.Contains(t, res.Document.Text, "narrow, fast-moving channel of water")
	assert.NotContains(t, res.Document.Text, "All rights reserved")

	t.Run("redirect", func(t *testing.T) {
		res, err := c.Extract(ctx, site.URL("/old/rip-currents"))
		require.NoError(t, err)
		assert.Equal(t, site.URL("/articles/rip-currents.html"), res.FinalURL)
	})
	t.Run("noindex", func(t *testing.T) {
		res, err := c.Extract(ctx, site.URL("/articles/kelp-forests.html"))
		require.NoError(t, err)
		assert.True(t, res.NoIndex)
	})
}

func TestExtractErrors(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	c := newClient(t, riptide.WithTimeout(300*time.Millisecond))
	ctx := context.Background()

	cases := []struct {
		name      string
		url       string
		want      error
		code      string
		retryable bool
	}{
		{"robots", site.URL("/private/secret.html"), riptide.ErrRobots, "robots_disallowed", false},
		{"server error", site.URL("/broken"), riptide.ErrFetch, "fetch", true},
		{"slow", site.URL("/slow?ms=5000"), riptide.ErrTimeout, "timeout", true},
		{"redirect loop", site.URL("/loop/a"), riptide.ErrFetch, "fetch", false},
		{"not a url", "::not a url", riptide.ErrValidation, "validation", false},
		{"ftp scheme", "ftp://example.org/file", riptide.ErrValidation, "validation", false},
		{"userinfo", "http://user:pw@example.org/", riptide.ErrValidation, "validation", false},
		{"metadata address", "http://169.254.169.254/latest/meta-data/", nil, "", false},
		{"empty", "", riptide.ErrValidation, "validation", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Extract(ctx, tc.url)
			require.Error(t, err)
			var re *riptide.Error
			require.True(t, errors.As(err, &re), "error %T %v", err, err)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
				assert.Equal(t, tc.code, re.Code())
				assert.Equal(t, tc.retryable, re.Retryable())
			}
		})
	}
	t.Run("timeout matches context.DeadlineExceeded", func(t *testing.T) {
		_, err := c.Extract(ctx, site.URL("/slow?ms=5000"))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestErrorsRedactSecrets(t *testing.T) {
	c := newClient(t, riptide.WithTimeout(200*time.Millisecond))
	const canary = "c4n4ryS3cr3t0123456789abcdef"
	for _, u := range []string{
		"http://user:" + canary + "@127.0.0.1:1/",
		"http://127.0.0.1:1/?access_token=" + canary,
	} {
		_, err := c.Extract(context.Background(), u)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), canary)
	}
}

func TestCallerCancellation(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	c := newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err := c.Extract(ctx, site.URL("/slow?ms=10000"))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, riptide.ErrCanceled)
}

func TestClose(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	c, err := riptide.New(riptide.AllowPrivateNetworks())
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() {
		_, err := c.Extract(context.Background(), site.URL("/slow?ms=10000"))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, c.Close())
	select {
	case err := <-done:
		assert.ErrorIs(t, err, riptide.ErrClosed, "a call in flight ends when the Client closes")
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end the call in flight")
	}
	assert.ErrorIs(t, c.Close(), riptide.ErrClosed)
	_, err = c.Extract(context.Background(), site.URL("/"))
	assert.ErrorIs(t, err, riptide.ErrClosed)
	_, err = c.ExtractHTML(context.Background(), "", []byte("<p>x</p>"))
	assert.ErrorIs(t, err, riptide.ErrClosed)
}

func TestExtractHTML(t *testing.T) {
	c := newClient(t)
	res, err := c.ExtractHTML(context.Background(), "https://example.org/a/",
		[]byte(`<html><head><title>Hello</title></head><body><article><p>`+strings.Repeat("Some words of text here. ", 30)+`</p></article></body></html>`))
	require.NoError(t, err)
	assert.Contains(t, res.Document.Text, "Some words of text here.")
	assert.Zero(t, res.BytesFetched)

	_, err = c.ExtractHTML(context.Background(), "", nil)
	assert.ErrorIs(t, err, riptide.ErrExtraction)
}

func TestInvalidOptions(t *testing.T) {
	for name, opt := range map[string]riptide.Option{
		"max body":    riptide.WithMaxBodyBytes(0),
		"per host":    riptide.WithPerHostLimit(0, 0),
		"concurrency": riptide.WithConcurrency(-1),
		"timeout":     riptide.WithTimeout(-time.Second),
		"engine":      riptide.WithEngine("warp"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := riptide.New(opt)
			assert.ErrorIs(t, err, riptide.ErrValidation)
		})
	}
}

func TestCustomExtractor(t *testing.T) {
	fake := &riptidetest.Extractor{ExtractFn: func(ctx context.Context, in extract.Input) (*extract.Document, error) {
		return &extract.Document{Title: "from fake"}, nil
	}}
	f := &riptidetest.Fetcher{}
	f.SetPage("https://example.org/", "<p>hi</p>")
	c := newClient(t, riptide.WithExtractor(fake), riptide.WithFetcher(f))
	res, err := c.Extract(context.Background(), "https://example.org/")
	require.NoError(t, err)
	assert.Equal(t, "from fake", res.Document.Title)
	assert.Equal(t, 1, fake.Calls())
	assert.Equal(t, []string{"https://example.org/"}, f.Calls())
}

func TestConcurrentUse(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	c := newClient(t, riptide.WithPerHostLimit(8, 0))
	paths := []string{"/articles/rip-currents.html", "/articles/tide-tables.html", "/articles/kelp-forests.html", "/about.html", "/broken"}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := paths[i%len(paths)]
			res, err := c.Extract(context.Background(), site.URL(p))
			if p == "/broken" {
				if !errors.Is(err, riptide.ErrFetch) {
					errs <- err
				}
				return
			}
			if err != nil {
				errs <- err
				return
			}
			if res.Document == nil || res.Document.Text == "" {
				errs <- errors.New("empty document for " + p)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
