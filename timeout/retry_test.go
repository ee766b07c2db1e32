package timeout_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/timeout"
)

// recorder is a Policy fake that hands out a fixed budget and keeps what
// it is told.
type recorder struct {
	BudgetFn func(timeout.Stage, string) time.Duration
	mu       sync.Mutex
	outcomes []timeout.Outcome
}

var _ timeout.Policy = (*recorder)(nil)

func (r *recorder) Budget(s timeout.Stage, u string) time.Duration { return r.BudgetFn(s, u) }

func (r *recorder) Record(_ timeout.Stage, _ string, o timeout.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes = append(r.outcomes, o)
}

// hang blocks until its ctx ends.
func hang(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// sleepFor returns an op that takes d, or fails when ctx ends first.
func sleepFor(d time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func half() float64 { return 0.5 }

func TestDo_EscalatesAndBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newAdaptive(t, timeout.AdaptiveConfig{Min: time.Second, Max: 4 * time.Second})
		u := "https://slow.example/"
		for range 5 {
			a.Record(timeout.StageFetch, u, success(time.Second)) // budget 1.5 s
		}
		var starts []time.Time
		var budgets []time.Duration
		start := time.Now()
		err := timeout.Do(t.Context(), a, timeout.StageFetch, u, timeout.RetryOptions{Rand: half}, func(ctx context.Context) error {
			starts = append(starts, time.Now())
			dl, _ := ctx.Deadline()
			budgets = append(budgets, time.Until(dl))
			return hang(ctx)
		})
		var re *timeout.RetryError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, 4, re.Attempts)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		// 1.5 s, then x1.5 each retry, capped at Max.
		assert.Equal(t, []time.Duration{1500 * time.Millisecond, 2250 * time.Millisecond, 3375 * time.Millisecond, 4 * time.Second}, budgets)
		// Backoff with rand 0.5: 3/4 of min(5 s, 200 ms x 2^(n-1)).
		var gaps []time.Duration
		for i := 1; i < len(starts); i++ {
			gaps = append(gaps, starts[i].Sub(starts[i-1])-budgets[i-1])
		}
		assert.Equal(t, []time.Duration{150 * time.Millisecond, 300 * time.Millisecond, 600 * time.Millisecond}, gaps)
		assert.Equal(t, 11125*time.Millisecond+1050*time.Millisecond, time.Since(start))
		st := a.Stats()
		assert.Equal(t, int64(5+4), st.Requests)
		assert.Equal(t, int64(4), st.Timeouts)
	})
}

func TestDo_SucceedsOnEscalatedRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &recorder{BudgetFn: func(timeout.Stage, string) time.Duration { return 2 * time.Second }}
		err := timeout.Do(t.Context(), p, timeout.StageRender, "https://x.example/", timeout.RetryOptions{Rand: half},
			sleepFor(2500*time.Millisecond))
		require.NoError(t, err)
		require.Len(t, p.outcomes, 2)
		assert.True(t, p.outcomes[0].TimedOut)
		assert.Equal(t, 2*time.Second, p.outcomes[0].Budget)
		assert.False(t, p.outcomes[1].TimedOut)
		assert.NoError(t, p.outcomes[1].Err)
		assert.Equal(t, 3*time.Second, p.outcomes[1].Budget)
		assert.Equal(t, 2500*time.Millisecond, p.outcomes[1].Duration)
	})
}

