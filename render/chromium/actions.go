package chromium

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-rod/stealth"

	"github.com/riptide-go/riptide/render"
)

// apply sets the request's page settings on t, re-sending only what
// changed since the tab's previous render.
func (r *Renderer) apply(ctx context.Context, t *tab, req *render.Request) error {
	want := settings{vp: req.Viewport, stealth: req.Stealth, set: true}
	if want.vp.Width == 0 {
		want.vp.Width = 1280
	}
	if want.vp.Height == 0 {
		want.vp.Height = 800
	}
	if want.vp.DeviceScaleFactor == 0 {
		want.vp.DeviceScaleFactor = 1
	}
	want.ua = req.UserAgent
	if req.Stealth {
		if want.ua == "" {
			want.ua = stealthUA(t.b.version)
		}
		want.lang, want.platform, want.tz = r.cfg.Locale, r.cfg.Platform, r.cfg.Timezone
	}
	have := t.applied
	want.stealthID = have.stealthID

	if !have.set || have.vp != want.vp {
		if err := t.call(ctx, "Emulation.setDeviceMetricsOverride", obj{
			"width": want.vp.Width, "height": want.vp.Height,
			"deviceScaleFactor": want.vp.DeviceScaleFactor, "mobile": want.vp.Mobile,
		}, nil); err != nil {
			return err
		}
	}
	if have.ua != want.ua || have.lang != want.lang || have.platform != want.platform {
		ua := want.ua
		if ua == "" {
			ua = t.b.version
		}
		p := obj{"userAgent": ua}
		if want.lang != "" {
			p["acceptLanguage"] = want.lang + "," + strings.SplitN(want.lang, "-", 2)[0] + ";q=0.9"
		}
		if want.platform != "" {
			p["platform"] = want.platform
		}
		if err := t.call(ctx, "Emulation.setUserAgentOverride", p, nil); err != nil {
			return err
		}
	}
	if have.tz != want.tz {
		if err := t.call(ctx, "Emulation.setTimezoneOverride", obj{"timezoneId": want.tz}, nil); err != nil {
			return err
		}
	}
	// Extra headers go only to the page's own origin (a redirect or a
	// subresource elsewhere must not receive tenant secrets): they are
	// added per request by the Fetch handler, not with
	// Network.setExtraHTTPHeaders, which sends them everywhere.
	t.mu.Lock()
	t.headers, t.headerOrigin = req.Headers, origin(req.URL)
	t.mu.Unlock()
	want.blockKey = fmt.Sprint(req.Block, len(req.Headers) > 0)
	if have.stealth != want.stealth {
		if want.stealth {
			var res struct {
				ID string `json:"identifier"`
			}
			src := stealth.JS + stealthExtraJS(r.cfg.Locale)
			if err := t.call(ctx, "Page.addScriptToEvaluateOnNewDocument", obj{"source": src}, &res); err != nil {
				return err
			}
			want.stealthID = res.ID
		} else if have.stealthID != "" {
			if err := t.call(ctx, "Page.removeScriptToEvaluateOnNewDocument", obj{"identifier": have.stealthID}, nil); err != nil {
				return err
			}
			want.stealthID = ""
		}
	}
	if have.blockKey != want.blockKey {
		patterns := []obj{{"urlPattern": "*", "resourceType": "Document", "requestStage": "Request"}}
		b := req.Block
		for typ, on := range map[string]bool{"Image": b.Images, "Font": b.Fonts, "Media": b.Media, "Stylesheet": b.Stylesheets} {
			if on {
				patterns = append(patterns, obj{"urlPattern": "*", "resourceType": typ, "requestStage": "Request"})
			}
		}
		for _, p := range b.URLPatterns {
			patterns = append(patterns, obj{"urlPattern": p, "requestStage": "Request"})
		}
		if len(req.Headers) > 0 {
			patterns = append(patterns, obj{"urlPattern": "*", "requestStage": "Request"})
		}
		if err := t.call(ctx, "Fetch.enable", obj{"patterns": patterns}, nil); err != nil {
			return err
		}
	}
	t.applied = want
	return nil
}

