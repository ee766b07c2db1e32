package pool

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewValidatesConfig(t *testing.T) {
	newRes := func(context.Context) (*res, error) { return &res{}, nil }
	check := func(context.Context, *res) error { return nil }
	cases := []struct {
		name string
		cfg  Config[*res]
		ok   bool
	}{
		{"defaults", Config[*res]{New: newRes}, true},
		{"nil New", Config[*res]{}, false},
		{"negative Max", Config[*res]{New: newRes, Max: -1}, false},
		{"Min above Max", Config[*res]{New: newRes, Min: 4, Max: 2}, false},
		{"negative MaxAge", Config[*res]{New: newRes, MaxAge: -time.Second}, false},
		{"MaxMem without Mem", Config[*res]{New: newRes, MaxMem: 1}, false},
		{"HealthInterval without Check", Config[*res]{New: newRes, HealthInterval: time.Second}, false},
		{"CheckIdleAfter with Check", Config[*res]{New: newRes, Check: check, CheckIdleAfter: time.Second}, true},
		{"Target above Max is clamped", Config[*res]{New: newRes, Max: 1, Target: 5}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.cfg)
			if !tc.ok {
				require.ErrorIs(t, err, ErrInvalidConfig)
				assert.Nil(t, p)
				return
			}
			require.NoError(t, err)
			require.NoError(t, p.Close(context.Background()))
		})
	}
}

func TestAcquireReusesReleasedItem(t *testing.T) {
	f := &factory{t: t}
	p := newPool(t, f.config(2))
	ctx := context.Background()

	a, err := p.Acquire(ctx)
	require.NoError(t, err)
	p.Release(a, nil)
	b, err := p.Acquire(ctx)
	require.NoError(t, err)
	assert.Same(t, a, b)
	p.Release(b, nil)

	s := p.Stats()
	assert.Equal(t, uint64(1), s.Created)
	assert.Equal(t, uint64(2), s.Acquired)
	assert.Equal(t, 1, s.Idle)
	assert.Equal(t, 0, s.InUse)
}

func TestAcquireServesWaitersInFIFOOrder(t *testing.T) {
	f := &factory{t: t}
	p := newPool(t, f.config(1))
	ctx := context.Background()
	item, err := p.Acquire(ctx)
	require.NoError(t, err)

	const n = 8
	var (
		mu    sync.Mutex
		order []int
		wg    sync.WaitGroup
	)
	for i := range n {
		wg.Go(func() {
			v, err := p.Acquire(ctx)
			if !assert.NoError(t, err) {
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			p.Release(v, nil)
		})
		waitFor(t, func() bool { return p.Stats().Waiting == i+1 })
	}
	p.Release(item, nil)
	wg.Wait()
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, order)
	assert.Equal(t, int64(1), f.created.Load())
}

func TestAcquireCanceledWhileWaitingLeavesPoolUnchanged(t *testing.T) {
	f := &factory{t: t}
	p := newPool(t, f.config(1))
	item, err := p.Acquire(context.Background())
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := p.Acquire(ctx)
		errc <- err
	}()
	waitFor(t, func() bool { return p.Stats().Waiting == 1 })
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	assert.Equal(t, 0, p.Stats().Waiting)

	p.Release(item, nil)
	again, err := p.Acquire(context.Background())
	require.NoError(t, err)
	assert.Same(t, item, again)
	p.Release(again, nil)
	assert.Equal(t, int64(1), f.created.Load())
}

