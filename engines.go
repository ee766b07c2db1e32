package riptide

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm"
	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/internal/jsshell"
	"github.com/riptide-go/riptide/internal/netguard"
	"github.com/riptide-go/riptide/internal/redact"
	"github.com/riptide-go/riptide/metrics"
	"github.com/riptide-go/riptide/render"
	"github.com/riptide-go/riptide/render/chromium"
	"github.com/riptide-go/riptide/timeout"
	"github.com/riptide-go/riptide/wasmcache"
)

// wasmExtractor returns the WASM engine, compiling its module on first
// use (from the compiled-module cache when the Client has a cache dir).
func (c *Client) wasmExtractor(ctx context.Context) (extract.Extractor, error) {
	c.engMu.Lock()
	defer c.engMu.Unlock()
	if c.wasmEng != nil {
		return c.wasmEng, nil
	}
	opts := []wasm.Option{wasm.WithLogger(c.log)}
	if c.cfg.wasmModule != nil {
		opts = append(opts, wasm.Module(c.cfg.wasmModule))
	}
	if c.cfg.cacheDir != "" && c.wasmCache == nil {
		wc, err := wasmcache.Open(filepath.Join(c.cfg.cacheDir, "wasm"), c.db, wasmcache.Options{Logger: c.log})
		if err != nil {
			c.log.Warn("compiled-module cache unavailable; compiling in memory", "err", err)
		} else {
			c.wasmCache = wc
		}
	}
	if c.wasmCache != nil {
		opts = append(opts, wasm.WithCache(c.wasmCache))
	}
	// Compiling must not be cut short by one caller's cancellation: the
	// engine serves every later call too.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	e, err := wasm.New(cctx, opts...)
	if err != nil {
		return nil, &Error{Kind: KindExtraction, Op: "wasm", Err: err}
	}
	c.wasmEng = e
	return e, nil
}

// renderer returns the Client's renderer, creating the built-in Chromium
// renderer on first use. The browser itself starts on the first render.
func (c *Client) renderer() (render.Renderer, error) {
	c.engMu.Lock()
	defer c.engMu.Unlock()
	if c.rend != nil {
		return c.rend, nil
	}
	if c.rendErr != nil {
		return nil, c.rendErr
	}
	cfg := c.cfg.chromium
	cfg.AllowPrivateNetworks = c.cfg.allowPrivate
	cfg.Store = c.db
	if cfg.Proxy == "" {
		// The browser leaves through the same proxy as the fetcher.
		cfg.Proxy = c.cfg.proxyURL
	}
	if cfg.Logger == nil {
		cfg.Logger = c.log
	}
	if cfg.Bin == "" {
		if p, err := chromium.LookPath(); err == nil {
			cfg.Bin = p
		}
	}
	r, err := chromium.New(cfg)
	if err != nil {
		c.rendErr = &Error{Kind: KindRendering, Op: "render", Err: err}
		return nil, c.rendErr
	}
	c.rend, c.ownRend = r, r
	return r, nil
}

// crawlRenderer returns a renderer for one crawl: a group (for Chromium, a
// browser context whose warm tabs are reused across the crawl's pages) when
// the renderer offers groups, the Client's renderer otherwise. release
// closes the group.
func (c *Client) crawlRenderer(ctx context.Context) (r render.Renderer, release func(), err error) {
	base, err := c.renderer()
	if err != nil {
		return nil, func() {}, err
	}
	gr, ok := base.(render.Grouper)
	if !ok {
		return base, func() {}, nil
	}
	bc, err := gr.NewGroup(ctx)
	if err != nil {
		return nil, func() {}, &Error{Kind: KindRendering, Op: "crawl", Err: err}
	}
	return bc, func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = bc.Close(cctx)
	}, nil
}

// Render renders req.URL in headless Chromium (or the renderer given with
// [WithRenderer]) and returns the rendered page, with the results of
// req.Actions and the artifacts asked for. The URL is checked like every
// fetch; the browser's own traffic goes through the same address guard.
func (c *Client) Render(ctx context.Context, req render.Request) (*render.Response, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return nil, newError("render", req.URL, err)
	}
	defer end()
	start := time.Now()
	if err := c.gate.acquire(ctx, prioInteractive); err != nil {
		return nil, newError("render", req.URL, c.cause(ctx, err))
	}
	defer c.gate.release()
	r, err := c.renderer()
	if err != nil {
		err = newError("render", req.URL, err)
		c.observe("render", EngineHeadless, start, err)
		return nil, err
	}
	resp, _, err := c.renderWith(ctx, r, &req)
	if err != nil {
		err = newError("render", req.URL, c.cause(ctx, err))
		c.observe("render", EngineHeadless, start, err)
		return resp, err
	}
	c.observe("render", EngineHeadless, start, nil)
	metrics.Duration(c.rec, metrics.RenderDuration, metrics.Labels{Engine: string(EngineHeadless), Outcome: "ok"}, time.Since(start))
	return resp, nil
}