func TestDo_Options(t *testing.T) {
	errPermanent := errors.New("permanent")
	errReset := errors.New("connection reset")
	cases := []struct {
		name         string
		opts         timeout.RetryOptions
		policy       timeout.Policy
		op           func(context.Context) error
		wantAttempts int
		wantErr      error
		wantBudgets  []time.Duration
	}{
		{
			name: "non-retryable error is not retried", policy: timeout.Fixed{D: time.Second},
			op:           func(context.Context) error { return errPermanent },
			wantAttempts: 1, wantErr: errPermanent, wantBudgets: []time.Duration{time.Second},
		},
		{
			name: "custom retryable", policy: timeout.Fixed{D: time.Second},
			opts:         timeout.RetryOptions{Retries: 2, Retryable: func(err error) bool { return errors.Is(err, errPermanent) }},
			op:           func(context.Context) error { return errPermanent },
			wantAttempts: 3, wantErr: errPermanent, wantBudgets: []time.Duration{time.Second, time.Second, time.Second},
		},
		{
			name: "timed-out attempt is retried whatever its error", policy: timeout.Fixed{D: time.Second},
			op: func(ctx context.Context) error {
				<-ctx.Done()
				return errReset
			},
			wantAttempts: 4, wantErr: errReset,
			wantBudgets: []time.Duration{time.Second, time.Second, time.Second, time.Second},
		},
		{
			name: "no retries", policy: timeout.Fixed{D: time.Second}, opts: timeout.RetryOptions{Retries: -1},
			op: hang, wantAttempts: 1, wantErr: context.DeadlineExceeded, wantBudgets: []time.Duration{time.Second},
		},
		{
			name: "fixed policy does not escalate", policy: timeout.Fixed{D: time.Second}, opts: timeout.RetryOptions{Retries: 2},
			op: hang, wantAttempts: 3, wantErr: context.DeadlineExceeded,
			wantBudgets: []time.Duration{time.Second, time.Second, time.Second},
		},
		{
			name:   "uncapped policy escalates to MaxBudget",
			policy: &recorder{BudgetFn: func(timeout.Stage, string) time.Duration { return time.Second }},
			opts:   timeout.RetryOptions{MaxBudget: 2 * time.Second, Escalation: 1.8},
			op:     hang, wantAttempts: 4, wantErr: context.DeadlineExceeded,
			wantBudgets: []time.Duration{time.Second, 1800 * time.Millisecond, 2 * time.Second, 2 * time.Second},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var budgets []time.Duration
				err := timeout.Do(t.Context(), tc.policy, timeout.StageFetch, "https://x.example/", tc.opts, func(ctx context.Context) error {
					dl, _ := ctx.Deadline()
					budgets = append(budgets, time.Until(dl))
					return tc.op(ctx)
				})
				re, ok := errors.AsType[*timeout.RetryError](err)
				require.True(t, ok, "error %v", err)
				assert.Equal(t, tc.wantAttempts, re.Attempts)
				assert.ErrorIs(t, err, tc.wantErr)
				assert.Equal(t, tc.wantBudgets, budgets)
			})
		})
	}
}

func TestDo_CallerContextWins(t *testing.T) {
	t.Run("cancel during an attempt", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := &recorder{BudgetFn: func(timeout.Stage, string) time.Duration { return 10 * time.Second }}
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(3*time.Second, cancel)
			start := time.Now()
			err := timeout.Do(ctx, p, timeout.StageFetch, "https://x.example/", timeout.RetryOptions{}, hang)
			assert.Equal(t, 3*time.Second, time.Since(start))
			assert.ErrorIs(t, err, context.Canceled)
			re, ok := errors.AsType[*timeout.RetryError](err)
			require.True(t, ok)
			assert.Equal(t, 1, re.Attempts)
			require.Len(t, p.outcomes, 1)
			assert.False(t, p.outcomes[0].TimedOut, "the caller's cancel is not a timeout")
		})
	})
	t.Run("caller deadline shorter than the budget", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := &recorder{BudgetFn: func(timeout.Stage, string) time.Duration { return 10 * time.Second }}
			ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
			defer cancel()
			start := time.Now()
			err := timeout.Do(ctx, p, timeout.StageFetch, "https://x.example/", timeout.RetryOptions{}, hang)
			assert.Equal(t, 4*time.Second, time.Since(start))
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			require.Len(t, p.outcomes, 1, "no retry after the caller's deadline")
			assert.False(t, p.outcomes[0].TimedOut)
		})
	})
	t.Run("cancel during backoff", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := &recorder{BudgetFn: func(timeout.Stage, string) time.Duration { return time.Second }}
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(time.Second+50*time.Millisecond, cancel) // backoff is 100..200 ms
			err := timeout.Do(ctx, p, timeout.StageFetch, "https://x.example/", timeout.RetryOptions{}, hang)
			assert.ErrorIs(t, err, context.Canceled)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Len(t, p.outcomes, 1)
		})
	})
	t.Run("already canceled", func(t *testing.T) {
		p := &recorder{BudgetFn: func(timeout.Stage, string) time.Duration { return time.Second }}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		called := false
		err := timeout.Do(ctx, p, timeout.StageFetch, "https://x.example/", timeout.RetryOptions{}, func(context.Context) error {
			called = true
			return nil
		})
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, called)
		assert.Empty(t, p.outcomes)
	})
}

func TestDo_NilOp(t *testing.T) {
	assert.ErrorIs(t, timeout.Do(t.Context(), timeout.Fixed{}, timeout.StageFetch, "", timeout.RetryOptions{}, nil), timeout.ErrNilOp)
}

func TestRetryError(t *testing.T) {
	err := &timeout.RetryError{Attempts: 3, Err: context.DeadlineExceeded}
	assert.Equal(t, "timeout: failed after 3 attempts: context deadline exceeded", err.Error())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, "timeout: failed after 1 attempt: x", (&timeout.RetryError{Attempts: 1, Err: errors.New("x")}).Error())
}
