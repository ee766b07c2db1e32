package pool

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run on synctest's fake clock: the pool's timers, Config.Now
// (time.Now) and the goroutines it starts all live in the bubble.

func TestHealthCheckReplacesBrokenIdleItem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &factory{t: t}
		cfg := f.config(2)
		cfg.Target = 1
		cfg.Check = f.Check
		cfg.HealthInterval = time.Second
		p, err := New(cfg)
		require.NoError(t, err)
		ctx := context.Background()
		require.NoError(t, p.WaitReady(ctx))

		v, err := p.Acquire(ctx)
		require.NoError(t, err)
		p.Release(v, nil)
		v.broken.Store(true)

		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		assert.True(t, v.closed.Load(), "broken idle item closed")
		s := p.Stats()
		assert.Equal(t, uint64(1), s.Broken)
		assert.Equal(t, 1, s.Idle, "replaced up to Target")

		w, err := p.Acquire(ctx)
		require.NoError(t, err)
		assert.NotSame(t, v, w)
		p.Release(w, nil)
		require.NoError(t, p.Close(ctx))
		assert.Equal(t, int64(0), f.live.Load())
	})
}

func TestIdleTimeoutKeepsMin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &factory{t: t}
		cfg := f.config(4)
		cfg.Min = 1
		cfg.IdleTimeout = time.Minute
		p, err := New(cfg)
		require.NoError(t, err)
		ctx := context.Background()

		var held []*res
		for range 3 {
			v, err := p.Acquire(ctx)
			require.NoError(t, err)
			held = append(held, v)
		}
		for _, v := range held {
			p.Release(v, nil)
		}
		time.Sleep(30 * time.Second)
		synctest.Wait()
		assert.Equal(t, 3, p.Stats().Idle)

		time.Sleep(time.Minute)
		synctest.Wait()
		s := p.Stats()
		assert.Equal(t, 1, s.Idle, "idle items closed down to Min")
		assert.Equal(t, uint64(2), s.Recycled)
		assert.Equal(t, int64(1), f.live.Load())
		require.NoError(t, p.Close(ctx))
	})
}

func TestMaxAgeRecyclesIdleItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &factory{t: t}
		cfg := f.config(2)
		cfg.Target = 1
		cfg.MaxAge = 10 * time.Minute
		p, err := New(cfg)
		require.NoError(t, err)
		ctx := context.Background()
		require.NoError(t, p.WaitReady(ctx))

		time.Sleep(11 * time.Minute)
		synctest.Wait()
		s := p.Stats()
		assert.Equal(t, uint64(1), s.Recycled)
		assert.Equal(t, 1, s.Idle, "replaced up to Target")
		assert.Equal(t, uint64(2), s.Created)
		require.NoError(t, p.Close(ctx))
	})
}

func TestBackgroundCreateBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &factory{t: t}
		f.failWith(assert.AnError)
		cfg := f.config(2)
		cfg.Target = 1
		p, err := New(cfg)
		require.NoError(t, err)

		time.Sleep(time.Minute)
		synctest.Wait()
		// 100ms doubling to 30s: 100+200+...+25.6s < 60s gives 10 tries at most.
		failed := p.Stats().Failed
		assert.LessOrEqual(t, failed, uint64(11))
		assert.GreaterOrEqual(t, failed, uint64(8))

		f.failWith(nil)
		time.Sleep(maxBackoff)
		synctest.Wait()
		assert.Equal(t, 1, p.Stats().Idle)
		require.NoError(t, p.Close(context.Background()))
	})
}

func TestCreateTimeoutBoundsBackgroundCreation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &factory{t: t, delay: time.Hour}
		cfg := f.config(1)
		cfg.Target = 1
		cfg.CreateTimeout = time.Second
		p, err := New(cfg)
		require.NoError(t, err)
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		s := p.Stats()
		assert.Equal(t, uint64(1), s.Failed, "the first try timed out")
		assert.Equal(t, 1, s.Creating, "the retry is under way")
		require.NoError(t, p.Close(context.Background()))
	})
}
