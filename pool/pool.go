package pool

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

type state uint8

const (
	stIdle     state = iota // in p.idle
	stBusy                  // checked out by a caller
	stChecking              // taken out of p.idle by a background health check
)

type entry[T comparable] struct {
	v         T
	created   time.Time
	idleSince time.Time
	checked   time.Time // last successful health check
	uses      int
	state     state
}

// grant is what a waiter receives: an item, a slot to create one, or an
// error (the pool closed).
type grant[T comparable] struct {
	e     *entry[T]
	check bool // e came from the idle set: apply CheckIdleAfter
	slot  bool
	err   error
}

type waiter[T comparable] struct {
	ch   chan grant[T] // buffered(1); written once, under p.mu
	elem *list.Element // nil once granted or removed
}

// Pool is a bounded, context-aware pool of items of type T. It is safe for
// concurrent use by multiple goroutines. Create one with [New].
type Pool[T comparable] struct {
	cfg Config[T]
	log *slog.Logger

	// life is the pool's lifetime context: background creations and checks
	// run under it, and Close cancels it.
	life   context.Context
	cancel context.CancelFunc
	kick   chan struct{}
	wg     sync.WaitGroup // maintenance, background creators and closers

	mu         sync.Mutex
	all        map[T]*entry[T] // every live item: idle, busy or checking
	idle       []*entry[T]     // oldest release first; Acquire takes the newest
	busy       int
	pending    int // creations in flight, counted against Max
	bgPending  int // of which started by the pool itself
	closing    int // items removed but still in Config.Close, counted against Max
	waiters    list.List
	closed     bool
	drained    chan struct{} // made by Close; closed when busy reaches 0
	closeDone  chan struct{}
	ready      chan struct{} // closed once the pool first holds max(Target, Min) items
	lastErr    error         // last background creation error
	retryAt    time.Time     // no background creation before this
	backoff    time.Duration
	lastHealth time.Time

	created, recycled, failed, broken, acquired uint64
	waitRing, createRing                        ring
}

// New validates cfg, starts creating Config.Target items in the
// background and returns at once. Use [Pool.WaitReady] to wait for them.
func New[T comparable](cfg Config[T]) (*Pool[T], error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Pool[T]{
		cfg:        c,
		log:        c.Logger,
		kick:       make(chan struct{}, 1),
		all:        make(map[T]*entry[T]),
		closeDone:  make(chan struct{}),
		ready:      make(chan struct{}),
		lastHealth: c.Now(),
	}
	p.life, p.cancel = context.WithCancel(context.Background())
	p.mu.Lock()
	p.checkReadyLocked()
	p.mu.Unlock()
	p.wg.Add(1)
	go p.run()
	return p, nil
}

// totalLocked counts items against Max: live ones, ones being created and
// ones still being closed, so that Config.New never runs while Max items
// exist (a browser being shut down still holds its memory).
func (p *Pool[T]) totalLocked() int { return len(p.all) + p.pending + p.closing }

// Acquire returns an item, waiting in FIFO order when all Max items are
// checked out. It returns ctx.Err() when ctx ends first, leaving the pool
// unchanged; a [*CreateError] when it had to create the item and Config.New
// failed; and [ErrClosed] after Close. The item must be given back with
// Release or Discard.
func (p *Pool[T]) Acquire(ctx context.Context) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	start := p.cfg.Now()
	for {
		g, err := p.next(ctx)
		if err != nil {
			return zero, err
		}
		e, err := p.take(ctx, g)
		if err != nil {
			return zero, err
		}
		if e == nil {
			continue // the idle item was stale or failed its check
		}
		p.mu.Lock()
		p.acquired++
		p.waitRing.add(p.cfg.Now().Sub(start))
		p.mu.Unlock()
		return e.v, nil
	}
}

// next returns the caller's turn: an idle item, a creation slot or a grant
// handed over by Release while the caller waited.
func (p *Pool[T]) next(ctx context.Context) (grant[T], error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return grant[T]{}, ErrClosed
	}
	if p.waiters.Len() == 0 {
		if n := len(p.idle); n > 0 {
			e := p.idle[n-1]
			p.idle[n-1] = nil
			p.idle = p.idle[:n-1]
			e.state = stBusy
			p.busy++
			p.kickIfLowLocked()
			p.mu.Unlock()
			return grant[T]{e: e, check: true}, nil
		}
		if p.totalLocked() < p.cfg.Max {
			p.pending++
			p.mu.Unlock()
			return grant[T]{slot: true}, nil
		}
	}
	w := &waiter[T]{ch: make(chan grant[T], 1)}
	w.elem = p.waiters.PushBack(w)
	p.mu.Unlock()

	select {
	case g := <-w.ch:
		return g, g.err
	case <-ctx.Done():
	}
	p.mu.Lock()
	if w.elem != nil {
		p.waiters.Remove(w.elem)
		w.elem = nil
		p.mu.Unlock()
		return grant[T]{}, ctx.Err()
	}
	p.mu.Unlock()
	// Granted concurrently with the cancellation: the grant is already in
	// the buffered channel. Hand it on so that nothing is lost.
	p.giveBack(<-w.ch)
	return grant[T]{}, ctx.Err()
}

