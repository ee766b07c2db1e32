package pool

import (
	"slices"
	"time"
)

// Stats is a snapshot of a pool's state and counters.
type Stats struct {
	Idle     int // items ready for Acquire
	InUse    int // items checked out
	Creating int // calls to Config.New in flight
	Waiting  int // Acquire calls waiting for an item
	Closing  int // removed items whose Config.Close has not returned; they count against Max

	Acquired uint64 // successful Acquire calls
	Created  uint64 // items Config.New returned
	Recycled uint64 // items closed by MaxUses, MaxAge, MaxMem or IdleTimeout
	Broken   uint64 // items closed after a failed use or a failed Check
	Failed   uint64 // Config.New errors (not counting canceled callers)

	// CheckoutWaitP50 and CheckoutWaitP95 cover the time Acquire took,
	// creation included, over the last successful calls (at most 256).
	CheckoutWaitP50, CheckoutWaitP95 time.Duration
	// CreateTimeP50 covers the last successful Config.New calls (at most 256).
	CreateTimeP50 time.Duration
}

// Stats returns a snapshot of the pool's state. It is cheap enough to call
// from a metrics scrape.
func (p *Pool[T]) Stats() Stats {
	p.mu.Lock()
	s := Stats{
		Idle:     len(p.idle),
		InUse:    p.busy,
		Creating: p.pending,
		Waiting:  p.waiters.Len(),
		Closing:  p.closing,
		Acquired: p.acquired,
		Created:  p.created,
		Recycled: p.recycled,
		Broken:   p.broken,
		Failed:   p.failed,
	}
	wait := p.waitRing.snapshot()
	create := p.createRing.snapshot()
	p.mu.Unlock()
	s.CheckoutWaitP50 = quantile(wait, 0.50)
	s.CheckoutWaitP95 = quantile(wait, 0.95)
	s.CreateTimeP50 = quantile(create, 0.50)
	return s
}

const ringSize = 256

// ring keeps the last ringSize durations.
type ring struct {
	buf [ringSize]time.Duration
	n   int // samples written, ever
}

func (r *ring) add(d time.Duration) {
	r.buf[r.n%ringSize] = d
	r.n++
}

func (r *ring) snapshot() []time.Duration {
	return slices.Clone(r.buf[:min(r.n, ringSize)])
}

// quantile returns the q-quantile (nearest rank) of ds, sorting ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(q*float64(len(ds))+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}
