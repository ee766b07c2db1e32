package stream

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Outcome is what a [Tally] records about one result or failure.
type Outcome struct {
	Failed   bool
	Status   int    // HTTP status, 0 when none
	Engine   string // "static", "headless", ...
	Bytes    int64
	Duration time.Duration
	CacheHit bool
}

// Tally accumulates outcomes into a [Summary]. Its zero value is ready to
// use and it is safe for concurrent use. Durations are sampled (up to 1024
// kept, uniformly) so that memory stays bounded on long crawls.
type Tally struct {
	mu        sync.Mutex
	s         Summary
	seen      int
	durations []float64 // milliseconds
	rng       *rand.Rand
}

const tallySamples = 1024

// Add records one outcome.
func (t *Tally) Add(o Outcome) {
	ms := float64(o.Duration) / float64(time.Millisecond)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.s.Total++
	if o.Failed {
		t.s.Errors++
	} else {
		t.s.Succeeded++
	}
	if o.Status != 0 {
		if t.s.ByStatus == nil {
			t.s.ByStatus = make(map[string]int)
		}
		t.s.ByStatus[strconv.Itoa(o.Status)]++
	}
	if o.Engine != "" {
		if t.s.ByEngine == nil {
			t.s.ByEngine = make(map[string]int)
		}
		t.s.ByEngine[o.Engine]++
	}
	t.s.Bytes += o.Bytes
	if o.CacheHit {
		t.s.CacheHits++
	}
	if o.Duration <= 0 {
		return
	}
	t.seen++
	if len(t.durations) < tallySamples {
		t.durations = append(t.durations, ms)
		return
	}
	if t.rng == nil {
		t.rng = rand.New(rand.NewPCG(1, 2))
	}
	if i := t.rng.IntN(t.seen); i < tallySamples {
		t.durations[i] = ms
	}
}

// Summary returns the summary so far; elapsed is the stream's wall time.
func (t *Tally) Summary(elapsed time.Duration) Summary {
	t.mu.Lock()
	s := t.s
	s.ByStatus = maps.Clone(t.s.ByStatus)
	s.ByEngine = maps.Clone(t.s.ByEngine)
	d := slices.Clone(t.durations)
	t.mu.Unlock()
	slices.Sort(d)
	s.P50MS = quantile(d, 0.50)
	s.P95MS = quantile(d, 0.95)
	s.DurationMS = float64(elapsed) / float64(time.Millisecond)
	return s
}

// quantile returns the nearest-rank q-quantile of sorted d.
func quantile(d []float64, q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	i := int(q*float64(len(d))+0.5) - 1
	return d[min(max(i, 0), len(d)-1)]
}
