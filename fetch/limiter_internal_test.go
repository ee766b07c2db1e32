package fetch

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHostLimiterFakeClock(t *testing.T) {
	cases := []struct {
		perHost int
		delay   time.Duration
		hold    time.Duration
	}{
		{1, 0, time.Second},
		{2, 0, time.Second},
		{4, 200 * time.Millisecond, time.Second},
		{1, 2 * time.Second, 100 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d/%s/%s", c.perHost, c.delay, c.hold), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newHostLimiter(c.perHost)
				var mu sync.Mutex
				var starts []time.Time
				inflight, peak := 0, 0
				var wg sync.WaitGroup
				for range 12 {
					wg.Go(func() {
						release, err := l.acquire(context.Background(), "h", c.delay)
						if !assert.NoError(t, err) {
							return
						}
						mu.Lock()
						starts = append(starts, time.Now())
						inflight++
						peak = max(peak, inflight)
						mu.Unlock()
						time.Sleep(c.hold)
						mu.Lock()
						inflight--
						mu.Unlock()
						release()
						release() // idempotent
					})
				}
				wg.Wait()
				assert.Equal(t, c.perHost, peak)
				require.Len(t, starts, 12)
				for i := 1; i < len(starts); i++ {
					assert.GreaterOrEqual(t, starts[i].Sub(starts[i-1]), c.delay)
				}
				// Entries go once their gap has passed.
				time.Sleep(c.delay)
				_, err := l.acquire(context.Background(), "other", 0)
				require.NoError(t, err)
				assert.LessOrEqual(t, l.size(), 2)
			})
		})
	}
}

func TestHostLimiterCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newHostLimiter(1)
		release, err := l.acquire(context.Background(), "h", 0)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err = l.acquire(ctx, "h", 0)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		release()
		assert.Zero(t, l.size())

		// Waiting out a start gap is cancellable too, and gives the slot back.
		r1, err := l.acquire(context.Background(), "g", time.Hour)
		require.NoError(t, err)
		r1()
		ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
		defer cancel2()
		_, err = l.acquire(ctx2, "g", time.Hour)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		r3, err := l.acquire(context.Background(), "g", 0)
		require.NoError(t, err)
		r3()
	})
}

func TestHostLimiterBounded(t *testing.T) {
	l := newHostLimiter(2)
	for i := range 10000 {
		r, err := l.acquire(context.Background(), fmt.Sprintf("h%d", i), 0)
		require.NoError(t, err)
		r()
	}
	assert.Zero(t, l.size())
	// Entries kept for a running gap are swept as new hosts come.
	l.now = func() time.Time { return time.Unix(0, 0) }
	for i := range 1000 {
		r, err := l.acquire(context.Background(), fmt.Sprintf("d%d", i), time.Millisecond)
		require.NoError(t, err)
		r()
	}
	l.now = time.Now
	for i := range 1000 {
		r, err := l.acquire(context.Background(), fmt.Sprintf("e%d", i), 0)
		require.NoError(t, err)
		r()
	}
	assert.Less(t, l.size(), 300)
}
