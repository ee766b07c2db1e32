package timeout

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Defaults of [RetryOptions].
const (
	DefaultRetries     = 3
	DefaultBackoffBase = 200 * time.Millisecond
	DefaultBackoffMax  = 5 * time.Second
)

// RetryOptions configure [Do]. The zero value means the defaults.
type RetryOptions struct {
	// Retries is how many times a retryable failure is retried (default
	// 3, so at most 4 attempts); negative means no retry.
	Retries int
	// Escalation multiplies the budget on each retry (default
	// [DefaultMultiplier], at least 1), up to the policy's MaxBudget when
	// it implements [Capped], else up to MaxBudget when set.
	Escalation float64
	// MaxBudget caps escalation for a policy that does not implement
	// [Capped] (0: no cap beyond Retries escalations).
	MaxBudget time.Duration
	// BackoffBase and BackoffMax shape the wait between attempts:
	// BackoffBase × 2^(retry-1), at most BackoffMax, of which a random
	// half is jittered away (defaults 200 ms and 5 s).
	BackoffBase, BackoffMax time.Duration
	// Retryable reports whether a failed attempt is worth another try.
	// The default retries timeouts: attempts whose own deadline passed,
	// whatever error op returned then, and errors matching
	// context.DeadlineExceeded. Do never retries once the caller's ctx
	// is done, whatever Retryable says.
	Retryable func(error) bool
	// Rand returns numbers in [0, 1) for the jitter (default
	// math/rand/v2.Float64). It must be safe for concurrent use if the
	// options are shared.
	Rand func() float64
}

// Do runs op under p's budget for stage and rawURL and retries it.
//
// Each attempt gets a context derived from ctx with the attempt's budget
// as timeout; the first budget is p.Budget(stage, rawURL) and each retry
// multiplies it by Escalation, capped (see [RetryOptions]). Every
// attempt's outcome is passed to p.Record, TimedOut set when the
// attempt's own deadline passed while the caller's ctx was still live.
// A failed attempt is retried when Retryable says so, after a jittered
// exponential backoff, up to Retries times.
//
// The caller's ctx always wins: once it is done, Do makes no further
// attempt and returns at once (the error then matches ctx's error). Do
// returns nil on success, otherwise a *[RetryError] wrapping the last
// error. Do blocks until op returns; op must honour its ctx.
func Do(ctx context.Context, p Policy, stage Stage, rawURL string, opts RetryOptions, op func(ctx context.Context) error) error {
	if op == nil {
		return ErrNilOp
	}
	opts.defaults()
	budget := p.Budget(stage, rawURL)
	ceiling := time.Duration(math.MaxInt64)
	if c, ok := p.(Capped); ok {
		ceiling = max(c.MaxBudget(stage), budget)
	} else if opts.MaxBudget > 0 {
		ceiling = max(opts.MaxBudget, budget)
	}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return &RetryError{Attempts: attempt - 1, Err: err}
		}
		actx, cancel := context.WithTimeout(ctx, budget)
		start := time.Now()
		err := op(actx)
		elapsed := time.Since(start)
		ownDeadline := ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded)
		cancel()
		timedOut := err != nil && ownDeadline
		p.Record(stage, rawURL, Outcome{Duration: elapsed, TimedOut: timedOut, Err: err, Budget: budget})
		if err == nil {
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return &RetryError{Attempts: attempt, Err: withCause(err, cerr)}
		}
		retry := timedOut || errors.Is(err, context.DeadlineExceeded)
		if opts.Retryable != nil {
			retry = opts.Retryable(err)
		}
		if attempt > opts.Retries || !retry {
			return &RetryError{Attempts: attempt, Err: err}
		}
		wait := backoff(opts, attempt)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return &RetryError{Attempts: attempt, Err: withCause(err, ctx.Err())}
		case <-t.C:
		}
		budget = min(escalate(budget, opts.Escalation), ceiling)
	}
}

func (o *RetryOptions) defaults() {
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Escalation < 1 {
		o.Escalation = DefaultMultiplier
	}
	o.BackoffBase = cmpOr(max(o.BackoffBase, 0), DefaultBackoffBase)
	o.BackoffMax = cmpOr(max(o.BackoffMax, 0), DefaultBackoffMax)
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
}

// backoff returns the wait before retry number retry (1-based): half of
// min(BackoffMax, BackoffBase × 2^(retry-1)) plus a random part of the
// other half.
func backoff(o RetryOptions, retry int) time.Duration {
	d := o.BackoffMax
	if retry-1 < 62 {
		if x := o.BackoffBase << (retry - 1); x > 0 && x < d {
			d = x
		}
	}
	r := min(max(o.Rand(), 0), 1)
	return d/2 + time.Duration(r*float64(d/2))
}

func escalate(d time.Duration, f float64) time.Duration {
	return ceilMillis(float64(d) * f)
}

// withCause makes err match the caller's ctx error too.
func withCause(err, ctxErr error) error {
	if errors.Is(err, ctxErr) {
		return err
	}
	return fmt.Errorf("%w: %w", ctxErr, err)
}