func TestAcquireRespectsDeadline(t *testing.T) {
	f := &factory{t: t}
	p := newPool(t, f.config(1))
	item, err := p.Acquire(context.Background())
	require.NoError(t, err)
	defer p.Release(item, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = p.Acquire(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestAcquireCancelStress races cancellations against hand-offs: no item may
// be lost or duplicated and Max must hold throughout.
func TestAcquireCancelStress(t *testing.T) {
	const max = 3
	f := &factory{t: t}
	cfg := f.config(max)
	cfg.Target = 1
	p := newPool(t, cfg)

	workers, rounds := 16, 300
	if testing.Short() {
		rounds = 50
	}
	var wg sync.WaitGroup
	var inUse atomic.Int64
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range rounds {
				ctx, cancel := context.WithTimeout(context.Background(),
					time.Duration(rng.IntN(200))*time.Microsecond)
				if rng.IntN(4) == 0 {
					cancel() // sometimes canceled before or during the call
				}
				v, err := p.Acquire(ctx)
				cancel()
				if err != nil {
					if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("Acquire: %v", err)
					}
					continue
				}
				if n := inUse.Add(1); n > max {
					t.Errorf("%d items in use > Max %d", n, max)
				}
				if rng.IntN(20) == 0 {
					inUse.Add(-1)
					p.Release(v, ErrBroken)
					continue
				}
				inUse.Add(-1)
				p.Release(v, nil)
			}
		})
	}
	wg.Wait()

	s := p.Stats()
	assert.Equal(t, 0, s.InUse)
	assert.Equal(t, 0, s.Waiting)
	assert.LessOrEqual(t, f.peak.Load(), int64(max))

	// Every slot is still usable: Max items can be held at once.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	held := make(map[*res]bool)
	for range max {
		v, err := p.Acquire(ctx)
		require.NoError(t, err)
		require.False(t, held[v], "item handed out twice")
		held[v] = true
	}
	for v := range held {
		p.Release(v, nil)
	}
	require.NoError(t, p.Close(ctx))
	assert.Equal(t, int64(0), f.live.Load(), "items left open after Close")
	assert.Equal(t, f.created.Load(), f.closes.Load())
	s = p.Stats()
	testenv.Figure(t, "pool_cancel_stress", "workers", workers, "rounds", rounds, "acquired", s.Acquired,
		"max", max, "peak_live", f.peak.Load(), "left_open", f.live.Load(), "checkout_wait_p95_us", s.CheckoutWaitP95.Microseconds())
}

func TestPrewarmCreatesTargetItems(t *testing.T) {
	f := &factory{t: t}
	cfg := f.config(4)
	cfg.Target = 2
	p := newPool(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, p.WaitReady(ctx))

	s := p.Stats()
	assert.Equal(t, 2, s.Idle)
	assert.Equal(t, uint64(2), s.Created)

	// Taking one idle item triggers a refill back to Target.
	v, err := p.Acquire(ctx)
	require.NoError(t, err)
	waitFor(t, func() bool { return p.Stats().Idle == 2 })
	p.Release(v, nil)
	assert.Equal(t, 3, p.Stats().Idle)
}