// renderWith validates req, then renders it under the timeout policy's
// render budget with retries. It returns the number of attempts.
func (c *Client) renderWith(ctx context.Context, r render.Renderer, req *render.Request) (*render.Response, int, error) {
	u, err := c.admit(req.URL)
	if err != nil {
		return nil, 0, err
	}
	req.URL = u
	if err := req.Validate(); err != nil {
		return nil, 0, err
	}
	if req.PDF {
		// Printing is the heaviest render: at most maxPDFJobs at once.
		if err := c.pdfJobs.Acquire(ctx, 1); err != nil {
			return nil, 0, err
		}
		defer c.pdfJobs.Release(1)
	}
	var resp *render.Response
	attempts := 0
	err = timeout.Do(ctx, c.policy, timeout.StageRender, req.URL, c.retryOptions(), func(actx context.Context) error {
		attempts++
		var rerr error
		resp, rerr = r.Render(actx, req)
		return rerr
	})
	return resp, attempts, unwrapRetry(err)
}

// admit checks a URL before any work: http(s) only, no credentials,
// numeric hosts normalised, private literal addresses refused unless
// allowed. Host names are checked again on every dial.
func (c *Client) admit(rawURL string) (string, error) {
	if rawURL == "" {
		return "", fmt.Errorf("%w: empty url", fetch.ErrInvalidURL)
	}
	parse := netguard.ParseURL
	if c.cfg.allowPrivate {
		parse = netguard.CanonicalURL
	}
	u, err := parse(rawURL)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// retryOptions are the Client's retry rules: retryable errors (timeouts,
// connection failures, 429/502/503/504 answers, browser crashes) are tried
// again up to the configured number of retries, with escalating budgets.
func (c *Client) retryOptions() timeout.RetryOptions {
	retries := c.cfg.retries
	if retries == 0 {
		retries = -1 // timeout.Do reads 0 as its default
	}
	return timeout.RetryOptions{
		Retries:   retries,
		Retryable: retryableAttempt,
	}
}

func retryableAttempt(err error) bool {
	if errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var fe *fetch.Error
	if errors.As(err, &fe) && fe.Status != 0 {
		switch fe.Status {
		case 429, 502, 503, 504:
			return true
		}
		return false
	}
	switch classify(err) {
	case KindTimeout:
		return true
	case KindFetch:
		return fetch.Retryable(err)
	case KindRendering:
		return errors.Is(err, render.ErrBrowserCrashed)
	}
	return false
}

// unwrapRetry returns the last attempt's error from a *timeout.RetryError.
func unwrapRetry(err error) error {
	var re *timeout.RetryError
	if errors.As(err, &re) && re.Err != nil {
		return re.Err
	}
	return err
}

// fetchPage fetches under the timeout policy with retries.
func (c *Client) fetchPage(ctx context.Context, rawURL string, req request) (*fetch.Response, int, error) {
	var resp *fetch.Response
	attempts := 0
	err := timeout.Do(ctx, c.policy, timeout.StageFetch, rawURL, c.retryOptions(), func(actx context.Context) error {
		attempts++
		var ferr error
		freq := &fetch.Request{
			URL:            rawURL,
			Header:         req.header,
			AllowTruncated: req.allowTruncated,
		}
		if req.stale != nil {
			freq.IfNoneMatch, freq.IfModifiedSince = req.stale.ETag, req.stale.LastModified
		}
		resp, ferr = c.fetcher.Fetch(actx, freq)
		return ferr
	})
	return resp, attempts, unwrapRetry(err)
}

// renderPage renders rawURL for extraction and fills res.
func (c *Client) renderPage(ctx context.Context, rawURL string, req request, res *Result) (extract.Input, error) {
	r := req.renderer
	if r == nil {
		var err error
		if r, err = c.renderer(); err != nil {
			return extract.Input{}, err
		}
	}
	t := time.Now()
	rreq := &render.Request{URL: rawURL, Stealth: req.engine == EngineStealth, Actions: req.actions}
	rreq.Timeouts.Total = req.renderCap
	if h := req.header; len(h) > 0 {
		rreq.Headers = map[string]string{}
		for k := range h {
			rreq.Headers[k] = h.Get(k)
		}
	}
	resp, attempts, err := c.renderWith(ctx, r, rreq)
	res.Timings.Render = time.Since(t)
	if err != nil {
		return extract.Input{}, err
	}
	res.Attempts = attempts
	res.URL = redact.URL(resp.URL)
	res.FinalURL = redact.URL(resp.FinalURL)
	res.Status = resp.Status
	res.ContentType = "text/html"
	res.BytesFetched = int64(len(resp.HTML))
	final := resp.FinalURL
	if final == "" {
		final = rawURL
	}
	return extract.Input{URL: final, HTML: []byte(resp.HTML), ContentType: "text/html; charset=utf-8"}, nil
}

// extractorFor returns the extractor an engine uses.
func (c *Client) extractorFor(ctx context.Context, e Engine) (extract.Extractor, error) {
	if e == EngineWASM {
		return c.wasmExtractor(ctx)
	}
	return c.extractor, nil
}

// wantsBrowser reports whether an auto request must be rendered without
// trying static first.
func (req request) wantsBrowser() bool { return len(req.actions) > 0 }

// autoRecheckShare is the share of pages of a domain decided "headless"
// that are tried static again, so a wrong decision heals.
const autoRecheckShare = 0.05

// extractAuto implements EngineAuto: static first, headless when the page
// is a JavaScript shell or the domain was found to need it.
func (c *Client) extractAuto(ctx context.Context, rawURL string, req request, start time.Time) (*Result, error) {
	domain := c.decisions.domain(rawURL)
	if req.wantsBrowser() {
		return c.extractRendered(ctx, rawURL, req, EngineHeadless, "actions", start)
	}
	if d, ok := c.decisions.get(domain); ok && d == EngineHeadless && !c.decisions.recheck() {
		return c.extractRendered(ctx, rawURL, req, EngineHeadless, "domain_decision", start)
	}
	res, in, err := c.extractStatic(ctx, rawURL, req, start, EngineStatic)
	if err != nil {
		return nil, err
	}
	v := jsshell.Detect(in.HTML, len(res.Document.Text))
	if !v.Shell {
		c.decisions.put(domain, EngineStatic)
		res.EngineReason = "auto_static"
		return res, nil
	}
	if _, rerr := c.renderer(); rerr != nil {
		res.EngineReason = "js_shell_no_browser"
		return res, nil
	}
	c.decisions.put(domain, EngineHeadless)
	rres, err := c.extractRendered(ctx, rawURL, req, EngineHeadless, "js_shell:"+v.Reason, start)
	if err != nil {
		return nil, err
	}
	return rres, nil
}

// extractRendered renders then extracts.
func (c *Client) extractRendered(ctx context.Context, rawURL string, req request, eng Engine, reason string, start time.Time) (*Result, error) {
	res := &Result{URL: redact.URL(rawURL), Engine: eng, EngineReason: reason}
	in, err := c.renderPage(ctx, rawURL, req, res)
	if err != nil {
		return nil, err
	}
	in.Options = extract.Options{Mode: req.mode, Selectors: req.selectors}
	if err := c.extractInto(ctx, c.extractor, res, in); err != nil {
		return nil, err
	}
	res.Timings.Total = time.Since(start)
	return res, nil
}

// extractStatic fetches then extracts with the engine's extractor.
func (c *Client) extractStatic(ctx context.Context, rawURL string, req request, start time.Time, eng Engine) (*Result, extract.Input, error) {
	ex, err := c.extractorFor(ctx, eng)
	if err != nil {
		return nil, extract.Input{}, err
	}
	resp, attempts, err := c.fetchPage(ctx, rawURL, req)
	if err != nil {
		return nil, extract.Input{}, err
	}
	if resp.Status == 304 && req.stale != nil {
		res := served(req.stale)
		res.Attempts = attempts
		res.Timings.Total = time.Since(start)
		return res, extract.Input{}, nil
	}
	res := &Result{
		URL:          redact.URL(resp.URL),
		FinalURL:     redact.URL(resp.FinalURL),
		Status:       resp.Status,
		Engine:       eng,
		EngineReason: "requested",
		ContentType:  resp.ContentType,
		BytesFetched: resp.DecodedBytes,
		Truncated:    resp.Truncated,
		Attempts:     attempts,
		NoIndex:      resp.NoIndex,
		NoFollow:     resp.NoFollow,
		etag:         resp.Header.Get("ETag"),
		lastModified: resp.Header.Get("Last-Modified"),
	}
	res.Timings.Fetch = time.Since(start)
	in := extract.Input{
		URL:             resp.FinalURL,
		ContentType:     resp.Header.Get("Content-Type"),
		HTML:            resp.Body,
		ContentLanguage: resp.Header.Get("Content-Language"),
		LastModified:    resp.Header.Get("Last-Modified"),
		Options:         extract.Options{Mode: req.mode, Selectors: req.selectors},
	}
	if err := c.extractInto(ctx, ex, res, in); err != nil {
		return nil, in, err
	}
	res.Timings.Total = time.Since(start)
	return res, in, nil
}

// readModule reads a WASM module file for WithWASMExtractor.
func readModule(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wasm extractor: %w", err)
	}
	return b, nil
}
