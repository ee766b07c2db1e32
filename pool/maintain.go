package pool

import (
	"context"
	"slices"
	"time"
)

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 30 * time.Second
)

// run is the maintenance goroutine. It wakes when asked (a checkout took an
// idle item, an item was discarded), every Config.tick, and when a creation
// backoff ends; it exits when Close cancels the pool's lifetime context.
func (p *Pool[T]) run() {
	defer p.wg.Done()
	tick := p.cfg.tick()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		wait := p.maintain()
		if tick > 0 && (wait == 0 || tick < wait) {
			wait = tick
		}
		var tc <-chan time.Time
		if wait > 0 {
			timer.Reset(wait)
			tc = timer.C
		}
		select {
		case <-p.life.Done():
			return
		case <-p.kick:
		case <-tc:
		}
		timer.Stop()
	}
}

// maintain expires idle items, runs due health checks and starts
// background creations. It returns how long until a creation backoff ends
// (0 when none is pending).
func (p *Pool[T]) maintain() time.Duration {
	p.expire()
	p.health()

	now := p.cfg.Now()
	p.mu.Lock()
	n := p.fillLocked(now)
	for range n {
		p.pending++
		p.bgPending++
		p.wg.Add(1)
		go p.createBG()
	}
	var wait time.Duration
	if now.Before(p.retryAt) {
		wait = p.retryAt.Sub(now)
	}
	p.mu.Unlock()
	return wait
}

// expire closes idle items past MaxAge, and items idle past IdleTimeout
// while the pool holds more than Min.
func (p *Pool[T]) expire() {
	if p.cfg.MaxAge <= 0 && p.cfg.IdleTimeout <= 0 {
		return
	}
	now := p.cfg.Now()
	var gone []*entry[T]
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	kept := p.idle[:0]
	for _, e := range p.idle {
		old := p.cfg.MaxAge > 0 && now.Sub(e.created) >= p.cfg.MaxAge
		stale := p.cfg.IdleTimeout > 0 && now.Sub(e.idleSince) >= p.cfg.IdleTimeout &&
			len(p.all) > p.cfg.Min
		if old || stale {
			delete(p.all, e.v)
			p.recycled++
			gone = append(gone, e)
			continue
		}
		kept = append(kept, e)
	}
	clear(p.idle[len(kept):])
	p.idle = kept
	async := make([]bool, len(gone))
	for i := range gone {
		async[i] = p.asyncLocked()
	}
	p.mu.Unlock()
	for i, e := range gone {
		p.log.Debug("pool: closing expired idle item")
		p.closeItemAsync(e.v, async[i])
	}
}

// health checks idle items, one at a time so that the others stay
// available, when HealthInterval has passed since the last round.
func (p *Pool[T]) health() {
	if p.cfg.HealthInterval <= 0 {
		return
	}
	start := p.cfg.Now()
	p.mu.Lock()
	if start.Sub(p.lastHealth) < p.cfg.HealthInterval {
		p.mu.Unlock()
		return
	}
	p.lastHealth = start
	p.mu.Unlock()
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		var e *entry[T]
		for i, c := range p.idle {
			if c.checked.Before(start) {
				e = c
				p.idle = slices.Delete(p.idle, i, i+1)
				break
			}
		}
		if e == nil {
			p.mu.Unlock()
			return
		}
		e.state = stChecking
		p.mu.Unlock()

		ctx, cancel := context.WithTimeout(p.life, p.cfg.CheckTimeout)
		err := p.check(ctx, e.v)
		cancel()

		p.mu.Lock()
		if p.closed {
			delete(p.all, e.v)
			p.mu.Unlock()
			p.closeItem(e.v)
			return
		}
		if err != nil {
			p.mu.Unlock()
			p.log.Debug("pool: idle item failed its health check", "err", err)
			p.discard(e, "check")
			continue
		}
		e.checked = p.cfg.Now()
		p.putLocked(e)
		p.mu.Unlock()
	}
}

// createBG creates one item for the pool itself (prewarm, refill,
// replacement) and hands it to the first waiter or the idle set.
func (p *Pool[T]) createBG() {
	defer p.wg.Done()
	ctx, cancel := context.WithTimeout(p.life, p.cfg.CreateTimeout)
	defer cancel()
	start := p.cfg.Now()
	v, err := p.newItem(ctx)
	now := p.cfg.Now()

	p.mu.Lock()
	p.pending--
	p.bgPending--
	if err == nil {
		if _, dup := p.all[v]; dup {
			err = ErrDuplicate
		}
	}
	if err != nil {
		if !p.closed {
			p.failed++
			p.lastErr = &CreateError{Err: err}
			p.backoff = min(max(2*p.backoff, minBackoff), maxBackoff)
			p.retryAt = now.Add(p.backoff)
			p.dispatchLocked()
			p.wake() // to arm the retry timer
		}
		p.mu.Unlock()
		p.log.Warn("pool: background create failed", "err", err)
		return
	}
	p.created++
	p.createRing.add(now.Sub(start))
	if p.closed {
		p.mu.Unlock()
		p.closeItem(v)
		return
	}
	p.backoff = 0
	p.retryAt = time.Time{}
	e := &entry[T]{v: v, created: now, idleSince: now, checked: now, state: stIdle}
	p.all[v] = e
	p.putLocked(e)
	p.checkReadyLocked()
	p.mu.Unlock()
}
