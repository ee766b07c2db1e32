package riptidetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/render"
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

// Renderer is a fake [render.Renderer]. RenderFn answers each call; when
// it is nil, Render answers with the HTML set by SetPage (status 200), or
// fails with render.ErrNavigation. Calls are recorded. It is safe for
// concurrent use.
type Renderer struct {
	RenderFn func(ctx context.Context, req *render.Request) (*render.Response, error)

	mu    sync.Mutex
	pages map[string]string
	calls []render.Request
}

var _ render.Renderer = (*Renderer)(nil)

// SetPage makes Render answer rawURL with html.
func (r *Renderer) SetPage(rawURL, html string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pages == nil {
		r.pages = map[string]string{}
	}
	r.pages[rawURL] = html
}

// Calls returns copies of the requests rendered so far, in order.
func (r *Renderer) Calls() []render.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]render.Request(nil), r.calls...)
}

// Render records the call and answers it.
func (r *Renderer) Render(ctx context.Context, req *render.Request) (*render.Response, error) {
	if req == nil {
		return nil, fmt.Errorf("%w: nil request", render.ErrInvalidRequest)
	}
	r.mu.Lock()
	r.calls = append(r.calls, *req)
	html, ok := r.pages[req.URL]
	r.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.RenderFn != nil {
		return r.RenderFn(ctx, req)
	}
	if !ok {
		return nil, fmt.Errorf("%w: no page for %s", render.ErrNavigation, req.URL)
	}
	resp := &render.Response{URL: req.URL, FinalURL: req.URL, Status: 200, HTML: html, SessionID: req.SessionID}
	for i, a := range req.Actions {
		resp.Actions = append(resp.Actions, render.ActionResult{Index: i, Kind: a.Kind, OK: true})
	}
	return resp, nil
}