func TestWaitReadyReportsCreateError(t *testing.T) {
	f := &factory{t: t}
	f.failWith(errors.New("no browser"))
	cfg := f.config(2)
	cfg.Target = 1
	p := newPool(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := p.WaitReady(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var ce *CreateError
	require.ErrorAs(t, err, &ce)
	assert.EqualError(t, ce.Err, "no browser")
	assert.GreaterOrEqual(t, p.Stats().Failed, uint64(1))

	// Once creation works again the pool recovers after its backoff.
	f.failWith(nil)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	require.NoError(t, p.WaitReady(ctx2))
}

func TestAcquireReturnsCreateError(t *testing.T) {
	f := &factory{t: t}
	boom := errors.New("boom")
	f.failWith(boom)
	p := newPool(t, f.config(1))

	_, err := p.Acquire(context.Background())
	var ce *CreateError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, boom)
	assert.Equal(t, "pool: create: boom", err.Error())
	assert.Equal(t, uint64(1), p.Stats().Failed)
	assert.Equal(t, 0, p.Stats().Creating)

	// The slot was returned: the next call can create.
	f.failWith(nil)
	v, err := p.Acquire(context.Background())
	require.NoError(t, err)
	p.Release(v, nil)
}

func TestCreateErrorPassesSlotToWaiter(t *testing.T) {
	f := &factory{t: t}
	p := newPool(t, f.config(1))
	ctx := context.Background()
	v, err := p.Acquire(ctx)
	require.NoError(t, err)

	got := make(chan error, 1)
	go func() {
		w, err := p.Acquire(ctx)
		if err == nil {
			p.Release(w, nil)
		}
		got <- err
	}()
	waitFor(t, func() bool { return p.Stats().Waiting == 1 })
	// The held item breaks; its replacement is created by the waiter.
	p.Release(v, ErrBroken)
	require.NoError(t, <-got)
	assert.Equal(t, uint64(1), p.Stats().Broken)
}

func TestRecycle(t *testing.T) {
	cases := []struct {
		name    string
		set     func(*Config[*res], *fakeClock)
		use     func(*res, *fakeClock)
		recycle bool
	}{
		{"below limits", func(c *Config[*res], _ *fakeClock) { c.MaxUses = 3 }, nil, false},
		{"max uses", func(c *Config[*res], _ *fakeClock) { c.MaxUses = 1 }, nil, true},
		{"max age", func(c *Config[*res], _ *fakeClock) { c.MaxAge = time.Minute },
			func(_ *res, clk *fakeClock) { clk.Add(time.Minute) }, true},
		{"young enough", func(c *Config[*res], _ *fakeClock) { c.MaxAge = time.Minute },
			func(_ *res, clk *fakeClock) { clk.Add(time.Second) }, false},
		{"max mem", func(c *Config[*res], _ *fakeClock) {
			c.Mem = func(r *res) int64 { return r.mem.Load() }
			c.MaxMem = 100
		}, func(r *res, _ *fakeClock) { r.mem.Store(101) }, true},
		{"mem under cap", func(c *Config[*res], _ *fakeClock) {
			c.Mem = func(r *res) int64 { return r.mem.Load() }
			c.MaxMem = 100
		}, func(r *res, _ *fakeClock) { r.mem.Store(100) }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &factory{t: t}
			clk := newFakeClock()
			cfg := f.config(1)
			cfg.Now = clk.Now
			tc.set(&cfg, clk)
			p := newPool(t, cfg)

			v, err := p.Acquire(context.Background())
			require.NoError(t, err)
			if tc.use != nil {
				tc.use(v, clk)
			}
			p.Release(v, nil)
			w, err := p.Acquire(context.Background())
			require.NoError(t, err)
			p.Release(w, nil)
			if tc.recycle {
				assert.NotSame(t, v, w)
				assert.GreaterOrEqual(t, p.Stats().Recycled, uint64(1))
				waitFor(t, func() bool { return v.closed.Load() })
			} else {
				assert.Same(t, v, w)
				assert.Equal(t, uint64(0), p.Stats().Recycled)
			}
		})
	}
}

func TestCheckIdleAfterReplacesBrokenItemOnCheckout(t *testing.T) {
	f := &factory{t: t}
	clk := newFakeClock()
	cfg := f.config(1)
	cfg.Now = clk.Now
	cfg.Check = f.Check
	cfg.CheckIdleAfter = time.Second
	p := newPool(t, cfg)
	ctx := context.Background()

	v, err := p.Acquire(ctx)
	require.NoError(t, err)
	p.Release(v, nil)
	v.broken.Store(true)

	// Idle for less than CheckIdleAfter: handed out unchecked.
	w, err := p.Acquire(ctx)
	require.NoError(t, err)
	assert.Same(t, v, w)
	p.Release(w, nil)

	clk.Add(2 * time.Second)
	w, err = p.Acquire(ctx)
	require.NoError(t, err)
	assert.NotSame(t, v, w)
	p.Release(w, nil)
	assert.Equal(t, uint64(1), p.Stats().Broken)
	waitFor(t, func() bool { return v.closed.Load() })
}

