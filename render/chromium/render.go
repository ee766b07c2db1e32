package chromium

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riptide-go/riptide/internal/egress"
	"github.com/riptide-go/riptide/render"
)

// checkoutFunc yields a browser, a prepared tab and the function that
// gives the tab back with the render's error.
type checkoutFunc func(ctx context.Context) (*browser, *tab, func(*tab, error), error)

// Render renders one page. Without a session, the request's Isolation
// picks the browser context: the default and IsolationIncognito use a
// fresh incognito context disposed afterwards; IsolationFreshTab a new
// tab in the renderer's shared context; IsolationWarmTab a warm tab of
// the renderer's shared context (cookies shared with every other
// untenanted warm-tab render). With SessionID the session's context is
// used (created on first use).
func (r *Renderer) Render(ctx context.Context, req *render.Request) (*render.Response, error) {
	start := time.Now()
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if req.Proxy != "" {
		switch {
		case req.SessionID != "":
			return nil, fmt.Errorf("%w: a per-request proxy cannot be used with a session (a session keeps its browser context; give the renderer a Proxy instead)", render.ErrInvalidRequest)
		case req.Isolation == render.IsolationWarmTab || req.Isolation == render.IsolationFreshTab:
			return nil, fmt.Errorf("%w: a per-request proxy needs a browser context of its own: use the default or incognito isolation", render.ErrInvalidRequest)
		}
		if _, err := egress.ParseUpstream(req.Proxy); err != nil {
			return nil, fmt.Errorf("%w: proxy: %v", render.ErrInvalidRequest, err)
		}
	}
	if req.SessionID != "" {
		c, err := r.sessionContext(ctx, req.SessionID, true)
		if err != nil {
			return nil, err
		}
		resp, err := c.render(ctx, req, start)
		if resp != nil {
			resp.SessionID = req.SessionID
		}
		r.touchSession(ctx, req.SessionID)
		return resp, err
	}
	switch req.Isolation {
	case render.IsolationWarmTab, render.IsolationFreshTab:
		c, err := r.sharedContext(ctx)
		if err != nil {
			return nil, err
		}
		return c.render(ctx, req, start)
	}
	return r.renderWith(ctx, req, start, func(ctx context.Context) (*browser, *tab, func(*tab, error), error) {
		params := obj{"disposeOnDetach": false}
		releaseUp := func() {}
		if req.Proxy != "" {
			// The context's own proxy: an egress proxy that checks each
			// destination, then chains through the request's proxy.
			up, release, err := r.acquireUpstream(req.Proxy)
			if err != nil {
				return nil, nil, nil, err
			}
			params["proxyServer"], params["proxyBypassList"] = up.URL(), "<-loopback>"
			releaseUp = release
		}
		b, err := r.acquire(ctx)
		if err != nil {
			releaseUp()
			return nil, nil, nil, err
		}
		var res struct {
			ID string `json:"browserContextId"`
		}
		if err := b.cn.call(ctx, "", "Target.createBrowserContext", params, &res); err != nil {
			releaseUp()
			r.release(b, err)
			return nil, nil, nil, err
		}
		dispose := func() {
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = b.cn.call(dctx, "", "Target.disposeBrowserContext", obj{"browserContextId": res.ID}, nil)
			releaseUp()
		}
		t, err := b.newTab(ctx, res.ID, !req.Stealth)
		if err != nil {
			dispose()
			r.release(b, err)
			return nil, nil, nil, err
		}
		return b, t, func(t *tab, err error) {
			// Disposing the context closes its tab; escalate first if the
			// page timed out (it may be stuck in a loop).
			r.bg.Add(1)
			go func() {
				defer r.bg.Done()
				if err != nil {
					ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
					t.discard(ctx, errors.Is(err, context.DeadlineExceeded))
					cancel()
				}
				dispose()
				t.b.cn.handle(t.sid, nil)
				t.b.mu.Lock()
				delete(t.b.tabs, t.id)
				t.b.mu.Unlock()
				r.release(b, err)
			}()
		}, nil
	})
}

