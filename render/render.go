package render

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// Renderer renders one page in a browser.
//
// Implementations must be safe for concurrent use by multiple goroutines.
// Render honours ctx: when it is cancelled or its deadline passes, Render
// returns an error that matches ctx.Err() with [errors.Is] and releases
// the page it used. Errors wrap this package's sentinels ([ErrNavigation],
// [ErrBrowserCrashed], [ErrAction] via [*ActionError], ...). A Response may
// accompany an *ActionError, holding what was captured before the failing
// action.
type Renderer interface {
	Render(ctx context.Context, req *Request) (*Response, error)
}

// Func adapts an ordinary function to the [Renderer] interface.
type Func func(ctx context.Context, req *Request) (*Response, error)

// Render calls f(ctx, req).
func (f Func) Render(ctx context.Context, req *Request) (*Response, error) { return f(ctx, req) }

// Isolation says how much browser state a render may share with others.
// The zero value lets the renderer choose: a fresh incognito context for a
// lone render, a warm tab for a render through a context handle.
type Isolation string

// Isolation levels, from fastest to strongest. See the package
// documentation.
const (
	IsolationDefault   Isolation = ""
	IsolationWarmTab   Isolation = "warm_tab"
	IsolationFreshTab  Isolation = "fresh_tab"
	IsolationIncognito Isolation = "incognito"
)

// Viewport is the emulated screen. The zero value means the renderer's
// default (1280x800, scale 1, desktop).
type Viewport struct {
	Width             int     `json:"width,omitempty"`
	Height            int     `json:"height,omitempty"`
	DeviceScaleFactor float64 `json:"device_scale_factor,omitempty"`
	Mobile            bool    `json:"mobile,omitempty"`
}

// Timeouts bound the phases of a render. Zero fields mean the defaults.
type Timeouts struct {
	// Navigation bounds navigating and waiting for the load event
	// (default 15 s).
	Navigation time.Duration `json:"navigation,omitempty"`
	// Action is the default timeout of each action that sets none
	// (default 10 s).
	Action time.Duration `json:"action,omitempty"`
	// IdleAfterDOMContentLoaded, when set, waits after DOMContentLoaded
	// until the network has been quiet this long (bounded by Navigation)
	// instead of waiting for the load event.
	IdleAfterDOMContentLoaded time.Duration `json:"idle_after_dom_content_loaded,omitempty"`
	// Script bounds a script action without its own timeout (default 5 s).
	Script time.Duration `json:"script,omitempty"`
	// Total is a hard cap on the whole render, checkout included
	// (default 30 s).
	Total time.Duration `json:"total,omitempty"`
}

// Default timeouts.
const (
	DefaultNavigationTimeout = 15 * time.Second
	DefaultActionTimeout     = 10 * time.Second
	DefaultScriptTimeout     = 5 * time.Second
	DefaultTotalTimeout      = 30 * time.Second
)

// WithDefaults returns t with zero fields set to the defaults.
func (t Timeouts) WithDefaults() Timeouts {
	if t.Navigation <= 0 {
		t.Navigation = DefaultNavigationTimeout
	}
	if t.Action <= 0 {
		t.Action = DefaultActionTimeout
	}
	if t.Script <= 0 {
		t.Script = DefaultScriptTimeout
	}
	if t.Total <= 0 {
		t.Total = DefaultTotalTimeout
	}
	return t
}

// ImageFormat is the encoding of a screenshot.
type ImageFormat string

// Screenshot formats. The zero value is PNG.
const (
	FormatPNG  ImageFormat = "png"
	FormatJPEG ImageFormat = "jpeg"
	FormatWebP ImageFormat = "webp"
)

// ScreenshotSpec asks for a screenshot of the final page.
type ScreenshotSpec struct {
	// FullPage captures the whole scrollable page, not only the viewport.
	FullPage bool `json:"full_page,omitempty"`
	// Selector, when set, captures only the first element it matches.
	Selector string `json:"selector,omitempty"`
	// Format defaults to PNG.
	Format ImageFormat `json:"format,omitempty"`
	// Quality (1-100) applies to JPEG and WebP; 0 means 80.
	Quality int `json:"quality,omitempty"`
}

// BlockSpec lists resources the page must not load. Blocked requests fail
// in the browser and are counted in NetworkSummary.Blocked.
type BlockSpec struct {
	Images      bool `json:"images,omitempty"`
	Fonts       bool `json:"fonts,omitempty"`
	Media       bool `json:"media,omitempty"`
	Stylesheets bool `json:"stylesheets,omitempty"`
	// URLPatterns are wildcard patterns ('*' any run, '?' one character)
	// matched against the full request URL.
	URLPatterns []string `json:"url_patterns,omitempty"`
}

// Any reports whether b blocks anything.
func (b BlockSpec) Any() bool {
	return b.Images || b.Fonts || b.Media || b.Stylesheets || len(b.URLPatterns) > 0
}

