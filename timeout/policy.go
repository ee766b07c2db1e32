// Package timeout decides how long each stage of a request may take: a
// fixed policy, and an adaptive one that learns per-domain budgets from
// outcomes and retries timeouts with escalating budgets.
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
	// Err is the attempt's error, nil on success.
	Err error
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

var _ Policy = Fixed{}
