package chromium

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/riptide-go/riptide/internal/redact"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/go-rod/rod/lib/proto"

	"github.com/riptide-go/riptide/internal/egress"
	"github.com/riptide-go/riptide/render"
)

const (
	lifeDCL  = 1
	lifeLoad = 2

	maxMessages = 50
)

// tab is one page target with an attached session. It tracks the events
// of its current render: lifecycle of the main frame, network activity,
// console errors and warnings.
type tab struct {
	b    *browser
	id   proto.TargetTargetID
	sid  proto.TargetSessionID
	bctx string // browser context id ("" = default context)

	crashOnce sync.Once
	crashed   chan struct{}
	uses      int

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	loader  string        // current main-frame loader
	life    map[string]int
	navOpen bool // main-frame navigations allowed (until the wait point)
	navAny  bool // any main-frame navigation allowed (click with wait)
	// closeOnLoad: the load event of the current document is the wait
	// point; the dispatcher closes navigation as soon as it sees it.
	closeOnLoad bool
	status      int
	refused     bool   // the egress proxy refused the main document
	navURL      string // the URL of the current navigate call
	finalURL    string
	inflight    map[string]struct{}
	lastNet     time.Time
	net         render.NetworkSummary
	warnings    []string
	console     []string
	block       render.BlockSpec
	applied     settings
	// Extra request headers, sent only to headerOrigin.
	headers      map[string]string
	headerOrigin string
}

// settings are the per-request page settings a warm tab must re-apply
// only when they change.
type settings struct {
	ua, lang, platform, tz string
	vp                     render.Viewport
	blockKey               string
	stealth                bool
	stealthID              string
	set                    bool
}

