package render

import (
	"errors"
	"fmt"
	"time"
)

// ActionKind names what an [Action] does.
type ActionKind string

// Action kinds.
const (
	// KindWaitCSS waits until Selector matches an element (visible when
	// Visible is set). Event-driven: a MutationObserver in the page.
	KindWaitCSS ActionKind = "wait_css"
	// KindWaitJS waits until Expression is truthy, re-checked on each
	// animation frame and DOM mutation.
	KindWaitJS ActionKind = "wait_js"
	// KindWaitNetworkIdle waits until no request has been in flight for
	// Delay (default 500 ms).
	KindWaitNetworkIdle ActionKind = "wait_network_idle"
	// KindScroll scrolls down Steps times by StepPx, pausing Delay between
	// steps.
	KindScroll ActionKind = "scroll"
	// KindClick clicks the first element matching Selector; with
	// WaitNavigation it waits for the navigation the click causes.
	KindClick ActionKind = "click"
	// KindType types Text into the element matching Selector, clearing it
	// first when Clear is set, pausing KeyDelay between keys.
	KindType ActionKind = "type"
	// KindScript runs Script (a function body; its return value is sent
	// back as JSON in ActionResult.Value). It may return a promise.
	KindScript ActionKind = "script"
	// KindScreenshot captures the viewport (ActionResult.Image).
	KindScreenshot ActionKind = "screenshot"
	// KindNavigate loads URL in the page and waits for it.
	KindNavigate ActionKind = "navigate"
)

// Action is one step run on the page after it loaded. Kind says which
// fields apply; the constructors ([WaitCSS], [Click], ...) set them.
type Action struct {
	Kind ActionKind `json:"kind"`
	// Selector is a CSS selector (wait_css, click, type).
	Selector string `json:"selector,omitempty"`
	// Visible makes wait_css wait for a visible element.
	Visible bool `json:"visible,omitempty"`
	// Expression is a JS expression (wait_js).
	Expression string `json:"expression,omitempty"`
	// Steps and StepPx size a scroll (defaults 1 and the viewport height).
	Steps  int `json:"steps,omitempty"`
	StepPx int `json:"step_px,omitempty"`
	// Delay pauses between scroll steps; for wait_network_idle it is the
	// quiet time (default 500 ms).
	Delay time.Duration `json:"delay,omitempty"`
	// WaitNavigation makes click wait for the navigation it causes.
	WaitNavigation bool `json:"wait_navigation,omitempty"`
	// Text, Clear and KeyDelay configure type.
	Text     string        `json:"text,omitempty"`
	Clear    bool          `json:"clear,omitempty"`
	KeyDelay time.Duration `json:"key_delay,omitempty"`
	// Script is a function body for script.
	Script string `json:"script,omitempty"`
	// URL is the target of navigate.
	URL string `json:"url,omitempty"`
	// Timeout bounds this action; 0 means Request.Timeouts.Action (or
	// Timeouts.Script for script actions).
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Validate checks that the fields the kind needs are set.
func (a Action) Validate() error {
	if a.Timeout < 0 || a.Delay < 0 || a.KeyDelay < 0 || a.Steps < 0 || a.StepPx < 0 {
		return errors.New("negative timeout, delay or count")
	}
	need := func(v, name string) error {
		if v == "" {
			return fmt.Errorf("%s action needs %s", a.Kind, name)
		}
		return nil
	}
	switch a.Kind {
	case KindWaitCSS, KindClick:
		return need(a.Selector, "a selector")
	case KindType:
		return need(a.Selector, "a selector")
	case KindWaitJS:
		return need(a.Expression, "an expression")
	case KindScript:
		return need(a.Script, "a script")
	case KindNavigate:
		if err := need(a.URL, "a url"); err != nil {
			return err
		}
		return (&Request{URL: a.URL}).Validate()
	case KindWaitNetworkIdle, KindScroll, KindScreenshot:
		return nil
	case "":
		return errors.New("action has no kind")
	default:
		return fmt.Errorf("unknown action kind %q", a.Kind)
	}
}

// WaitCSS waits until selector matches an element.
func WaitCSS(selector string) Action { return Action{Kind: KindWaitCSS, Selector: selector} }

// WaitVisible waits until selector matches a visible element.
func WaitVisible(selector string) Action {
	return Action{Kind: KindWaitCSS, Selector: selector, Visible: true}
}

// WaitJS waits until expr is truthy.
func WaitJS(expr string) Action { return Action{Kind: KindWaitJS, Expression: expr} }

// WaitNetworkIdle waits until the network has been quiet for quiet (0: the
// default 500 ms).
func WaitNetworkIdle(quiet time.Duration) Action {
	return Action{Kind: KindWaitNetworkIdle, Delay: quiet}
}

// Scroll scrolls down steps times by stepPx pixels (0: one viewport),
// pausing delay between steps.
func Scroll(steps, stepPx int, delay time.Duration) Action {
	return Action{Kind: KindScroll, Steps: steps, StepPx: stepPx, Delay: delay}
}

// Click clicks the first element matching selector.
func Click(selector string) Action { return Action{Kind: KindClick, Selector: selector} }

// ClickAndWait clicks and waits for the navigation the click causes.
func ClickAndWait(selector string) Action {
	return Action{Kind: KindClick, Selector: selector, WaitNavigation: true}
}

// Type clears the element matching selector and types text into it.
func Type(selector, text string) Action {
	return Action{Kind: KindType, Selector: selector, Text: text, Clear: true}
}

// Script runs a function body in the page; its JSON-encodable return value
// lands in ActionResult.Value.
func Script(body string) Action { return Action{Kind: KindScript, Script: body} }

// Screenshot captures the viewport.
func Screenshot() Action { return Action{Kind: KindScreenshot} }

// Navigate loads url in the page.
func Navigate(url string) Action { return Action{Kind: KindNavigate, URL: url} }

// WithTimeout returns a with its own timeout.
func (a Action) WithTimeout(d time.Duration) Action { a.Timeout = d; return a }
