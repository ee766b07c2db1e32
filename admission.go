package riptide

import (
	"context"
	"math"
	"runtime/metrics"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	rmetrics "github.com/riptide-go/riptide/metrics"
)

// priority orders waiting work: interactive calls (Extract, Render) are
// admitted before bulk crawl pages.
type priority int

const (
	prioInteractive priority = iota
	prioBulk
)

// admission is the Client's global admission limit with priorities and a
// memory-pressure guard. Waiters of the same priority are admitted in
// arrival order; a cancelled waiter leaves the queue unchanged.
type admission struct {
	rejected atomic.Int64 // operations refused by the memory guard
	mu       sync.Mutex
	limit    int
	inflight int
	waiters  [2][]*waiter // by priority
	memLimit uint64       // bytes; 0 disables the guard
	memWait  bool         // wait for memory instead of failing fast
	memUsed  func() uint64
	rec      rmetrics.Recorder
}

type waiter struct {
	ready chan struct{}
	done  bool // admitted (guarded by admission.mu)
}

func newAdmission(limit int, memLimit uint64, memWait bool, rec rmetrics.Recorder) *admission {
	return &admission{limit: limit, memLimit: memLimit, memWait: memWait, memUsed: heapBytes, rec: rec}
}

// acquire admits one unit of work or returns ctx's error, or a resource
// limit error when memory is over budget and the guard fails fast.
func (a *admission) acquire(ctx context.Context, p priority) error {
	if err := a.checkMemory(ctx); err != nil {
		return err
	}
	a.mu.Lock()
	if a.inflight < a.limit && len(a.waiters[prioInteractive]) == 0 && (p == prioInteractive || len(a.waiters[prioBulk]) == 0) {
		a.inflight++
		a.mu.Unlock()
		return nil
	}
	w := &waiter{ready: make(chan struct{})}
	a.waiters[p] = append(a.waiters[p], w)
	a.mu.Unlock()
	rmetrics.AddGauge(a.rec, rmetrics.AdmissionWaiting, rmetrics.Labels{}, 1)
	defer rmetrics.AddGauge(a.rec, rmetrics.AdmissionWaiting, rmetrics.Labels{}, -1)
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		a.mu.Lock()
		if w.done {
			// Admitted while giving up: hand the slot on.
			a.mu.Unlock()
			a.release()
			return ctx.Err()
		}
		q := a.waiters[p]
		for i, x := range q {
			if x == w {
				a.waiters[p] = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		a.mu.Unlock()
		return ctx.Err()
	}
}

// release frees one unit and admits the next waiter, interactive first.
func (a *admission) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inflight--
	for _, p := range []priority{prioInteractive, prioBulk} {
		if len(a.waiters[p]) > 0 && a.inflight < a.limit {
			w := a.waiters[p][0]
			a.waiters[p] = a.waiters[p][1:]
			w.done = true
			a.inflight++
			close(w.ready)
			return
		}
	}
}