func TestReleaseBrokenItemIsReplacedInBackground(t *testing.T) {
	f := &factory{t: t}
	cfg := f.config(2)
	cfg.Target = 1
	p := newPool(t, cfg)
	ctx := context.Background()
	require.NoError(t, p.WaitReady(ctx))

	v, err := p.Acquire(ctx)
	require.NoError(t, err)
	p.Release(v, errors.New("target crashed"))

	waitFor(t, func() bool { return v.closed.Load() && p.Stats().Idle == 1 })
	s := p.Stats()
	assert.Equal(t, uint64(1), s.Broken)
	assert.Equal(t, uint64(2), s.Created)
	w, err := p.Acquire(ctx)
	require.NoError(t, err)
	assert.NotSame(t, v, w)
	p.Release(w, nil)
}

func TestReleaseMisuseIsIgnored(t *testing.T) {
	f := &factory{t: t}
	p := newPool(t, f.config(1))
	v, err := p.Acquire(context.Background())
	require.NoError(t, err)

	p.Release(&res{}, nil) // never handed out
	p.Release(v, nil)
	p.Release(v, nil) // twice
	p.Discard(v)      // after release

	s := p.Stats()
	assert.Equal(t, 1, s.Idle)
	assert.Equal(t, 0, s.InUse)
	assert.False(t, v.closed.Load())
}

func TestDoReleasesWithFnError(t *testing.T) {
	f := &factory{t: t}
	p := newPool(t, f.config(1))
	ctx := context.Background()
	boom := errors.New("boom")

	var first *res
	require.ErrorIs(t, p.Do(ctx, func(v *res) error { first = v; return boom }), boom)
	assert.Equal(t, uint64(1), p.Stats().Broken)

	assert.Panics(t, func() {
		_ = p.Do(ctx, func(*res) error { panic("fn panicked") })
	})
	assert.Equal(t, uint64(2), p.Stats().Broken)
	require.NoError(t, p.Do(ctx, func(v *res) error {
		assert.NotSame(t, first, v)
		return nil
	}))
}

func TestCloseWaitsForItemsInFlight(t *testing.T) {
	f := &factory{t: t}
	cfg := f.config(2)
	cfg.Target = 2
	p := newPool(t, cfg)
	ctx := context.Background()
	require.NoError(t, p.WaitReady(ctx))
	v, err := p.Acquire(ctx)
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() { done <- p.Close(ctx) }()
	waitFor(t, func() bool { return f.closes.Load() == 1 }) // the idle one
	select {
	case err := <-done:
		t.Fatalf("Close returned %v with an item in use", err)
	case <-time.After(20 * time.Millisecond):
	}
	_, err = p.Acquire(ctx)
	require.ErrorIs(t, err, ErrClosed)

	p.Release(v, nil)
	require.NoError(t, <-done)
	assert.True(t, v.closed.Load())
	assert.Equal(t, int64(0), f.live.Load())
	require.NoError(t, p.Close(ctx), "Close is idempotent")
}

func TestCloseTimesOutWithItemsInUse(t *testing.T) {
	f := &factory{t: t}
	p := newPool(t, f.config(1))
	v, err := p.Acquire(context.Background())
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = p.Close(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "1 items still in use")

	// Released late, the item is closed on the spot.
	p.Release(v, nil)
	assert.True(t, v.closed.Load())
}

func TestCloseFailsWaiters(t *testing.T) {
	f := &factory{t: t}
	p := newPool(t, f.config(1))
	v, err := p.Acquire(context.Background())
	require.NoError(t, err)

	errc := make(chan error, 1)
	go func() {
		_, err := p.Acquire(context.Background())
		errc <- err
	}()
	waitFor(t, func() bool { return p.Stats().Waiting == 1 })
	closed := make(chan error, 1)
	go func() { closed <- p.Close(context.Background()) }()
	require.ErrorIs(t, <-errc, ErrClosed)
	p.Release(v, nil)
	require.NoError(t, <-closed)
	require.ErrorIs(t, p.WaitReady(context.Background()), ErrClosed)
}

