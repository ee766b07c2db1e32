package main

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/riptidetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSummaryWithFakeFetcher(t *testing.T) {
	f := &riptidetest.Fetcher{}
	f.SetPage("https://news.example/a", `<html><body><article><p>The harbour reopened on Monday. Boats returned within hours, and the fish market followed.</p></article></body></html>`)
	c, err := riptide.New(riptide.WithFetcher(f))
	require.NoError(t, err)
	defer c.Close()

	s := &Summarizer{Client: c}
	got, err := s.Summary(context.Background(), "https://news.example/a")
	require.NoError(t, err)
	assert.Equal(t, "The harbour reopened on Monday.", got)
	assert.Equal(t, []string{"https://news.example/a"}, f.Calls())
}

func TestSummaryReportsFetchErrors(t *testing.T) {
	f := &riptidetest.Fetcher{FetchFn: func(ctx context.Context, req *fetch.Request) (*fetch.Response, error) {
		return nil, &fetch.Error{Op: "dial", URL: req.URL, Err: fetch.ErrConnection}
	}}
	c, err := riptide.New(riptide.WithFetcher(f), riptide.WithRetries(0))
	require.NoError(t, err)
	defer c.Close()
	_, err = (&Summarizer{Client: c}).Summary(context.Background(), "https://down.example/")
	assert.ErrorIs(t, err, riptide.ErrFetch)
}

func TestSummaryWithFakeExtractor(t *testing.T) {
	f := &riptidetest.Fetcher{}
	f.SetPage("https://news.example/b", "<p>ignored</p>")
	e := &riptidetest.Extractor{ExtractFn: func(ctx context.Context, in extract.Input) (*extract.Document, error) {
		if in.URL != "https://news.example/b" {
			return nil, errors.New("unexpected url")
		}
		return &extract.Document{Text: "Fixed text. More."}, nil
	}}
	c, err := riptide.New(riptide.WithFetcher(f), riptide.WithExtractor(e))
	require.NoError(t, err)
	defer c.Close()
	got, err := (&Summarizer{Client: c}).Summary(context.Background(), "https://news.example/b")
	require.NoError(t, err)
	assert.Equal(t, "Fixed text.", got)
}
