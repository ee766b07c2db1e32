package riptidetest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/fetch"
)

// Fetcher is a fake [fetch.Fetcher]. FetchFn answers each call; when it is
// nil, Fetch returns the page set with SetPage or a 404 response. Calls are
// recorded. It is safe for concurrent use.
type Fetcher struct {
	FetchFn func(ctx context.Context, req *fetch.Request) (*fetch.Response, error)

	mu    sync.Mutex
	pages map[string]string
	calls []string
}

var _ fetch.Fetcher = (*Fetcher)(nil)

// SetPage makes Fetch answer rawURL with html (status 200, text/html).
func (f *Fetcher) SetPage(rawURL, html string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pages == nil {
		f.pages = map[string]string{}
	}
	f.pages[rawURL] = html
}

// Calls returns the URLs fetched so far, in order.
func (f *Fetcher) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Fetch records the call and answers it.
func (f *Fetcher) Fetch(ctx context.Context, req *fetch.Request) (*fetch.Response, error) {
	if req == nil {
		return nil, errors.New("riptidetest: nil request")
	}
	f.mu.Lock()
	f.calls = append(f.calls, req.URL)
	body, ok := f.pages[req.URL]
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.FetchFn != nil {
		return f.FetchFn(ctx, req)
	}
	resp := &fetch.Response{
		URL: req.URL, FinalURL: req.URL, Status: http.StatusOK,
		Header:      http.Header{"Content-Type": {"text/html; charset=utf-8"}},
		ContentType: "text/html", Charset: "utf-8",
		Body: []byte(body), WireBytes: int64(len(body)), DecodedBytes: int64(len(body)),
	}
	if !ok {
		resp.Status = http.StatusNotFound
		return nil, &fetch.Error{Op: "fetch", URL: req.URL, Status: http.StatusNotFound, Err: fetch.ErrHTTPStatus}
	}
	return resp, nil
}

// Extractor is a fake [extract.Extractor]. ExtractFn answers each call;
// when it is nil, Extract returns a Document whose Text is the input HTML
// (invalid UTF-8 replaced).
// It is safe for concurrent use.
type Extractor struct {
	ExtractFn func(ctx context.Context, in extract.Input) (*extract.Document, error)

	mu    sync.Mutex
	calls int
}

var _ extract.Extractor = (*Extractor)(nil)

// Calls returns how many times Extract was called.
func (e *Extractor) Calls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls
}

// Extract records the call and answers it.
func (e *Extractor) Extract(ctx context.Context, in extract.Input) (*extract.Document, error) {
	e.mu.Lock()
	e.calls++
	e.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if e.ExtractFn != nil {
		return e.ExtractFn(ctx, in)
	}
	return &extract.Document{URL: in.URL, Text: strings.ToValidUTF8(string(in.HTML), "\uFFFD"), Meta: extract.Metadata{Engine: "fake"}}, nil
}
