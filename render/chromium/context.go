package chromium

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riptide-go/riptide/render"
)

// Context is a browser context (its own cookies, storage and cache) with
// warm tabs that are reused across its renders: the handle a crawl or a
// tenant uses so that its pages pay no context or tab creation. Renders
// through different Contexts never share state.
//
// A Context is safe for concurrent use; concurrent renders use separate
// tabs. It pins one browser until Close; if that browser crashes the next
// render re-creates the context on a healthy browser (cookies and
// storage are lost, except a session's persisted cookies and
// localStorage) and the
// response carries a warning.
type Context struct {
	r       *Renderer
	session string // non-empty for a session's context

	ensureMu sync.Mutex // serializes (re)creation

	mu      sync.Mutex
	b       *browser
	id      string // CDP browser context id
	idle    []*tab
	closed  bool
	busy    int
	lastUse time.Time
	created time.Time
	// restored lists the origins whose persisted localStorage a session
	// context has been given since it was (re)created.
	restored map[string]bool
}

var (
	_ render.Group   = (*Context)(nil)
	_ render.Grouper = (*Renderer)(nil)
)

// NewGroup is NewContext behind the render.Grouper interface.
func (r *Renderer) NewGroup(ctx context.Context) (render.Group, error) {
	c, err := r.NewContext(ctx)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// NewContext creates a fresh browser context with warm-tab reuse. The
// caller must Close it.
func (r *Renderer) NewContext(ctx context.Context) (*Context, error) {
	c := &Context{r: r, created: time.Now(), lastUse: time.Now()}
	if err := c.ensure(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// ensure makes sure the context lives on a running browser; c.mu must
// not be held. It reports whether the context was (re)created.
func (c *Context) ensure(ctx context.Context) error {
	c.ensureMu.Lock()
	defer c.ensureMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return render.ErrClosed
	}
	if c.b != nil && !c.b.isDead() {
		c.mu.Unlock()
		return nil
	}
	old := c.b
	c.b, c.id, c.idle, c.restored = nil, "", nil, nil
	c.mu.Unlock()
	if old != nil {
		c.unpin(old)
	}
	b, err := c.r.acquire(ctx)
	if err != nil {
		return err
	}
	var res struct {
		ID string `json:"browserContextId"`
	}
	err = b.cn.call(ctx, "", "Target.createBrowserContext", obj{"disposeOnDetach": false}, &res)
	if err == nil {
		err = b.cn.call(ctx, "", "Browser.setDownloadBehavior", obj{"behavior": "deny", "browserContextId": res.ID}, nil)
	}
	b.mu.Lock()
	b.contexts++
	b.mu.Unlock()
	c.r.releaseN(b, err, 0) // the context, not a render, pins the browser now
	if err != nil {
		c.unpin(b)
		return err
	}
	c.mu.Lock()
	c.b, c.id = b, res.ID
	closed := c.closed
	c.mu.Unlock()
	if closed {
		c.dispose(context.WithoutCancel(ctx), b, res.ID, nil)
		return render.ErrClosed
	}
	if c.session != "" {
		c.r.restoreCookies(ctx, c)
	}
	return nil
}

func (c *Context) unpin(b *browser) {
	b.mu.Lock()
	b.contexts--
	b.mu.Unlock()
	c.r.settle(b)
}

// Render renders req in this context. Isolation FreshTab (or Incognito,
// which a Context already provides against other contexts) uses a new tab
// closed afterwards; the default and WarmTab reuse a warm tab.
func (c *Context) Render(ctx context.Context, req *render.Request) (*render.Response, error) {
	return c.render(ctx, req, time.Now())
}

func (c *Context) render(ctx context.Context, req *render.Request, start time.Time) (*render.Response, error) {
	if req.Proxy != "" && c.session == "" {
		return nil, fmt.Errorf("%w: a per-request proxy needs a browser context of its own; a Context's renders share one (give the renderer a Proxy instead)", render.ErrInvalidRequest)
	}
	return c.r.renderWith(ctx, req, start, func(ctx context.Context) (*browser, *tab, func(*tab, error), error) {
		return c.checkout(ctx, req.Isolation == render.IsolationDefault || req.Isolation == render.IsolationWarmTab, req.Stealth)
	})
}

// checkout returns a tab of the context (warm when reuse is set) and the
// function that gives it back.
func (c *Context) checkout(ctx context.Context, reuse, stealth bool) (*browser, *tab, func(*tab, error), error) {
	recreated := false
	c.mu.Lock()
	if c.b != nil && c.b.isDead() {
		recreated = true
	}
	c.mu.Unlock()
	if err := c.ensure(ctx); err != nil {
		return nil, nil, nil, err
	}
	c.mu.Lock()
	b, id := c.b, c.id
	var t *tab
	if reuse {
		for len(c.idle) > 0 && t == nil {
			t = c.idle[len(c.idle)-1]
			c.idle = c.idle[:len(c.idle)-1]
			if t.isCrashed() {
				go t.discard(context.Background(), false)
				t = nil
			}
		}
	}
	c.busy++
	c.lastUse = time.Now()
	c.mu.Unlock()
	b.inflight.Add(1)
	if t == nil {
		var err error
		t, err = b.newTab(ctx, id, !stealth)
		if err != nil {
			c.mu.Lock()
			c.busy--
			c.mu.Unlock()
			c.r.release(b, err)
			return nil, nil, nil, err
		}
	}
	if recreated {
		t.warn("browser crashed; context was re-created on another browser (cookies and storage lost)")
	}
	giveBack := func(t *tab, err error) {
		c.r.recycleTab(t, err, reuse, func(t *tab) bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.closed || c.b != t.b || len(c.idle) >= c.r.cfg.WarmTabs {
				return false
			}
			c.idle = append(c.idle, t)
			return true
		})
		c.mu.Lock()
		c.busy--
		c.lastUse = time.Now()
		c.mu.Unlock()
		c.r.release(b, err)
	}
	return b, t, giveBack, nil
}

// Close closes the context's tabs and disposes of the browser context.
// It waits for nothing longer than ctx (or 5 s).
func (c *Context) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	b, id, idle := c.b, c.id, c.idle
	c.idle = nil
	c.mu.Unlock()
	if b == nil {
		return nil
	}
	if c.session != "" {
		c.r.saveCookies(ctx, c, b, id)
	}
	c.dispose(ctx, b, id, idle)
	c.unpin(b)
	return nil
}