// origin returns scheme://host[:port] of u, lower-cased ("" if unparsable).
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return ""
	}
	return strings.ToLower(p.Scheme + "://" + p.Host)
}

// stealthExtraJS keeps navigator.languages consistent with the
// Accept-Language header.
func stealthExtraJS(locale string) string {
	base := strings.SplitN(locale, "-", 2)[0]
	langs, _ := json.Marshal([]string{locale, base})
	return `;(() => { try { Object.defineProperty(Object.getPrototypeOf(navigator), 'languages', {get: () => ` +
		string(langs) + `}); Object.defineProperty(Object.getPrototypeOf(navigator), 'webdriver', {get: () => false}); } catch (e) {} })();`
}

// runActions runs req.Actions in order; each gets its own deadline.
func (r *Renderer) runActions(ctx context.Context, t *tab, req *render.Request, to render.Timeouts, resp *render.Response) error {
	for i, a := range req.Actions {
		d := a.Timeout
		if d <= 0 {
			d = to.Action
			if a.Kind == render.KindScript {
				d = to.Script
			}
		}
		actx, cancel := context.WithTimeout(ctx, d)
		start := time.Now()
		res := render.ActionResult{Index: i, Kind: a.Kind}
		val, img, err := r.action(actx, t, a)
		cancel()
		res.Duration = time.Since(start)
		res.Value, res.Image = val, img
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				err = fmt.Errorf("timed out after %s: %w", d, context.DeadlineExceeded)
			}
			res.Error = err.Error()
			resp.Actions = append(resp.Actions, res)
			if errors.Is(err, render.ErrBrowserCrashed) {
				return err
			}
			return &render.ActionError{Index: i, Kind: a.Kind, Err: err}
		}
		res.OK = true
		resp.Actions = append(resp.Actions, res)
	}
	return nil
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitCSSJS resolves once the selector matches (a visible element when
// visible is set). A MutationObserver re-checks on every DOM change; for
// visibility, which CSS can change without a mutation, animation frames
// re-check too. Nothing polls on a timer.
const waitCSSJS = `((sel, visible, ms) => new Promise((resolve, reject) => {
  const shown = el => {
    if (!visible) return true;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none' || s.opacity === '0') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const check = () => { const el = document.querySelector(sel); return !!el && shown(el); };
  if (check()) return resolve(true);
  let done = false, raf = 0;
  const finish = ok => { if (done) return; done = true; obs.disconnect(); cancelAnimationFrame(raf); clearTimeout(timer); ok ? resolve(true) : reject(new Error('timeout')); };
  const obs = new MutationObserver(() => { if (check()) finish(true); });
  obs.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  const frame = () => { if (check()) finish(true); else raf = requestAnimationFrame(frame); };
  if (visible) raf = requestAnimationFrame(frame);
  const timer = setTimeout(() => finish(false), ms);
}))`

// waitJSJS resolves with the expression's value once it is truthy,
// re-evaluated on DOM mutations and animation frames (and at least every
// 100 ms, for pages whose frames are throttled).
const waitJSJS = `((fn, ms) => new Promise((resolve, reject) => {
  let done = false, raf = 0, iv = 0;
  const finish = (ok, v) => { if (done) return; done = true; obs.disconnect(); cancelAnimationFrame(raf); clearInterval(iv); clearTimeout(timer); ok ? resolve(v) : reject(v); };
  const check = () => { try { const v = fn(); if (v) finish(true, v); } catch (e) { finish(false, e); } };
  const obs = new MutationObserver(check);
  const frame = () => { check(); if (!done) raf = requestAnimationFrame(frame); };
  const timer = setTimeout(() => finish(false, new Error('timeout')), ms);
  check();
  if (done) return;
  obs.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  raf = requestAnimationFrame(frame);
  iv = setInterval(check, 100);
}))`

func msLeft(ctx context.Context) int64 {
	if dl, ok := ctx.Deadline(); ok {
		return max(int64(time.Until(dl)/time.Millisecond)+50, 1)
	}
	return 3600_000
}

// action runs one action.
func (r *Renderer) action(ctx context.Context, t *tab, a render.Action) (json.RawMessage, []byte, error) {
	switch a.Kind {
	case render.KindWaitCSS:
		_, err := t.eval(ctx, fmt.Sprintf("%s(%s, %t, %d)", waitCSSJS, jsString(a.Selector), a.Visible, msLeft(ctx)), true, false)
		return nil, nil, err
	case render.KindWaitJS:
		v, err := t.eval(ctx, fmt.Sprintf("%s(() => (%s), %d)", waitJSJS, a.Expression, msLeft(ctx)), true, false)
		return v, nil, err
	case render.KindWaitNetworkIdle:
		quiet := a.Delay
		if quiet <= 0 {
			quiet = 500 * time.Millisecond
		}
		return nil, nil, t.waitFor(ctx, func() (bool, time.Duration) { return t.netIdleFor(quiet) })
	case render.KindScroll:
		return nil, nil, r.scroll(ctx, t, a)
	case render.KindClick:
		return nil, nil, r.click(ctx, t, a)
	case render.KindType:
		return nil, nil, r.typeText(ctx, t, a)
	case render.KindScript:
		v, err := t.eval(ctx, "(async () => {\n"+a.Script+"\n})()", true, true)
		return v, nil, err
	case render.KindScreenshot:
		img, err := r.screenshot(ctx, t, &render.ScreenshotSpec{})
		return nil, img, err
	case render.KindNavigate:
		t.setNavOpen(true)
		_, err := t.navigate(ctx, a.URL, 0)
		t.setNavOpen(false)
		return nil, nil, err
	}
	return nil, nil, fmt.Errorf("unknown action kind %q", a.Kind)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (r *Renderer) scroll(ctx context.Context, t *tab, a render.Action) error {
	steps := max(a.Steps, 1)
	px := "window.innerHeight"
	if a.StepPx > 0 {
		px = strconv.Itoa(a.StepPx)
	}
	for i := 0; i < steps; i++ {
		if i > 0 {
			if err := sleepCtx(ctx, a.Delay); err != nil {
				return err
			}
		}
		// Scroll, then let a frame pass so scroll handlers (infinite
		// loaders) run; the timer covers pages whose frames are paused.
		if _, err := t.eval(ctx, "window.scrollBy(0, "+px+"); new Promise(r => { requestAnimationFrame(() => r()); setTimeout(r, 50); })", true, true); err != nil {
			return err
		}
	}
	return nil
}

// elementCenter scrolls the element into view and returns its center in
// viewport coordinates.
const elementCenterJS = `((sel) => {
  const el = document.querySelector(sel);
  if (!el) throw new Error('no element matches ' + sel);
  el.scrollIntoView({block: 'center', inline: 'center'});
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) throw new Error('element has no size: ' + sel);
  return {x: r.left + r.width / 2, y: r.top + r.height / 2};
})`

func (r *Renderer) click(ctx context.Context, t *tab, a render.Action) error {
	raw, err := t.eval(ctx, fmt.Sprintf("%s(%s)", elementCenterJS, jsString(a.Selector)), false, false)
	if err != nil {
		return err
	}
	var pt struct{ X, Y float64 }
	if err := json.Unmarshal(raw, &pt); err != nil {
		return err
	}
	var before string
	if a.WaitNavigation {
		t.mu.Lock()
		before = t.loader
		t.mu.Unlock()
		t.allowAnyNav()
		defer t.setNavOpen(false)
	}
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		p := obj{"type": typ, "x": pt.X, "y": pt.Y}
		if typ != "mouseMoved" {
			p["button"], p["clickCount"] = "left", 1
		}
		if err := t.call(ctx, "Input.dispatchMouseEvent", p, nil); err != nil {
			return err
		}
	}
	if !a.WaitNavigation {
		return nil
	}
	// Wait for a new main-frame document, then for its load event.
	return t.waitFor(ctx, func() (bool, time.Duration) {
		return t.loader != before && t.loader != "" && t.life[t.loader]&lifeLoad != 0, 0
	})
}

const focusJS = `((sel, clear) => {
  const el = document.querySelector(sel);
  if (!el) throw new Error('no element matches ' + sel);
  el.scrollIntoView({block: 'center'});
  el.focus();
  if (clear) {
    if ('value' in el) { el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true})); }
    else if (el.isContentEditable) el.textContent = '';
  }
  return document.activeElement === el;
})`

func (r *Renderer) typeText(ctx context.Context, t *tab, a render.Action) error {
	raw, err := t.eval(ctx, fmt.Sprintf("%s(%s, %t)", focusJS, jsString(a.Selector), a.Clear), false, true)
	if err != nil {
		return err
	}
	if string(raw) != "true" {
		return fmt.Errorf("element %s cannot take focus", a.Selector)
	}
	for i, ch := range a.Text {
		if i > 0 {
			if err := sleepCtx(ctx, a.KeyDelay); err != nil {
				return err
			}
		}
		s := string(ch)
		if ch == '\n' {
			s = "\r"
		}
		if err := t.call(ctx, "Input.dispatchKeyEvent", obj{"type": "keyDown", "text": s, "unmodifiedText": s, "key": s}, nil); err != nil {
			return err
		}
		if err := t.call(ctx, "Input.dispatchKeyEvent", obj{"type": "keyUp", "key": s}, nil); err != nil {
			return err
		}
	}
	return nil
}

// screenshot captures the viewport, the full page or one element.
func (r *Renderer) screenshot(ctx context.Context, t *tab, spec *render.ScreenshotSpec) ([]byte, error) {
	format := string(spec.Format)
	if format == "" {
		format = "png"
	}
	p := obj{"format": format}
	if format != "png" {
		q := spec.Quality
		if q <= 0 || q > 100 {
			q = 80
		}
		p["quality"] = q
	}
	switch {
	case spec.Selector != "":
		raw, err := t.eval(ctx, fmt.Sprintf(`((sel) => { const el = document.querySelector(sel);
  if (!el) throw new Error('no element matches ' + sel);
  const r = el.getBoundingClientRect();
  return {x: r.left + scrollX, y: r.top + scrollY, width: Math.max(r.width, 1), height: Math.max(r.height, 1)}; })(%s)`, jsString(spec.Selector)), false, false)
		if err != nil {
			return nil, err
		}
		var clip struct{ X, Y, Width, Height float64 }
		if err := json.Unmarshal(raw, &clip); err != nil {
			return nil, err
		}
		p["clip"] = obj{"x": clip.X, "y": clip.Y, "width": clip.Width, "height": clip.Height, "scale": 1}
		p["captureBeyondViewport"] = true
	case spec.FullPage:
		var m struct {
			CSSContentSize struct{ Width, Height float64 } `json:"cssContentSize"`
		}
		if err := t.call(ctx, "Page.getLayoutMetrics", nil, &m); err != nil {
			return nil, err
		}
		h := min(m.CSSContentSize.Height, 16384)
		p["clip"] = obj{"x": 0, "y": 0, "width": m.CSSContentSize.Width, "height": h, "scale": 1}
		p["captureBeyondViewport"] = true
	}
	var res struct {
		Data string `json:"data"`
	}
	if err := t.call(ctx, "Page.captureScreenshot", p, &res); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(res.Data)
}

// artifacts captures the requested screenshot, PDF and MHTML.
func (r *Renderer) artifacts(ctx context.Context, t *tab, req *render.Request, resp *render.Response) error {
	var err error
	if req.Screenshot != nil {
		if resp.Screenshot, err = r.screenshot(ctx, t, req.Screenshot); err != nil {
			return fmt.Errorf("chromium: screenshot: %w", err)
		}
	}
	if req.PDF {
		var res struct {
			Data string `json:"data"`
		}
		if err := t.call(ctx, "Page.printToPDF", obj{"printBackground": true}, &res); err != nil {
			return fmt.Errorf("chromium: pdf: %w", err)
		}
		if resp.PDF, err = base64.StdEncoding.DecodeString(res.Data); err != nil {
			return fmt.Errorf("chromium: pdf: %w", err)
		}
	}
	if req.MHTML {
		var res struct {
			Data string `json:"data"`
		}
		if err := t.call(ctx, "Page.captureSnapshot", obj{"format": "mhtml"}, &res); err != nil {
			return fmt.Errorf("chromium: mhtml: %w", err)
		}
		resp.MHTML = []byte(res.Data)
	}
	return nil
}
