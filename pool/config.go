package pool

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Defaults applied by [New] to zero Config fields.
const (
	DefaultMax           = 3
	DefaultTarget        = 1
	DefaultCreateTimeout = 30 * time.Second
	DefaultCheckTimeout  = 5 * time.Second
	DefaultCloseTimeout  = 10 * time.Second
)

// Config describes a pool. Only New is required; a zero field means its
// default.
type Config[T comparable] struct {
	// New creates an item. Acquire calls it under the caller's context; the
	// pool's background goroutines call it under a context bounded by
	// CreateTimeout and canceled by Close. New must return a distinct value
	// each time (see the package documentation).
	New func(ctx context.Context) (T, error)
	// Close releases an item's resources. It is called once per item, on a
	// background goroutine while the pool is open and on the releasing or
	// closing goroutine once Close was called. It may be nil.
	Close func(v T) error
	// Check reports whether an item still works; a non-nil error replaces
	// it. It runs on idle items every HealthInterval and on checkout when an
	// item was idle longer than CheckIdleAfter. It may be nil.
	Check func(ctx context.Context, v T) error
	// Mem reports an item's memory use in bytes (a browser's RSS, a WASM
	// instance's linear memory). Release calls it, on the releasing
	// goroutine, when MaxMem is set, and recycles the item above MaxMem.
	Mem func(v T) int64

	// Min is the number of items idle expiry never goes below; the pool
	// also re-creates items in the background to keep at least Min.
	Min int
	// Max bounds the number of items, idle, checked out or being created
	// or checked. Default 3.
	Max int
	// Target is the number of idle items the pool keeps ready: New starts
	// creating them at once, and a checkout or a discarded item triggers a
	// background refill. Default 1; a negative Target disables prewarming.
	// It is clamped to Max.
	Target int

	// MaxUses recycles an item after this many releases (0: no limit).
	MaxUses int
	// MaxAge recycles an item this long after its creation, when it is
	// released or while it is idle (0: no limit).
	MaxAge time.Duration
	// MaxMem recycles an item whose Mem is above it on release (0: no limit).
	MaxMem int64
	// IdleTimeout closes items idle for this long, as long as more than Min
	// remain (0: never).
	IdleTimeout time.Duration
	// HealthInterval runs Check on every idle item this often (0: never).
	HealthInterval time.Duration
	// CheckIdleAfter makes Acquire run Check on an item that was idle for
	// longer than this before handing it out (0: never).
	CheckIdleAfter time.Duration

	// CreateTimeout bounds background creations. Default 30s.
	CreateTimeout time.Duration
	// CheckTimeout bounds one background Check. Default 5s.
	CheckTimeout time.Duration
	// CloseTimeout bounds [Pool.Close] when its context has no deadline.
	// Default 10s.
	CloseTimeout time.Duration

	// Logger receives debug records about recycled items and warnings about
	// misuse and failed callbacks. Default: discard.
	Logger *slog.Logger
	// Now is the clock used for ages and idle times. Default time.Now.
	Now func() time.Time
}

// withDefaults validates c and returns a copy with defaults applied.
func (c Config[T]) withDefaults() (Config[T], error) {
	if c.New == nil {
		return c, fmt.Errorf("%w: New is nil", ErrInvalidConfig)
	}
	if c.Max == 0 {
		c.Max = DefaultMax
	}
	if c.Target == 0 {
		c.Target = DefaultTarget
	}
	if c.Target < 0 {
		c.Target = 0
	}
	if c.CreateTimeout == 0 {
		c.CreateTimeout = DefaultCreateTimeout
	}
	if c.CheckTimeout == 0 {
		c.CheckTimeout = DefaultCheckTimeout
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = DefaultCloseTimeout
	}
	switch {
	case c.Max < 0:
		return c, fmt.Errorf("%w: Max %d < 0", ErrInvalidConfig, c.Max)
	case c.Min < 0:
		return c, fmt.Errorf("%w: Min %d < 0", ErrInvalidConfig, c.Min)
	case c.Min > c.Max:
		return c, fmt.Errorf("%w: Min %d > Max %d", ErrInvalidConfig, c.Min, c.Max)
	case c.MaxUses < 0, c.MaxAge < 0, c.MaxMem < 0, c.IdleTimeout < 0, c.HealthInterval < 0,
		c.CheckIdleAfter < 0, c.CreateTimeout < 0, c.CheckTimeout < 0, c.CloseTimeout < 0:
		return c, fmt.Errorf("%w: negative limit", ErrInvalidConfig)
	case c.MaxMem > 0 && c.Mem == nil:
		return c, fmt.Errorf("%w: MaxMem set without Mem", ErrInvalidConfig)
	case (c.HealthInterval > 0 || c.CheckIdleAfter > 0) && c.Check == nil:
		return c, fmt.Errorf("%w: HealthInterval or CheckIdleAfter set without Check", ErrInvalidConfig)
	}
	c.Target = min(c.Target, c.Max)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// tick is how often the maintenance goroutine wakes without being asked:
// often enough to honour the idle, age and health limits, never when none
// is set.
func (c *Config[T]) tick() time.Duration {
	var d time.Duration
	for _, x := range []time.Duration{c.HealthInterval, c.IdleTimeout / 2, c.MaxAge / 2} {
		if x > 0 && (d == 0 || x < d) {
			d = x
		}
	}
	if d > 0 && d < time.Millisecond {
		d = time.Millisecond
	}
	return d
}
