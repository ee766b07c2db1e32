package riptide

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/riptide-go/riptide/internal/redact"
	"github.com/riptide-go/riptide/metrics"
	"github.com/riptide-go/riptide/render"
)

// Status is the health of a component.
type Status string

// Statuses, from best to worst.
const (
	StatusHealthy   Status = "healthy"
	StatusDegraded  Status = "degraded"
	StatusUnhealthy Status = "unhealthy"
)

func (s Status) rank() int {
	switch s {
	case StatusDegraded:
		return 1
	case StatusUnhealthy:
		return 2
	}
	return 0
}

// ComponentHealth is the health of one part of the Client.
type ComponentHealth struct {
	Name   string         `json:"name"`
	Status Status         `json:"status"`
	Detail string         `json:"detail,omitempty"`
	Facts  map[string]any `json:"facts,omitempty"`
	// LastError is the component's most recent error, redacted, and when
	// it happened.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// Health is the health of a Client: the worst status of its components.
type Health struct {
	Status     Status            `json:"status"`
	Components []ComponentHealth `json:"components"`
	Checked    time.Time         `json:"checked"`
}

// Healthy reports whether no component is unhealthy (degraded components
// still serve, with less).
func (h Health) Healthy() bool { return h.Status != StatusUnhealthy }

// lastErrors remembers each component's latest error.
type lastErrors struct {
	mu sync.Mutex
	m  map[string]lastError
}

type lastError struct {
	err string
	at  time.Time
}

func (l *lastErrors) set(component string, err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]lastError{}
	}
	l.m[component] = lastError{redactError(err), time.Now()}
}

func (l *lastErrors) get(component string) (string, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[component]
	return e.err, e.at
}

// redactError returns err's message; Client errors already carry redacted
// URLs, and anything that looks like a URL with credentials is cut.
func redactError(err error) string {
	var re *Error
	if errors.As(err, &re) {
		return re.Error()
	}
	return redact.URL(err.Error())
}

// recentWindow is how long a component's last error keeps it degraded.
const recentWindow = time.Minute

// Health reports the state of each component: the fetcher, the renderer
// and its browser pool, the WASM engine and its compiled-module cache, the
// store file and the timeout policy. It does no network I/O and returns
// quickly; ctx bounds any check that could block.
func (c *Client) Health(ctx context.Context) Health {
	h := Health{Checked: time.Now().UTC()}
	add := func(ch ComponentHealth) {
		if msg, at := c.errs.get(ch.Name); msg != "" {
			ch.LastError, ch.LastErrorAt = msg, at
		}
		h.Components = append(h.Components, ch)
		if ch.Status.rank() > h.Status.rank() {
			h.Status = ch.Status
		}
	}
	h.Status = StatusHealthy
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed || ctx.Err() != nil {
		detail := "client closed"
		if !closed {
			detail = ctx.Err().Error()
		}
		add(ComponentHealth{Name: "client", Status: StatusUnhealthy, Detail: detail})
		return h
	}

	add(c.fetcherHealth())
	add(c.rendererHealth())
	add(c.wasmHealth())
	add(c.storeHealth())
	add(c.timeoutHealth())
	return h
}

func (c *Client) fetcherHealth() ComponentHealth {
	ch := ComponentHealth{Name: "fetcher", Status: StatusHealthy}
	if _, at := c.errs.get("fetcher"); !at.IsZero() && time.Since(at) < recentWindow && c.fetchFailStreak.Load() >= 5 {
		ch.Status, ch.Detail = StatusDegraded, "the last fetches failed"
	}
	ch.Facts = map[string]any{"consecutive_failures": c.fetchFailStreak.Load()}
	return ch
}