// newTab creates a page in browser context bctx and prepares it: events,
// dialog handling, download denial, service worker bypass and the
// navigation guard are installed before any navigation.
func (b *browser) newTab(ctx context.Context, bctx string, runtime bool) (_ *tab, err error) {
	var created struct {
		TargetID proto.TargetTargetID `json:"targetId"`
	}
	p := obj{"url": "about:blank"}
	if bctx != "" {
		p["browserContextId"] = bctx
	}
	if err := b.cn.call(ctx, "", "Target.createTarget", p, &created); err != nil {
		return nil, err
	}
	t := &tab{b: b, id: created.TargetID, bctx: bctx, crashed: make(chan struct{}), changed: make(chan struct{}),
		life: map[string]int{}, inflight: map[string]struct{}{}}
	defer func() {
		if err != nil {
			t.discard(context.WithoutCancel(ctx), false)
		}
	}()
	b.mu.Lock()
	b.tabs[t.id] = t
	b.mu.Unlock()
	var att struct {
		SessionID proto.TargetSessionID `json:"sessionId"`
	}
	if err := b.cn.call(ctx, "", "Target.attachToTarget", obj{"targetId": t.id, "flatten": true}, &att); err != nil {
		return nil, err
	}
	t.sid = att.SessionID
	b.cn.handle(t.sid, t.onEvent)
	calls := []struct {
		m string
		p any
	}{
		{"Page.enable", nil},
		{"Page.setLifecycleEventsEnabled", obj{"enabled": true}},
		{"Network.enable", obj{"maxPostDataSize": 0}},
		{"Network.setBypassServiceWorker", obj{"bypass": true}},
		{"Fetch.enable", obj{"patterns": []obj{{"urlPattern": "*", "resourceType": "Document", "requestStage": "Request"}}}},
		{"Emulation.setDeviceMetricsOverride", obj{"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false}},
	}
	if runtime {
		calls = append(calls, struct {
			m string
			p any
		}{"Runtime.enable", nil})
	}
	if bctx != "" {
		if err := b.cn.call(ctx, "", "Browser.setDownloadBehavior", obj{"behavior": "deny", "browserContextId": bctx}, nil); err != nil {
			return nil, err
		}
	}
	for _, c := range calls {
		if err := t.call(ctx, c.m, c.p, nil); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *tab) call(ctx context.Context, method string, params, out any) error {
	select {
	case <-t.crashed:
		return fmt.Errorf("%w: %s: page crashed", render.ErrBrowserCrashed, method)
	default:
	}
	return t.b.cn.call(ctx, t.sid, method, params, out)
}

// bump wakes every waiter; t.mu must be held.
func (t *tab) bump() {
	close(t.changed)
	t.changed = make(chan struct{})
}

func (t *tab) warn(msg string) {
	t.mu.Lock()
	t.warnLocked(msg)
	t.mu.Unlock()
}

func (t *tab) warnLocked(msg string) {
	if len(t.warnings) < maxMessages {
		t.warnings = append(t.warnings, msg)
	}
}

func (t *tab) markCrashed(status string) {
	t.crashOnce.Do(func() {
		t.warn("page crashed: " + status)
		close(t.crashed)
	})
}

func (t *tab) isCrashed() bool {
	select {
	case <-t.crashed:
		return true
	default:
		return false
	}
}

// event payloads (only the fields used).
type (
	evLifecycle struct {
		FrameID  string `json:"frameId"`
		LoaderID string `json:"loaderId"`
		Name     string `json:"name"`
	}
	evFrameNavigated struct {
		Frame struct {
			ID       string `json:"id"`
			ParentID string `json:"parentId"`
			LoaderID string `json:"loaderId"`
			URL      string `json:"url"`
		} `json:"frame"`
	}
	evRequest struct {
		RequestID        string          `json:"requestId"`
		RedirectResponse json.RawMessage `json:"redirectResponse"`
	}
	evResponse struct {
		RequestID string `json:"requestId"`
		LoaderID  string `json:"loaderId"`
		Type      string `json:"type"`
		FrameID   string `json:"frameId"`
		Response  struct {
			URL     string            `json:"url"`
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
		} `json:"response"`
	}
	evFinished struct {
		RequestID         string  `json:"requestId"`
		EncodedDataLength float64 `json:"encodedDataLength"`
	}
	evFailed struct {
		RequestID     string `json:"requestId"`
		ErrorText     string `json:"errorText"`
		BlockedReason string `json:"blockedReason"`
	}
	evPaused struct {
		RequestID string `json:"requestId"`
		Request   struct {
			URL     string            `json:"url"`
			Headers map[string]string `json:"headers"`
		} `json:"request"`
		FrameID             string `json:"frameId"`
		ResourceType        string `json:"resourceType"`
		RedirectedRequestID string `json:"redirectedRequestId"`
	}
	evDialog struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	remoteObj struct {
		Type        string          `json:"type"`
		Value       json.RawMessage `json:"value"`
		Description string          `json:"description"`
	}
	evConsole struct {
		Type string      `json:"type"`
		Args []remoteObj `json:"args"`
	}
	evException struct {
		ExceptionDetails exceptionDetails `json:"exceptionDetails"`
	}
	exceptionDetails struct {
		Text      string     `json:"text"`
		Exception *remoteObj `json:"exception"`
	}
)

func (e exceptionDetails) String() string {
	if e.Exception != nil && e.Exception.Description != "" {
		s := e.Exception.Description
		if i := strings.IndexByte(s, '\n'); i > 0 {
			s = s[:i]
		}
		return s
	}
	return e.Text
}

// onEvent runs on the dispatch goroutine: update state, never block.
func (t *tab) onEvent(method string, params json.RawMessage) {
	switch method {
	case "Page.lifecycleEvent":
		var e evLifecycle
		if json.Unmarshal(params, &e) != nil || e.FrameID != string(t.id) {
			return
		}
		flag := 0
		switch e.Name {
		case "DOMContentLoaded":
			flag = lifeDCL
		case "load":
			flag = lifeLoad
		default:
			return
		}
		t.mu.Lock()
		t.life[e.LoaderID] |= flag
		if flag == lifeLoad && e.LoaderID == t.loader && t.closeOnLoad && !t.navAny {
			t.navOpen = false
		}
		t.bump()
		t.mu.Unlock()
	case "Page.frameNavigated":
		var e evFrameNavigated
		if json.Unmarshal(params, &e) != nil || e.Frame.ParentID != "" {
			return
		}
		t.mu.Lock()
		if e.Frame.URL == "about:blank" && t.navURL != "about:blank" {
			// A late event of the reset between two renders.
			t.mu.Unlock()
			return
		}
		t.loader = e.Frame.LoaderID
		t.finalURL = e.Frame.URL
		t.bump()
		t.mu.Unlock()
	case "Page.navigatedWithinDocument":
		var e struct {
			FrameID string `json:"frameId"`
			URL     string `json:"url"`
		}
		if json.Unmarshal(params, &e) == nil && e.FrameID == string(t.id) {
			t.mu.Lock()
			t.finalURL = e.URL
			t.mu.Unlock()
		}
	case "Network.requestWillBeSent":
		var e evRequest
		if json.Unmarshal(params, &e) != nil {
			return
		}
		t.mu.Lock()
		if len(e.RedirectResponse) == 0 {
			t.net.Requests++
		}
		t.inflight[e.RequestID] = struct{}{}
		t.lastNet = time.Now()
		t.bump()
		t.mu.Unlock()
	case "Network.responseReceived":
		var e evResponse
		if json.Unmarshal(params, &e) != nil || e.Type != "Document" || e.FrameID != string(t.id) {
			return
		}
		t.mu.Lock()
		if e.LoaderID == t.loader || t.status == 0 || e.RequestID == e.LoaderID {
			t.status = e.Response.Status
			t.refused = false
			for k := range e.Response.Headers {
				if strings.EqualFold(k, egress.RefusedHeader) {
					t.refused = true
				}
			}
		}
		t.mu.Unlock()
	case "Network.loadingFinished":
		var e evFinished
		if json.Unmarshal(params, &e) != nil {
			return
		}
		t.mu.Lock()
		if _, ok := t.inflight[e.RequestID]; ok {
			delete(t.inflight, e.RequestID)
			t.net.Bytes += int64(e.EncodedDataLength)
			t.lastNet = time.Now()
			t.bump()
		}
		t.mu.Unlock()
	case "Network.loadingFailed":
		var e evFailed
		if json.Unmarshal(params, &e) != nil {
			return
		}
		t.mu.Lock()
		if _, ok := t.inflight[e.RequestID]; ok {
			delete(t.inflight, e.RequestID)
			if e.ErrorText != "net::ERR_BLOCKED_BY_CLIENT" {
				t.net.Failed++
			}
			t.lastNet = time.Now()
			t.bump()
		}
		t.mu.Unlock()
	case "Fetch.requestPaused":
		var e evPaused
		if json.Unmarshal(params, &e) != nil {
			return
		}
		t.onPaused(e)
	case "Page.javascriptDialogOpening":
		var e evDialog
		if json.Unmarshal(params, &e) != nil {
			return
		}
		t.warn(fmt.Sprintf("dismissed %s dialog: %.100s", e.Type, e.Message))
		// Leaving the page must stay possible: accept beforeunload,
		// dismiss the others.
		accept := e.Type == "beforeunload"
		go t.background(func(ctx context.Context) {
			_ = t.call(ctx, "Page.handleJavaScriptDialog", obj{"accept": accept}, nil)
		})
	case "Runtime.consoleAPICalled":
		var e evConsole
		if json.Unmarshal(params, &e) != nil || (e.Type != "error" && e.Type != "assert") {
			return
		}
		var parts []string
		for _, a := range e.Args {
			if a.Type == "string" {
				var s string
				_ = json.Unmarshal(a.Value, &s)
				parts = append(parts, s)
			} else if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, string(a.Value))
			}
		}
		t.addConsole(strings.Join(parts, " "))
	case "Runtime.exceptionThrown":
		var e evException
		if json.Unmarshal(params, &e) == nil {
			t.addConsole(e.ExceptionDetails.String())
		}
	case "Inspector.targetCrashed":
		t.markCrashed("renderer crashed")
	case "Inspector.detached":
		t.markCrashed("detached")
	}
}

func (t *tab) addConsole(s string) {
	t.mu.Lock()
	if len(t.console) < maxMessages {
		if len(s) > 500 {
			s = s[:500]
		}
		t.console = append(t.console, s)
	}
	t.mu.Unlock()
}

// background runs a short CDP exchange off the dispatch goroutine with its
// own bounded ctx.
func (t *tab) background(f func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	f(ctx)
}

var blockTypes = map[string]func(render.BlockSpec) bool{
	"Image":      func(b render.BlockSpec) bool { return b.Images },
	"Font":       func(b render.BlockSpec) bool { return b.Fonts },
	"Media":      func(b render.BlockSpec) bool { return b.Media },
	"Stylesheet": func(b render.BlockSpec) bool { return b.Stylesheets },
}

// onPaused decides a paused request: blocked resources fail, a main-frame
// navigation after the wait point is aborted (the first document is
// kept), everything else continues.
func (t *tab) onPaused(e evPaused) {
	t.mu.Lock()
	block := t.block
	reason := ""
	mainDoc := e.ResourceType == "Document" && e.FrameID == string(t.id)
	deferred := false
	switch {
	case blockTypes[e.ResourceType] != nil && blockTypes[e.ResourceType](block):
		reason = "BlockedByClient"
	case matchAny(block.URLPatterns, e.Request.URL):
		reason = "BlockedByClient"
	case mainDoc && !t.navOpen:
		reason = "Aborted"
		t.warnLocked(fmt.Sprintf("blocked a navigation after the wait point to %.200s", e.Request.URL))
	case mainDoc && !t.navAny && e.RedirectedRequestID == "" && e.Request.URL != t.navURL:
		// A script navigation while the page loads: a client redirect if
		// it comes before the load event, a late navigation if the load
		// event (whose report may trail this one) has fired. Decide after
		// a short look.
		deferred = true
	}
	if reason == "BlockedByClient" {
		t.net.Blocked++
	}
	var headers []obj
	if len(t.headers) > 0 && t.headerOrigin != "" && origin(e.Request.URL) == t.headerOrigin {
		for k, v := range e.Request.Headers {
			if _, over := t.headers[k]; !over {
				headers = append(headers, obj{"name": k, "value": v})
			}
		}
		for k, v := range t.headers {
			headers = append(headers, obj{"name": k, "value": v})
		}
	}
	t.mu.Unlock()
	go t.background(func(ctx context.Context) {
		if deferred {
			wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			err := t.waitFor(wctx, func() (bool, time.Duration) {
				return !t.navOpen || t.life[t.loader]&lifeLoad != 0, 0
			})
			cancel()
			if err == nil {
				reason = "Aborted"
				t.warn(fmt.Sprintf("blocked a navigation after the load event to %.200s", e.Request.URL))
			}
		}
		if reason != "" {
			_ = t.call(ctx, "Fetch.failRequest", obj{"requestId": e.RequestID, "errorReason": reason}, nil)
			return
		}
		p := obj{"requestId": e.RequestID}
		if headers != nil {
			p["headers"] = headers
		}
		_ = t.call(ctx, "Fetch.continueRequest", p, nil)
	})
}

// matchAny reports whether u matches one of the wildcard patterns.
func matchAny(patterns []string, u string) bool {
	for _, p := range patterns {
		if globMatch(p, u) {
			return true
		}
	}
	return false
}

// globMatch matches '*' (any run, '/' included) and '?' (one byte).
func globMatch(p, s string) bool {
	// path.Match treats '/' specially; map both sides to a byte it never
	// meets in a URL pattern.
	const sep = "\x00"
	ok, err := path.Match(strings.ReplaceAll(escapeClass(p), "/", sep), strings.ReplaceAll(s, "/", sep))
	return err == nil && ok
}

// escapeClass escapes the characters path.Match gives meaning to besides
// '*' and '?'.
func escapeClass(p string) string {
	r := strings.NewReplacer(`[`, `\[`, `]`, `\]`, `\`, `\\`)
	return r.Replace(p)
}

// beginRender resets the per-render state.
func (t *tab) beginRender(block render.BlockSpec) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.loader = ""
	t.life = map[string]int{}
	t.navOpen = true
	t.status = 0
	t.refused = false
	t.finalURL = ""
	t.inflight = map[string]struct{}{}
	t.lastNet = time.Now()
	t.net = render.NetworkSummary{}
	t.warnings = nil
	t.console = nil
	t.block = block
	t.headers, t.headerOrigin = nil, ""
}

func (t *tab) setNavOpen(open bool) {
	t.mu.Lock()
	t.navOpen = open
	t.navAny = false
	t.mu.Unlock()
}

// allowAnyNav lets every main-frame navigation through (a click that is
// expected to navigate) until setNavOpen.
func (t *tab) allowAnyNav() {
	t.mu.Lock()
	t.navOpen, t.navAny = true, true
	t.mu.Unlock()
}

// waitFor blocks until cond (called with t.mu held) returns true, ctx
// ends, the page crashes or the browser dies. wake, when non-zero, asks
// for a re-check after that long even without events.
func (t *tab) waitFor(ctx context.Context, cond func() (bool, time.Duration)) error {
	for {
		t.mu.Lock()
		ok, wake := cond()
		ch := t.changed
		t.mu.Unlock()
		if ok {
			return nil
		}
		var timer <-chan time.Time
		var tm *time.Timer
		if wake > 0 {
			tm = time.NewTimer(wake)
			timer = tm.C
		}
		var err error
		select {
		case <-ch:
		case <-timer:
		case <-ctx.Done():
			err = context.Cause(ctx)
		case <-t.crashed:
			err = fmt.Errorf("%w: page crashed", render.ErrBrowserCrashed)
		case <-t.b.dead:
			err = t.b.deadErr
		}
		if tm != nil {
			tm.Stop()
		}
		if err != nil {
			return err
		}
	}
}

// netIdleFor reports (under t.mu) whether no request has been in flight
// for quiet, and otherwise how long to wait before checking again.
func (t *tab) netIdleFor(quiet time.Duration) (bool, time.Duration) {
	if len(t.inflight) > 0 {
		return false, quiet
	}
	since := time.Since(t.lastNet)
	if since >= quiet {
		return true, 0
	}
	return false, quiet - since
}

// navigate loads u in the main frame and waits for its load event (or,
// with idleAfterDCL, for DOMContentLoaded plus a quiet network). A page
// that reached DOMContentLoaded but not load within ctx is kept with a
// warning.
func (t *tab) navigate(ctx context.Context, u string, idleAfterDCL time.Duration) (waited time.Duration, err error) {
	t.mu.Lock()
	t.navOpen = true
	t.navURL = u
	t.closeOnLoad = idleAfterDCL == 0 && u != "about:blank"
	t.loader = "" // set by this navigation's frameNavigated or its answer
	t.mu.Unlock()
	var res struct {
		LoaderID  string `json:"loaderId"`
		ErrorText string `json:"errorText"`
	}
	if err := t.call(ctx, "Page.navigate", obj{"url": u}, &res); err != nil {
		if errors.Is(err, render.ErrBrowserCrashed) || ctx.Err() != nil {
			return 0, err
		}
		return 0, fmt.Errorf("%w: %s: %v", render.ErrNavigation, redact.URL(u), err)
	}
	if res.ErrorText != "" {
		return 0, fmt.Errorf("%w: %s: %s", render.ErrNavigation, redact.URL(u), res.ErrorText)
	}
	start := time.Now()
	if res.LoaderID == "" {
		return 0, nil // same-document navigation
	}
	t.mu.Lock()
	if t.loader == "" {
		t.loader = res.LoaderID
	}
	t.mu.Unlock()
	err = t.waitFor(ctx, func() (bool, time.Duration) {
		l := t.life[t.loader]
		if idleAfterDCL > 0 {
			if l&lifeDCL == 0 {
				return false, 0
			}
			return t.netIdleFor(idleAfterDCL)
		}
		return l&lifeLoad != 0, 0
	})
	waited = time.Since(start)
	t.mu.Lock()
	refused := t.refused
	t.mu.Unlock()
	if refused {
		return waited, fmt.Errorf("%w: %s: destination refused by the egress policy", render.ErrNavigation, redact.URL(u))
	}
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		t.mu.Lock()
		dcl := t.life[t.loader]&lifeDCL != 0
		t.mu.Unlock()
		if dcl {
			t.warn("load event did not fire in time; using the document at DOMContentLoaded")
			return waited, nil
		}
		return waited, fmt.Errorf("%w: %s: no DOMContentLoaded: %w", render.ErrNavigation, redact.URL(u), err)
	}
	return waited, err
}

// eval evaluates expr in the page and returns its JSON value.
func (t *tab) eval(ctx context.Context, expr string, await, gesture bool) (json.RawMessage, error) {
	var res struct {
		Result           remoteObj         `json:"result"`
		ExceptionDetails *exceptionDetails `json:"exceptionDetails"`
	}
	err := t.call(ctx, "Runtime.evaluate", obj{
		"expression": expr, "returnByValue": true, "awaitPromise": await, "userGesture": gesture,
	}, &res)
	if err != nil {
		return nil, err
	}
	if res.ExceptionDetails != nil {
		return nil, fmt.Errorf("script error: %s", res.ExceptionDetails.String())
	}
	if res.Result.Type == "undefined" || len(res.Result.Value) == 0 {
		return json.RawMessage("null"), nil
	}
	return res.Result.Value, nil
}

// snapshot is the serialized document and its address.
type snapshot struct {
	HTML string `json:"html"`
	URL  string `json:"url"`
}

const snapshotJS = `(() => {
  const d = document;
  let s = '';
  if (d.doctype) s = new XMLSerializer().serializeToString(d.doctype) + '\n';
  return {html: s + (d.documentElement ? d.documentElement.outerHTML : ''), url: location.href};
})()`

func (t *tab) snapshot(ctx context.Context) (snapshot, error) {
	var s snapshot
	raw, err := t.eval(ctx, snapshotJS, false, false)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, err
	}
	if s.URL == "" {
		return s, errors.New("no document to read")
	}
	return s, nil
}

// result copies the per-render state into resp.
func (t *tab) result(resp *render.Response) {
	t.mu.Lock()
	defer t.mu.Unlock()
	resp.Status = t.status
	if resp.FinalURL == "" {
		resp.FinalURL = t.finalURL
	}
	resp.Network = t.net
	resp.Warnings = append(resp.Warnings, t.warnings...)
	resp.ConsoleErrors = append(resp.ConsoleErrors, t.console...)
}

// discard ends the tab. It escalates: stop scripts
// (Runtime.terminateExecution), close the target with a short deadline,
// and, with killOnFail, kill the browser when the close does not succeed
// (a renderer stuck in a loop must not survive). ctx only bounds the wait;
// it is detached from the caller's cancellation.
func (t *tab) discard(ctx context.Context, killOnFail bool) {
	ctx = context.WithoutCancel(ctx)
	b := t.b
	if t.sid != "" && !b.isDead() {
		tctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		_ = t.call(tctx, "Runtime.terminateExecution", nil, nil)
		cancel()
	}
	var err error
	if !b.isDead() {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		var res struct {
			Success bool `json:"success"`
		}
		err = b.cn.call(cctx, "", "Target.closeTarget", obj{"targetId": t.id}, &res)
		cancel()
	}
	if t.sid != "" {
		b.cn.handle(t.sid, nil)
	}
	b.mu.Lock()
	delete(b.tabs, t.id)
	b.mu.Unlock()
	if err != nil && killOnFail && !b.isDead() {
		b.kill()
	}
}