// checkMemory applies the memory-pressure guard.
func (a *admission) checkMemory(ctx context.Context) error {
	if a.memLimit == 0 {
		return nil
	}
	for {
		used := a.memUsed()
		if used <= a.memLimit {
			return nil
		}
		rmetrics.Inc(a.rec, rmetrics.ResourceRejected, rmetrics.Labels{Outcome: "memory"})
		if !a.memWait {
			a.rejected.Add(1)
			return &Error{Kind: KindResourceLimit, Op: "admit", Err: errMemory(used, a.memLimit)}
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

type memoryError struct{ used, limit uint64 }

func (e memoryError) Error() string {
	return "memory budget exceeded: " + itoa(e.used>>20) + " MiB used, budget " + itoa(e.limit>>20) + " MiB"
}

func errMemory(used, limit uint64) error { return memoryError{used, limit} }

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// heapBytes is the Go heap in use (objects plus unused spans held).
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	var total uint64
	for _, x := range s {
		if x.Value.Kind() == metrics.KindUint64 {
			total += x.Value.Uint64()
		}
	}
	return total
}

// aimd adapts a crawl's concurrency: it shrinks the limit by 10% when the
// p95 latency of recent pages passes the target or more than 5% of them
// failed, and grows it by 10% when p95 is under 80% of the target and
// fewer than 1% failed, within [1, max].
type aimd struct {
	mu       sync.Mutex
	cond     *sync.Cond
	limit    float64
	max      int
	inflight int
	target   time.Duration
	window   []sample
	onChange func(limit int)
}

type sample struct {
	d   time.Duration
	err bool
}

const aimdWindow = 20

func newAIMD(max int, target time.Duration, onChange func(int)) *aimd {
	a := &aimd{limit: float64(max), max: max, target: target, onChange: onChange}
	a.cond = sync.NewCond(&a.mu)
	return a
}

// acquire waits for a slot under the current limit, or until ctx ends.
func (a *aimd) acquire(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		a.mu.Lock()
		a.cond.Broadcast()
		a.mu.Unlock()
	})
	defer stop()
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.inflight >= int(a.limit) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a.cond.Wait()
	}
	a.inflight++
	return nil
}

// release frees a slot and feeds the page's outcome to the controller.
func (a *aimd) release(d time.Duration, failed bool) {
	a.mu.Lock()
	a.inflight--
	changed := -1
	if a.target > 0 {
		a.window = append(a.window, sample{d, failed})
		if len(a.window) >= aimdWindow {
			old := int(a.limit)
			a.adjustLocked()
			a.window = a.window[:0]
			if int(a.limit) != old {
				changed = int(a.limit)
			}
		}
	}
	a.cond.Broadcast()
	a.mu.Unlock()
	if changed >= 0 && a.onChange != nil {
		a.onChange(changed)
	}
}

func (a *aimd) adjustLocked() {
	ds := make([]time.Duration, len(a.window))
	errs := 0
	for i, s := range a.window {
		ds[i] = s.d
		if s.err {
			errs++
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	p95 := ds[int(math.Ceil(0.95*float64(len(ds))))-1]
	rate := float64(errs) / float64(len(a.window))
	// At small limits a 10% step would round away: move by at least one.
	switch {
	case p95 > a.target || rate > 0.05:
		next := a.limit * 0.9
		if int(next) == int(a.limit) {
			next = float64(int(a.limit) - 1)
		}
		a.limit = next
	case float64(p95) < 0.8*float64(a.target) && rate < 0.01:
		next := a.limit * 1.1
		if int(next) == int(a.limit) {
			next = float64(int(a.limit) + 1)
		}
		a.limit = next
	}
	if a.limit < 1 {
		a.limit = 1
	}
	if a.limit > float64(a.max) {
		a.limit = float64(a.max)
	}
}

// current returns the current limit.
func (a *aimd) current() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return int(a.limit)
}

// snapshot returns the admission figures: limit, in flight, waiting.
func (a *admission) snapshot() (limit, inflight, waiting int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limit, a.inflight, len(a.waiters[prioInteractive]) + len(a.waiters[prioBulk])
}

// browserRSSEvery bounds how often the browsers' memory is read from /proc.
const browserRSSEvery = time.Second

// browserRSS returns the resident memory of the built-in renderer's
// browser process trees, read at most once per browserRSSEvery.
func (c *Client) browserRSS() uint64 {
	c.rssMu.Lock()
	defer c.rssMu.Unlock()
	if time.Since(c.rssAt) < browserRSSEvery {
		return c.rssVal
	}
	c.engMu.Lock()
	own := c.ownRend
	c.engMu.Unlock()
	var total int64
	if own != nil {
		for _, b := range own.Stats().Browsers {
			total += b.RSS
		}
	}
	c.rssVal, c.rssAt = uint64(max(total, 0)), time.Now()
	return c.rssVal
}