// sharedContext is the renderer's context for untenanted warm and fresh
// tab renders, re-created when its browser drains.
func (r *Renderer) sharedContext(ctx context.Context) (*Context, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, render.ErrClosed
	}
	c := r.shared
	r.mu.Unlock()
	if c != nil {
		c.mu.Lock()
		b := c.b
		c.mu.Unlock()
		stale := false
		if b != nil {
			b.mu.Lock()
			stale = b.draining || b.isDead()
			b.mu.Unlock()
		}
		if !stale {
			return c, nil
		}
	}
	nc, err := r.NewContext(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.shared == c {
		r.shared = nc
		nc = nil
	}
	cur := r.shared
	r.mu.Unlock()
	if nc != nil {
		_ = nc.Close(ctx)
	}
	if c != nil && cur != c {
		// The old context drains in the background: renders still using
		// it finish first only if they are quick; Close bounds the wait.
		r.bg.Add(1)
		go func() {
			defer r.bg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = c.Close(ctx)
		}()
	}
	return cur, nil
}

// renderWith runs the render pipeline on a tab from checkout, under the
// request's hard cap.
// start is when the caller began (Timings.Acquire and Total count from
// it, so context creation is included).
func (r *Renderer) renderWith(ctx context.Context, req *render.Request, start time.Time, checkout checkoutFunc) (resp *render.Response, err error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	to := req.Timeouts.WithDefaults()
	ctx, cancel := context.WithDeadline(ctx, start.Add(to.Total))
	defer cancel()

	_, t, giveBack, err := checkout(ctx)
	if err != nil && errors.Is(err, render.ErrBrowserCrashed) && ctx.Err() == nil {
		// The browser died before the page did anything: one retry, on a
		// replacement browser.
		_, t, giveBack, err = checkout(ctx)
	}
	if err != nil {
		return nil, err
	}
	resp = &render.Response{URL: req.URL}
	resp.Timings.Acquire = time.Since(start)
	defer func() {
		if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) && !errors.Is(err, render.ErrBrowserCrashed) {
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
		giveBack(t, err)
		resp.Timings.Total = time.Since(start)
	}()
	err = r.run(ctx, t, req, to, resp)
	t.result(resp)
	return resp, err
}

// run is the pipeline on one tab: settings, navigation, wait, actions,
// HTML, artifacts.
func (r *Renderer) run(ctx context.Context, t *tab, req *render.Request, to render.Timeouts, resp *render.Response) error {
	t.beginRender(req.Block)
	if err := r.apply(ctx, t, req); err != nil {
		return err
	}
	undo := r.restoreStorage(ctx, t, req.SessionID, req.URL)
	nctx, ncancel := context.WithTimeout(ctx, to.Navigation)
	navStart := time.Now()
	waited, err := t.navigate(nctx, req.URL, to.IdleAfterDOMContentLoaded)
	ncancel()
	undo()
	resp.Timings.Navigate = time.Since(navStart) - waited
	resp.Timings.Wait = waited
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, render.ErrBrowserCrashed) {
			return fmt.Errorf("chromium: navigate %s: %w", req.URL, context.Cause(ctx))
		}
		return err
	}
	// The wait point: later main-frame navigations are refused, so the
	// document read below is the one that loaded.
	t.setNavOpen(false)

	if len(req.Actions) > 0 {
		as := time.Now()
		err := r.runActions(ctx, t, req, to, resp)
		resp.Timings.Actions = time.Since(as)
		if err != nil {
			// Keep what the page shows at the failure for diagnosis.
			// (Skipped once the hard cap passed: the page may be stuck.)
			if ctx.Err() == nil && !errors.Is(err, render.ErrBrowserCrashed) {
				hctx, hcancel := context.WithTimeout(ctx, 2*time.Second)
				if s, herr := t.snapshot(hctx); herr == nil {
					resp.HTML, resp.FinalURL = s.HTML, s.URL
				}
				hcancel()
			}
			return err
		}
	}
	hs := time.Now()
	s, err := t.snapshot(ctx)
	resp.Timings.HTML = time.Since(hs)
	if err != nil {
		return fmt.Errorf("chromium: read html: %w", err)
	}
	resp.HTML, resp.FinalURL = s.HTML, s.URL
	r.saveStorage(ctx, t, req.SessionID)
	return r.artifacts(ctx, t, req, resp)
}