func TestCreateAfterCloseClosesItem(t *testing.T) {
	f := &factory{t: t}
	release := make(chan struct{})
	cfg := f.config(1)
	cfg.New = func(ctx context.Context) (*res, error) {
		<-release
		return f.New(ctx)
	}
	p := newPool(t, cfg)
	errc := make(chan error, 1)
	go func() {
		_, err := p.Acquire(context.Background())
		errc <- err
	}()
	waitFor(t, func() bool { return p.Stats().Creating == 1 })
	require.NoError(t, p.Close(context.Background()))
	close(release)
	require.ErrorIs(t, <-errc, ErrClosed)
	assert.Equal(t, int64(0), f.live.Load())
}

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestStuckCloseDoesNotBlockCheckouts: an item whose Close hangs holds its
// slot, but other items keep being handed out.
func TestStuckCloseDoesNotBlockCheckouts(t *testing.T) {
	f := &factory{t: t}
	unblock := make(chan struct{})
	cfg := f.config(2)
	cfg.Close = func(r *res) error {
		if r.id == 1 {
			<-unblock
		}
		return f.Close(r)
	}
	p := newPool(t, cfg)
	ctx := context.Background()

	stuck, err := p.Acquire(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, stuck.id)
	p.Release(stuck, ErrBroken) // its Close hangs
	waitFor(t, func() bool { return p.Stats().Closing == 1 })

	start := time.Now()
	for range 50 {
		v, err := p.Acquire(ctx)
		require.NoError(t, err)
		assert.NotEqual(t, 1, v.id)
		p.Release(v, nil)
	}
	t.Logf("50 checkouts during a stuck close in %v", time.Since(start))

	// Max still holds: the stuck item counts until its Close returns.
	v, err := p.Acquire(ctx)
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = p.Acquire(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.LessOrEqual(t, f.peak.Load(), int64(2))

	close(unblock)
	w, err := p.Acquire(ctx) // the freed slot creates a new item
	require.NoError(t, err)
	p.Release(w, nil)
	p.Release(v, nil)
}

func TestCheckoutCheckCanceledKeepsItem(t *testing.T) {
	f := &factory{t: t}
	clk := newFakeClock()
	cfg := f.config(1)
	cfg.Now = clk.Now
	cfg.CheckIdleAfter = time.Second
	cfg.Check = func(ctx context.Context, _ *res) error {
		<-ctx.Done()
		return ctx.Err()
	}
	p := newPool(t, cfg)
	v, err := p.Acquire(context.Background())
	require.NoError(t, err)
	p.Release(v, nil)
	clk.Add(time.Minute)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = p.Acquire(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	s := p.Stats()
	assert.Equal(t, 1, s.Idle, "the item is not blamed for the caller's deadline")
	assert.Equal(t, uint64(0), s.Broken)
	assert.False(t, v.closed.Load())
}

func TestWaitReadyCountsMin(t *testing.T) {
	f := &factory{t: t}
	cfg := f.config(3)
	cfg.Min = 2
	p := newPool(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, p.WaitReady(ctx))
	assert.Equal(t, 2, p.Stats().Idle)
}

// TestStressAllFeatures runs the stress load with every background
// mechanism enabled at once (health checks, checkout checks, recycling by
// uses, age and memory, idle expiry, refills): no item may be handed out
// twice, Max must hold and Close must leave nothing open.
func TestStressAllFeatures(t *testing.T) {
	const max = 4
	f := &factory{t: t}
	cfg := f.config(max)
	cfg.Min, cfg.Target = 1, 2
	cfg.Check = f.Check
	cfg.HealthInterval = time.Millisecond
	cfg.CheckIdleAfter = 100 * time.Microsecond
	cfg.MaxUses = 5
	cfg.MaxAge = 5 * time.Millisecond
	cfg.IdleTimeout = 2 * time.Millisecond
	cfg.Mem = func(r *res) int64 { return r.mem.Load() }
	cfg.MaxMem = 100
	p := newPool(t, cfg)

	var (
		mu    sync.Mutex
		inUse = map[*res]bool{}
		wg    sync.WaitGroup
	)
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	for w := range 12 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			for range rounds {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(2000))*time.Microsecond)
				v, err := p.Acquire(ctx)
				cancel()
				if err != nil {
					continue
				}
				mu.Lock()
				if inUse[v] {
					t.Errorf("item %d handed out twice", v.id)
				}
				inUse[v] = true
				mu.Unlock()
				if v.closed.Load() {
					t.Errorf("closed item %d handed out", v.id)
				}
				switch rng.IntN(10) {
				case 0:
					v.broken.Store(true) // found by a later check
				case 1:
					v.mem.Store(200)
				}
				time.Sleep(time.Duration(rng.IntN(100)) * time.Microsecond)
				mu.Lock()
				delete(inUse, v)
				mu.Unlock()
				if rng.IntN(15) == 0 {
					p.Discard(v)
				} else {
					p.Release(v, nil)
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, f.peak.Load(), int64(max))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, p.Close(ctx))
	assert.Equal(t, int64(0), f.live.Load(), "items left open after Close")
	s := p.Stats()
	testenv.Figure(t, "pool_stress_all", "acquired", s.Acquired, "created", s.Created, "recycled", s.Recycled,
		"broken", s.Broken, "max", max, "peak_live", f.peak.Load(), "left_open", f.live.Load())
}