func (c *Client) rendererHealth() ComponentHealth {
	ch := ComponentHealth{Name: "renderer", Status: StatusHealthy}
	c.engMu.Lock()
	rend, rendErr, own := c.rend, c.rendErr, c.ownRend
	c.engMu.Unlock()
	switch {
	case rendErr != nil:
		ch.Status, ch.Detail = StatusDegraded, "no browser: rendering engines unavailable"
		ch.LastError = redactError(rendErr)
	case rend == nil:
		ch.Detail = "not started (starts on first need)"
	case own != nil:
		ch.Detail = "chromium " + own.Bin()
	default:
		ch.Detail = "custom renderer"
	}
	if msg, at := c.errs.get("renderer"); msg != "" && time.Since(at) < recentWindow && c.renderBroken.Load() {
		ch.Status, ch.Detail = StatusDegraded, "the browser could not start or crashed recently"
	}
	return ch
}

func (c *Client) wasmHealth() ComponentHealth {
	ch := ComponentHealth{Name: "wasm", Status: StatusHealthy, Detail: "not loaded (compiled on first use)"}
	c.engMu.Lock()
	eng, cache := c.wasmEng, c.wasmCache
	c.engMu.Unlock()
	if eng != nil {
		info := eng.Info()
		ch.Detail = "loaded " + info.Name + " " + info.Version
		st := eng.Stats()
		ch.Facts = map[string]any{"instances": st, "interruption": info.Interruption}
	}
	if cache != nil {
		if ch.Facts == nil {
			ch.Facts = map[string]any{}
		}
		ch.Facts["cache"] = cache.Stats()
	}
	return ch
}

func (c *Client) storeHealth() ComponentHealth {
	ch := ComponentHealth{Name: "store", Status: StatusHealthy}
	switch {
	case c.cfg.cacheDir == "":
		ch.Detail = "no cache dir: nothing persisted"
	case c.db == nil:
		ch.Status, ch.Detail = StatusDegraded, "store unavailable: running without disk caches"
		if c.dbErr != nil {
			ch.LastError = redactError(c.dbErr)
		}
	case c.db.ReadOnly():
		ch.Status, ch.Detail = StatusDegraded, "store quota reached: read-only"
	default:
		ch.Detail = c.db.Path()
		if q := c.db.Quarantined(); q != "" {
			ch.Facts = map[string]any{"quarantined": q}
		}
	}
	return ch
}

func (c *Client) timeoutHealth() ComponentHealth {
	ch := ComponentHealth{Name: "timeouts", Status: StatusHealthy, Detail: "fixed budget"}
	if c.adaptive != nil {
		st := c.adaptive.Stats()
		ch.Detail = "adaptive"
		ch.Facts = map[string]any{"learned_domains": st.LearnedDomains, "timeouts": st.Timeouts, "requests": st.Requests}
		if st.StoreErrors > 0 {
			ch.Status, ch.Detail = StatusDegraded, "adaptive; profiles not persisted"
		}
	}
	return ch
}

// observe records the outcome of one Client operation: metrics, the last
// error of the component, failure streaks.
func (c *Client) observe(op string, eng Engine, start time.Time, err error) {
	outcome := "ok"
	if err != nil {
		outcome = classify(err).String()
	}
	l := metrics.Labels{Engine: string(eng), Stage: op, Outcome: outcome}
	metrics.Inc(c.rec, metrics.RequestsTotal, l)
	metrics.Duration(c.rec, metrics.RequestDuration, l, time.Since(start))
	if err == nil {
		if op != "render" {
			c.fetchFailStreak.Store(0)
		} else {
			c.renderBroken.Store(false)
		}
		return
	}
	switch {
	case errors.Is(err, render.ErrNoBrowser) || errors.Is(err, render.ErrBrowserCrashed):
		c.errs.set("renderer", err)
		c.renderBroken.Store(true)
	case classify(err) == KindRendering:
		c.errs.set("renderer", err)
	case classify(err) == KindTimeout:
		metrics.Inc(c.rec, metrics.Timeouts, metrics.Labels{Engine: string(eng), Stage: op})
		c.errs.set("fetcher", err)
		c.fetchFailStreak.Add(1)
	case classify(err) == KindFetch:
		c.errs.set("fetcher", err)
		c.fetchFailStreak.Add(1)
	case classify(err) == KindExtraction || classify(err) == KindResourceLimit:
		metrics.Inc(c.rec, metrics.ExtractionErrors, metrics.Labels{Engine: string(eng), Outcome: outcome})
	}
}
