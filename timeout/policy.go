// Package timeout decides how long each stage of a request may take: a
// fixed policy ([Fixed]), an adaptive one that learns per-domain budgets
// from outcomes ([Adaptive]), and [Do], which runs an operation under a
// policy's budget and retries timeouts with escalating budgets.
//
// # Learning
//
// [Adaptive] keeps, per stage and domain, a sliding window of the
// durations of the last successful attempts. Once a profile holds
// MinSamples of them the budget is 1.5 × their p95, clamped to [Min, Max];
// before that it is Default, or with AdaptiveConfig.ColdStart twice the
// p99 of every domain's recent successes, clamped to [Min, Default], so
// that a hung endpoint on a new domain costs seconds rather than Default.
// Attempts that time out or fail are counted
// (success rate, stats) but never enter the window: their duration says
// only "at least the budget", and learning from it would let a site that
// hangs ratchet its own budget up. Escalation for slow sites comes from
// [Do]'s retries instead, and the successes those retries produce teach
// the window.
//
// # Persistence
//
// With AdaptiveConfig.Store set, profiles live in the store's
// "timeout_profiles" bucket as JSON keyed "<stage>|<domain>". They are
// loaded by [NewAdaptive] (profiles older than TTL are dropped), written in
// batches by a goroutine that [Adaptive.Close] stops after a last write.
// A store that fails (read-only, closed, damaged) never fails
// Budget or Record: learning goes on in memory and Stats counts the
// errors.
//
// # Wiring
//
// A fetcher or renderer asks Budget before each attempt and Records the
// outcome after it, or lets [Do] do both. A policy is shared by every
// request of a Client and is safe for concurrent use.
package timeout

import "time"

// Stage names a phase a budget applies to.
type Stage string

// Stages.
const (
	StageFetch  Stage = "fetch"
	StageRender Stage = "render"
)

// Outcome is the result of one attempt, fed back to a [Policy].
type Outcome struct {
	// Duration is how long the attempt took.
	Duration time.Duration
	// TimedOut is set when the attempt ran out of its budget.
	TimedOut bool
	// Err is the attempt's error, nil on success. An error that is
	// context.Canceled or context.DeadlineExceeded with TimedOut false
	// means the caller gave up: the attempt is counted but not learned
	// from.
	Err error
	// Budget is the budget the attempt ran under, when known (0: the
	// policy assumes its current budget). It feeds Stats.TimeSaved.
	Budget time.Duration
}

// Policy gives the time budget for a stage of a request to a URL and learns
// from outcomes.
//
// Implementations must be safe for concurrent use by multiple goroutines.
type Policy interface {
	// Budget returns how long the stage may take for rawURL. It never
	// returns a value <= 0.
	Budget(stage Stage, rawURL string) time.Duration
	// Record feeds the outcome of one attempt back to the policy.
	Record(stage Stage, rawURL string, o Outcome)
}

// DefaultBudget is the budget of a zero [Fixed] policy.
const DefaultBudget = 30 * time.Second

// Fixed is a Policy that gives every stage and URL the same budget and
// learns nothing. Its zero value gives [DefaultBudget].
type Fixed struct {
	D time.Duration
}

// Budget returns f.D, or DefaultBudget when f.D <= 0.
func (f Fixed) Budget(Stage, string) time.Duration {
	if f.D <= 0 {
		return DefaultBudget
	}
	return f.D
}

// Record does nothing.
func (Fixed) Record(Stage, string, Outcome) {}

// MaxBudget returns the same budget as Budget: a fixed policy does not
// escalate on retries.
func (f Fixed) MaxBudget(Stage) time.Duration { return f.Budget("", "") }

// Capped is an optional interface for a [Policy] that bounds the budgets
// [Do] escalates to on retries. A policy that does not implement it is
// capped by RetryOptions.MaxBudget, if set.
type Capped interface {
	// MaxBudget returns the largest budget an attempt of stage may get.
	MaxBudget(stage Stage) time.Duration
}

var (
	_ Policy = Fixed{}
	_ Capped = Fixed{}
)