// Request is one page to render. Only URL is required.
type Request struct {
	URL string `json:"url"`
	// UserAgent overrides the browser's user agent.
	UserAgent string   `json:"user_agent,omitempty"`
	Viewport  Viewport `json:"viewport,omitzero"`
	// Headers are extra HTTP headers sent with the page's requests to its
	// own origin (scheme, host and port of URL); requests and redirects to
	// other origins never carry them.
	Headers map[string]string `json:"headers,omitempty"`
	// SessionID renders in the session's browser context (cookies and
	// storage kept across renders). Empty: no session. A session is
	// created on first use unless the renderer requires explicit creation.
	SessionID string   `json:"session_id,omitempty"`
	Actions   []Action `json:"actions,omitempty"`
	Timeouts  Timeouts `json:"timeouts,omitzero"`
	// Screenshot, PDF and MHTML ask for artifacts of the final page.
	Screenshot *ScreenshotSpec `json:"screenshot,omitempty"`
	PDF        bool            `json:"pdf,omitempty"`
	MHTML      bool            `json:"mhtml,omitempty"`
	// Stealth applies evasions of headless-browser detection and a
	// consistent fingerprint.
	Stealth bool `json:"stealth,omitempty"`
	// Proxy is an upstream proxy URL for the page's traffic (http, https
	// or socks5, credentials allowed). Implementations may restrict it:
	// the Chromium renderer needs a context of the request's own (the
	// default isolation, no session).
	Proxy     string    `json:"proxy,omitempty"`
	Block     BlockSpec `json:"block,omitzero"`
	Isolation Isolation `json:"isolation,omitempty"`
}

// Validate checks the request without doing any I/O. Errors match
// [ErrInvalidRequest].
func (r *Request) Validate() error {
	if r == nil {
		return fmt.Errorf("%w: nil request", ErrInvalidRequest)
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return fmt.Errorf("%w: url: %v", ErrInvalidRequest, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: url scheme %q is not http or https", ErrInvalidRequest, u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("%w: url has no host", ErrInvalidRequest)
	}
	if strings.ContainsFunc(r.SessionID, unicode.IsControl) || len(r.SessionID) > 256 {
		return fmt.Errorf("%w: session id has control characters or is longer than 256 bytes", ErrInvalidRequest)
	}
	switch r.Isolation {
	case IsolationDefault, IsolationWarmTab, IsolationFreshTab, IsolationIncognito:
	default:
		return fmt.Errorf("%w: unknown isolation %q", ErrInvalidRequest, r.Isolation)
	}
	if r.Viewport.Width < 0 || r.Viewport.Height < 0 || r.Viewport.DeviceScaleFactor < 0 {
		return fmt.Errorf("%w: negative viewport", ErrInvalidRequest)
	}
	if s := r.Screenshot; s != nil {
		switch s.Format {
		case "", FormatPNG, FormatJPEG, FormatWebP:
		default:
			return fmt.Errorf("%w: unknown screenshot format %q", ErrInvalidRequest, s.Format)
		}
	}
	for i := range r.Actions {
		if err := r.Actions[i].Validate(); err != nil {
			return &ActionError{Index: i, Kind: r.Actions[i].Kind, Err: fmt.Errorf("%w: %v", ErrInvalidRequest, err)}
		}
	}
	return nil
}

// ActionResult reports one action that ran.
type ActionResult struct {
	Index int        `json:"index"`
	Kind  ActionKind `json:"kind"`
	OK    bool       `json:"ok"`
	// Value is the JSON value a script action returned (also set by
	// wait_js: the truthy value). Screenshot actions leave it empty and
	// put the image in Image.
	Value    json.RawMessage `json:"value,omitempty"`
	Image    []byte          `json:"image,omitempty"`
	Error    string          `json:"error,omitempty"`
	Duration time.Duration   `json:"duration"`
}

// NetworkSummary counts the page's network activity.
type NetworkSummary struct {
	Requests int   `json:"requests"`
	Failed   int   `json:"failed"`
	Blocked  int   `json:"blocked"`
	Bytes    int64 `json:"bytes"`
}

// Timings are the durations of a render's phases.
type Timings struct {
	// Acquire is the time to get a browser and a page (includes a browser
	// launch when none was warm).
	Acquire  time.Duration `json:"acquire"`
	Navigate time.Duration `json:"navigate"`
	Wait     time.Duration `json:"wait"`
	Actions  time.Duration `json:"actions"`
	HTML     time.Duration `json:"html"`
	Total    time.Duration `json:"total"`
}

// Response is a rendered page.
type Response struct {
	// URL is the requested URL; FinalURL the document's URL after
	// redirects.
	URL      string `json:"url"`
	FinalURL string `json:"final_url"`
	// Status is the HTTP status of the main document (0 if unknown).
	Status int `json:"status"`
	// HTML is the serialized DOM at the wait point (or after the last
	// action).
	HTML      string `json:"html"`
	SessionID string `json:"session_id,omitempty"`
	// Artifacts, when requested.
	Screenshot []byte         `json:"screenshot,omitempty"`
	PDF        []byte         `json:"pdf,omitempty"`
	MHTML      []byte         `json:"mhtml,omitempty"`
	Actions    []ActionResult `json:"actions,omitempty"`
	// Warnings are non-fatal problems (a load event that never came, a
	// blocked late navigation, a dismissed dialog).
	Warnings []string `json:"warnings,omitempty"`
	// ConsoleErrors are console.error messages and uncaught exceptions.
	ConsoleErrors []string       `json:"console_errors,omitempty"`
	Network       NetworkSummary `json:"network"`
	Timings       Timings        `json:"timings"`
}