func TestCallbackPanicsAreContained(t *testing.T) {
	ctx := context.Background()
	t.Run("New", func(t *testing.T) {
		f := &factory{t: t}
		cfg := f.config(1)
		cfg.New = func(context.Context) (*res, error) { panic("launch bug") }
		p := newPool(t, cfg)
		_, err := p.Acquire(ctx)
		require.ErrorIs(t, err, ErrCallbackPanic)
		var ce *CreateError
		require.ErrorAs(t, err, &ce)
		assert.Contains(t, err.Error(), "launch bug")
		assert.Equal(t, 0, p.Stats().Creating, "the slot is given back")
	})
	t.Run("Check", func(t *testing.T) {
		f := &factory{t: t}
		clk := newFakeClock()
		cfg := f.config(1)
		cfg.Now = clk.Now
		cfg.CheckIdleAfter = time.Second
		cfg.Check = func(context.Context, *res) error { panic("check bug") }
		p := newPool(t, cfg)
		v, err := p.Acquire(ctx)
		require.NoError(t, err)
		p.Release(v, nil)
		clk.Add(time.Minute)
		w, err := p.Acquire(ctx) // the panicking check discards v
		require.NoError(t, err)
		assert.NotSame(t, v, w)
		p.Release(w, nil)
		assert.Equal(t, uint64(1), p.Stats().Broken)
	})
	t.Run("Mem", func(t *testing.T) {
		f := &factory{t: t}
		cfg := f.config(1)
		cfg.Mem = func(*res) int64 { panic("rss bug") }
		cfg.MaxMem = 1
		p := newPool(t, cfg)
		v, err := p.Acquire(ctx)
		require.NoError(t, err)
		p.Release(v, nil)
		assert.Equal(t, uint64(1), p.Stats().Broken)
		waitFor(t, func() bool { return v.closed.Load() })
	})
	t.Run("Close", func(t *testing.T) {
		f := &factory{t: t}
		cfg := f.config(1)
		cfg.Close = func(r *res) error {
			_ = f.Close(r)
			panic("close bug")
		}
		p := newPool(t, cfg)
		v, err := p.Acquire(ctx)
		require.NoError(t, err)
		p.Discard(v)
		w, err := p.Acquire(ctx)
		require.NoError(t, err)
		p.Release(w, nil)
		require.ErrorIs(t, p.Close(ctx), ErrCallbackPanic, "Close reports the idle item's failed close")
	})
}