func (c *Context) dispose(ctx context.Context, b *browser, id string, idle []*tab) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, t := range idle {
		t.discard(ctx, false)
	}
	if !b.isDead() {
		dctx, dcancel := context.WithTimeout(ctx, 2*time.Second)
		_ = b.cn.call(dctx, "", "Target.disposeBrowserContext", obj{"browserContextId": id}, nil)
		dcancel()
	}
}

// recycleTab resets a tab that served a successful render and offers it
// to keep; any other tab is closed. Reset (about:blank) runs in the
// background so the render returns at once.
func (r *Renderer) recycleTab(t *tab, err error, reuse bool, keep func(*tab) bool) {
	t.uses++
	if err != nil || !reuse || t.isCrashed() || t.b.isDead() || t.uses >= 100 {
		r.bgDiscard(t, err)
		return
	}
	// Leave the page now (its scripts stop), without waiting for the
	// blank page to load: the next render's navigation supersedes it and
	// its late events are ignored.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	t.mu.Lock()
	t.navOpen, t.navAny, t.navURL, t.block = true, false, "about:blank", render.BlockSpec{}
	t.mu.Unlock()
	if err := t.call(ctx, "Page.navigate", obj{"url": "about:blank"}, nil); err != nil || !keep(t) {
		r.bgDiscard(t, err)
	}
}

// bgDiscard closes a tab in the background with a bounded deadline; a tab
// that failed by timeout gets the full escalation (kill the browser if
// the target will not close).
func (r *Renderer) bgDiscard(t *tab, err error) {
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		t.discard(ctx, errors.Is(err, context.DeadlineExceeded))
	}()
}

var errNoTab = fmt.Errorf("chromium: no tab")
