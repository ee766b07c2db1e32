package pool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// res is a fake pooled resource.
type res struct {
	id     int
	broken atomic.Bool
	mem    atomic.Int64
	closed atomic.Bool
}

// factory creates and closes res values and checks the pool's bounds.
type factory struct {
	t       testing.TB
	max     int
	newErr  atomic.Pointer[error]
	delay   time.Duration
	nextID  atomic.Int64
	live    atomic.Int64
	peak    atomic.Int64
	created atomic.Int64
	closes  atomic.Int64
	mu      sync.Mutex
	all     []*res
}

func (f *factory) New(ctx context.Context) (*res, error) {
	if ep := f.newErr.Load(); ep != nil {
		return nil, *ep
	}
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	n := f.live.Add(1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if f.max > 0 && n > int64(f.max) {
		f.t.Errorf("live items %d > Max %d", n, f.max)
	}
	f.created.Add(1)
	r := &res{id: int(f.nextID.Add(1))}
	f.mu.Lock()
	f.all = append(f.all, r)
	f.mu.Unlock()
	return r, nil
}

func (f *factory) Close(r *res) error {
	if r.closed.Swap(true) {
		f.t.Errorf("item %d closed twice", r.id)
	}
	f.live.Add(-1)
	f.closes.Add(1)
	return nil
}

func (f *factory) Check(_ context.Context, r *res) error {
	if r.broken.Load() {
		return errors.New("broken")
	}
	return nil
}

func (f *factory) failWith(err error) {
	if err == nil {
		f.newErr.Store(nil)
		return
	}
	f.newErr.Store(&err)
}

// config returns a Config wired to f, with no prewarm unless changed.
func (f *factory) config(max int) Config[*res] {
	f.max = max
	return Config[*res]{New: f.New, Close: f.Close, Max: max, Target: -1}
}

func newPool(t testing.TB, cfg Config[*res]) *Pool[*res] {
	t.Helper()
	p, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return p
}

// waitFor polls cond on the real clock.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, time.Millisecond)
}