// take turns a grant into a checked-out item. It returns nil, nil when an
// idle item turned out stale or broken and the caller should try again.
func (p *Pool[T]) take(ctx context.Context, g grant[T]) (*entry[T], error) {
	if g.slot {
		return p.create(ctx)
	}
	e := g.e
	if !g.check {
		return e, nil
	}
	now := p.cfg.Now()
	if p.cfg.MaxAge > 0 && now.Sub(e.created) >= p.cfg.MaxAge {
		p.discard(e, "age")
		return nil, nil
	}
	if p.cfg.CheckIdleAfter > 0 && now.Sub(e.idleSince) > p.cfg.CheckIdleAfter {
		if err := p.check(ctx, e.v); err != nil {
			if ctx.Err() != nil {
				// The caller gave up; the item is not to blame.
				p.giveBack(grant[T]{e: e})
				return nil, ctx.Err()
			}
			p.log.Debug("pool: item failed its checkout check", "err", err)
			p.discard(e, "check")
			return nil, nil
		}
		p.mu.Lock()
		e.checked = p.cfg.Now()
		p.mu.Unlock()
	}
	return e, nil
}

// create runs Config.New for the caller holding a creation slot.
func (p *Pool[T]) create(ctx context.Context) (*entry[T], error) {
	start := p.cfg.Now()
	v, err := p.newItem(ctx)
	now := p.cfg.Now()
	p.mu.Lock()
	p.pending--
	if err != nil {
		if ctx.Err() == nil {
			p.failed++
		}
		p.dispatchLocked()
		p.mu.Unlock()
		return nil, &CreateError{Err: err}
	}
	if _, dup := p.all[v]; dup {
		p.failed++
		p.dispatchLocked()
		p.mu.Unlock()
		return nil, &CreateError{Err: ErrDuplicate}
	}
	p.created++
	p.createRing.add(now.Sub(start))
	if p.closed {
		p.mu.Unlock()
		p.closeItem(v)
		return nil, ErrClosed
	}
	e := &entry[T]{v: v, created: now, idleSince: now, state: stBusy}
	p.all[v] = e
	p.busy++
	p.checkReadyLocked()
	p.mu.Unlock()
	return e, nil
}

// Release gives back an item obtained from Acquire. A nil err returns it to
// the pool, unless it has reached MaxUses, MaxAge or MaxMem, in which case it
// is closed and replaced. A non-nil err (for example one wrapping
// [ErrBroken]) means the item must not be used again: it is closed in the
// background and replaced up to Target. Releasing a value the pool has not
// handed out, or releasing it twice, is logged and otherwise ignored.
// Release never blocks on Config.Close while the pool is open.
func (p *Pool[T]) Release(v T, err error) {
	var mem int64
	if err == nil && p.cfg.MaxMem > 0 {
		mem, err = p.mem(v)
	}
	now := p.cfg.Now()
	p.mu.Lock()
	e, ok := p.all[v]
	if !ok || e.state != stBusy {
		p.mu.Unlock()
		p.log.Warn("pool: release of an item that is not checked out")
		return
	}
	e.uses++
	var reason string
	switch {
	case err != nil:
		reason = "broken"
	case p.closed:
		reason = "closed"
	case p.cfg.MaxUses > 0 && e.uses >= p.cfg.MaxUses:
		reason = "uses"
	case p.cfg.MaxAge > 0 && now.Sub(e.created) >= p.cfg.MaxAge:
		reason = "age"
	case p.cfg.MaxMem > 0 && mem > p.cfg.MaxMem:
		reason = "mem"
	}
	if reason == "" {
		e.idleSince = now
		p.putLocked(e)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	if err != nil {
		p.log.Debug("pool: discarding broken item", "err", err)
	}
	p.discard(e, reason)
}

// Discard is Release(v, ErrBroken): v is closed and replaced.
func (p *Pool[T]) Discard(v T) { p.Release(v, ErrBroken) }

// Do acquires an item, calls fn with it and releases it with fn's error, so
// an item whose use failed is replaced. If fn panics the item is discarded
// and the panic goes on.
func (p *Pool[T]) Do(ctx context.Context, fn func(v T) error) error {
	v, err := p.Acquire(ctx)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			p.Release(v, ErrBroken)
		}
	}()
	err = fn(v)
	done = true
	p.Release(v, err)
	return err
}

