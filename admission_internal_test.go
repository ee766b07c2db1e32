package riptide

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/metrics"
)

func TestAdmissionPrioritisesInteractive(t *testing.T) {
	a := newAdmission(1, 0, false, metrics.Nop{})
	require.NoError(t, a.acquire(context.Background(), prioBulk))

	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	start := func(name string, p priority) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, a.acquire(context.Background(), p))
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			a.release()
		}()
	}
	start("bulk-1", prioBulk)
	waitQueued(t, a, prioBulk, 1)
	start("bulk-2", prioBulk)
	waitQueued(t, a, prioBulk, 2)
	start("interactive", prioInteractive)
	waitQueued(t, a, prioInteractive, 1)
	a.release()
	wg.Wait()
	assert.Equal(t, []string{"interactive", "bulk-1", "bulk-2"}, order)
}

func waitQueued(t *testing.T, a *admission, p priority, n int) {
	t.Helper()
	for range 1000 {
		a.mu.Lock()
		got := len(a.waiters[p])
		a.mu.Unlock()
		if got == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("queue %d never reached %d waiters", p, n)
}

func TestAdmissionCancelLeavesNoTrace(t *testing.T) {
	a := newAdmission(1, 0, false, metrics.Nop{})
	require.NoError(t, a.acquire(context.Background(), prioInteractive))
	for range 100 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		err := a.acquire(ctx, prioBulk)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	a.release()
	a.mu.Lock()
	assert.Zero(t, a.inflight)
	assert.Empty(t, a.waiters[prioBulk])
	a.mu.Unlock()
	require.NoError(t, a.acquire(context.Background(), prioBulk), "the slot is free again")
}

func TestMemoryGuard(t *testing.T) {
	used := uint64(2 << 30)
	a := newAdmission(10, 1<<30, false, metrics.Nop{})
	a.memUsed = func() uint64 { return used }
	err := a.acquire(context.Background(), prioInteractive)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrResourceLimit)
	var re *Error
	require.True(t, errors.As(err, &re))
	assert.True(t, re.Retryable())

	waiting := newAdmission(10, 1<<30, true, metrics.Nop{})
	var mu sync.Mutex
	waiting.memUsed = func() uint64 { mu.Lock(); defer mu.Unlock(); return used }
	done := make(chan error, 1)
	go func() { done <- waiting.acquire(context.Background(), prioInteractive) }()
	select {
	case <-done:
		t.Fatal("admitted while over the memory budget")
	case <-time.After(120 * time.Millisecond):
	}
	mu.Lock()
	used = 1 << 20
	mu.Unlock()
	require.NoError(t, <-done)
}

func TestAIMD(t *testing.T) {
	var changes []int
	a := newAIMD(10, 100*time.Millisecond, func(l int) { changes = append(changes, l) })
	feed := func(d time.Duration, failed bool) {
		for range aimdWindow {
			require.NoError(t, a.acquire(context.Background()))
			a.release(d, failed)
		}
	}
	feed(500*time.Millisecond, false) // slow: shrink
	assert.Equal(t, 9, a.current())
	feed(10*time.Millisecond, true) // errors: shrink
	assert.Equal(t, 8, a.current())
	for range 20 {
		feed(500*time.Millisecond, false)
	}
	assert.Equal(t, 1, a.current(), "never under 1")
	for range 30 {
		feed(10*time.Millisecond, false)
	}
	assert.Equal(t, 10, a.current(), "never over max")
	assert.NotEmpty(t, changes)

	// acquire honours the limit and ctx.
	b := newAIMD(1, 0, nil)
	require.NoError(t, b.acquire(context.Background()))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, b.acquire(ctx), context.DeadlineExceeded)
}