// giveBack returns a grant the caller will not use.
func (p *Pool[T]) giveBack(g grant[T]) {
	switch {
	case g.e != nil:
		p.mu.Lock()
		if p.closed {
			p.removeLocked(g.e)
			p.mu.Unlock()
			p.closeItem(g.e.v)
			return
		}
		p.putLocked(g.e)
		p.mu.Unlock()
	case g.slot:
		p.mu.Lock()
		p.pending--
		p.dispatchLocked()
		p.mu.Unlock()
	}
}

// discard removes a checked-out or checking item and closes it.
func (p *Pool[T]) discard(e *entry[T], reason string) {
	p.mu.Lock()
	switch reason {
	case "broken", "check":
		p.broken++
	case "closed":
	default:
		p.recycled++
	}
	p.removeLocked(e)
	async := p.asyncLocked()
	p.dispatchLocked()
	p.mu.Unlock()
	p.log.Debug("pool: closing item", "reason", reason)
	p.closeItemAsync(e.v, async)
}

// removeLocked forgets e.
func (p *Pool[T]) removeLocked(e *entry[T]) {
	delete(p.all, e.v)
	if e.state == stBusy {
		p.busy--
		if p.busy == 0 && p.drained != nil {
			close(p.drained)
			p.drained = nil
		}
	}
}

// putLocked makes e available: to the first waiter, or to the idle set.
// Callers close e instead once the pool is closed.
func (p *Pool[T]) putLocked(e *entry[T]) {
	if e.state == stBusy {
		p.busy--
		if p.busy == 0 && p.drained != nil {
			close(p.drained)
			p.drained = nil
		}
	}
	if front := p.waiters.Front(); front != nil {
		w := p.waiters.Remove(front).(*waiter[T])
		w.elem = nil
		e.state = stBusy
		p.busy++
		w.ch <- grant[T]{e: e}
		return
	}
	e.state = stIdle
	p.idle = append(p.idle, e)
}

// dispatchLocked serves waiters from free capacity (an item closed or a
// creation failed), then asks for a refill if the pool is below its targets.
func (p *Pool[T]) dispatchLocked() {
	for p.waiters.Len() > 0 && !p.closed {
		var g grant[T]
		if n := len(p.idle); n > 0 {
			e := p.idle[n-1]
			p.idle[n-1] = nil
			p.idle = p.idle[:n-1]
			e.state = stBusy
			p.busy++
			g = grant[T]{e: e, check: true}
		} else if p.totalLocked() < p.cfg.Max {
			p.pending++
			g = grant[T]{slot: true}
		} else {
			break
		}
		w := p.waiters.Remove(p.waiters.Front()).(*waiter[T])
		w.elem = nil
		w.ch <- g
	}
	p.kickIfLowLocked()
}

// wake asks the maintenance goroutine for a round.
func (p *Pool[T]) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// kickIfLowLocked wakes the maintenance goroutine when it has items to make.
func (p *Pool[T]) kickIfLowLocked() {
	if p.closed || p.fillLocked(time.Time{}) == 0 {
		return
	}
	p.wake()
}

// fillLocked is how many items the pool should start creating itself. A
// zero now means the clock is read only when needed.
func (p *Pool[T]) fillLocked(now time.Time) int {
	if p.closed || p.waiters.Len() > 0 {
		return 0
	}
	want := max(p.cfg.Target-len(p.idle)-p.bgPending, p.cfg.Min-p.totalLocked())
	want = min(want, p.cfg.Max-p.totalLocked())
	if want <= 0 {
		return 0
	}
	if !p.retryAt.IsZero() {
		if now.IsZero() {
			now = p.cfg.Now()
		}
		if now.Before(p.retryAt) {
			return 0
		}
	}
	return want
}

func (p *Pool[T]) checkReadyLocked() {
	if p.ready == nil {
		return
	}
	if len(p.all) >= max(p.cfg.Target, p.cfg.Min) {
		close(p.ready)
		p.ready = nil
	}
}

// asyncLocked reports whether a removed item may be closed on a tracked
// background goroutine, and counts it as closing; after Close, items are
// closed inline by the goroutine that removed them.
func (p *Pool[T]) asyncLocked() bool {
	if p.closed {
		return false
	}
	p.wg.Add(1)
	p.closing++
	return true
}

// closeItemAsync closes v, in the background when async (see asyncLocked),
// then frees its slot for waiters and refills.
func (p *Pool[T]) closeItemAsync(v T, async bool) {
	if !async {
		p.closeItem(v)
		return
	}
	go func() {
		defer p.wg.Done()
		p.closeItem(v)
		p.mu.Lock()
		p.closing--
		p.dispatchLocked()
		p.mu.Unlock()
	}()
}

func (p *Pool[T]) closeItem(v T) {
	if err := p.closeCall(v); err != nil {
		p.log.Warn("pool: closing item failed", "err", err)
	}
}

// newItem, check, mem and closeCall run the user's callbacks, turning a
// panic into an error wrapping ErrCallbackPanic.
func (p *Pool[T]) newItem(ctx context.Context) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recovered(r)
		}
	}()
	return p.cfg.New(ctx)
}

func (p *Pool[T]) check(ctx context.Context, v T) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recovered(r)
		}
	}()
	return p.cfg.Check(ctx, v)
}

func (p *Pool[T]) mem(v T) (n int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recovered(r)
		}
	}()
	return p.cfg.Mem(v), nil
}

func (p *Pool[T]) closeCall(v T) (err error) {
	if p.cfg.Close == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = recovered(r)
		}
	}()
	return p.cfg.Close(v)
}

// WaitReady waits until the pool has first held max(Target, Min) items. It
// returns ctx.Err() joined with the last background creation error when ctx
// ends first, and ErrClosed when the pool is closed.
func (p *Pool[T]) WaitReady(ctx context.Context) error {
	p.mu.Lock()
	ready, closed := p.ready, p.closed
	p.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if ready == nil {
		return nil
	}
	select {
	case <-ready:
		return nil
	case <-p.closeDone:
		return ErrClosed
	case <-p.life.Done():
		return ErrClosed
	case <-ctx.Done():
		p.mu.Lock()
		last := p.lastErr
		p.mu.Unlock()
		return errors.Join(ctx.Err(), last)
	}
}

// Close stops the pool: pending and future Acquire calls fail with
// ErrClosed, idle items are closed at once, and checked-out items are closed
// when released. Close waits for checked-out items to come back and for the
// pool's goroutines to end, until ctx ends or, when ctx has no deadline,
// Config.CloseTimeout passes; it then reports how many items were still out.
// Calling Close again waits for the first call and returns nil.
func (p *Pool[T]) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		select {
		case <-p.closeDone:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.closed = true
	p.cancel()
	for p.waiters.Len() > 0 {
		w := p.waiters.Remove(p.waiters.Front()).(*waiter[T])
		w.elem = nil
		w.ch <- grant[T]{err: ErrClosed}
	}
	idle := p.idle
	p.idle = nil
	for _, e := range idle {
		delete(p.all, e.v)
	}
	drained := make(chan struct{})
	if p.busy == 0 {
		close(drained)
	} else {
		p.drained = drained
	}
	p.mu.Unlock()
	defer close(p.closeDone)

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.CloseTimeout)
		defer cancel()
	}

	var (
		closing sync.WaitGroup
		errMu   sync.Mutex
		errs    []error
	)
	for _, e := range idle {
		closing.Go(func() {
			if err := p.closeCall(e.v); err != nil {
				errMu.Lock()
				errs = append(errs, err)
				errMu.Unlock()
			}
		})
	}
	if err := waitCtx(ctx, closing.Wait); err != nil {
		return fmt.Errorf("pool: close: idle items still closing: %w", err)
	}
	select {
	case <-drained:
	case <-ctx.Done():
		p.mu.Lock()
		n := p.busy
		p.mu.Unlock()
		errs = append(errs, fmt.Errorf("pool: close: %d items still in use: %w", n, ctx.Err()))
		return errors.Join(errs...)
	}
	if err := waitCtx(ctx, p.wg.Wait); err != nil {
		errs = append(errs, fmt.Errorf("pool: close: background work still running: %w", err))
	}
	return errors.Join(errs...)
}

// waitCtx runs wait and returns nil when it returns, or ctx.Err() first.
func waitCtx(ctx context.Context, wait func()) error {
	done := make(chan struct{})
	go func() {
		wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
