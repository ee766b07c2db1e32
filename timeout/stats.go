package timeout

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"
)

// Stats are an [Adaptive]'s counters since NewAdaptive.
type Stats struct {
	// Requests counts recorded attempts; Timeouts and Successes those
	// that timed out and succeeded.
	Requests, Timeouts, Successes int64
	// SuccessRate is Successes / Requests (0 with no requests).
	SuccessRate float64
	// TimeSaved sums, over recorded attempts, Max minus the budget the
	// attempt ran under: the waiting a policy giving every attempt Max
	// would have allowed on top.
	TimeSaved time.Duration
	// LearnedDomains counts the profiles (per stage and domain) held in
	// memory that have enough samples to use a learned budget.
	LearnedDomains int
	// StoreErrors counts failed loads and writes of the profile store.
	StoreErrors int64
}

// MarshalJSON encodes s with snake_case names and TimeSaved in
// milliseconds.
func (s Stats) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Requests       int64   `json:"requests"`
		Timeouts       int64   `json:"timeouts"`
		Successes      int64   `json:"successes"`
		SuccessRate    float64 `json:"success_rate"`
		TimeSavedMS    float64 `json:"time_saved_ms"`
		LearnedDomains int     `json:"learned_domains"`
		StoreErrors    int64   `json:"store_errors"`
	}{s.Requests, s.Timeouts, s.Successes, s.SuccessRate, ms(s.TimeSaved), s.LearnedDomains, s.StoreErrors})
}

// Stats returns the policy's counters.
func (a *Adaptive) Stats() Stats {
	s := Stats{
		Requests:    a.requests.Load(),
		Timeouts:    a.timeouts.Load(),
		Successes:   a.successes.Load(),
		TimeSaved:   time.Duration(a.timeSaved.Load()),
		StoreErrors: a.storeErrors.Load(),
	}
	if s.Requests > 0 {
		s.SuccessRate = float64(s.Successes) / float64(s.Requests)
	}
	a.mu.Lock()
	for _, p := range a.profiles.Values() {
		if len(p.samples) >= a.cfg.MinSamples {
			s.LearnedDomains++
		}
	}
	a.mu.Unlock()
	return s
}

// Profile describes what an [Adaptive] learned for one stage and domain.
type Profile struct {
	Stage  Stage
	Domain string
	// Samples is the number of successful durations in the window.
	Samples int
	// Duration statistics over the window.
	P50, P95, P99, Avg, StdDev time.Duration
	// SuccessRate is the moving average of successes (1) and failures
	// (0) over recent attempts.
	SuccessRate float64
	// Budget is the budget the next attempt gets.
	Budget time.Duration
	// Learned reports whether Budget comes from the samples (otherwise
	// it is Default).
	Learned bool
	// Updated is when the last outcome was recorded.
	Updated time.Time
}

// MarshalJSON encodes p with snake_case names and durations in
// milliseconds.
func (p Profile) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Stage       Stage     `json:"stage"`
		Domain      string    `json:"domain"`
		Samples     int       `json:"samples"`
		P50MS       float64   `json:"p50_ms"`
		P95MS       float64   `json:"p95_ms"`
		P99MS       float64   `json:"p99_ms"`
		AvgMS       float64   `json:"avg_ms"`
		StdDevMS    float64   `json:"stddev_ms"`
		SuccessRate float64   `json:"success_rate"`
		BudgetMS    float64   `json:"budget_ms"`
		Learned     bool      `json:"learned"`
		Updated     time.Time `json:"updated"`
	}{p.Stage, p.Domain, p.Samples, ms(p.P50), ms(p.P95), ms(p.P99), ms(p.Avg), ms(p.StdDev),
		p.SuccessRate, ms(p.Budget), p.Learned, p.Updated})
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Profiles returns the profiles held in memory, sorted by stage then
// domain.
func (a *Adaptive) Profiles() []Profile {
	a.mu.Lock()
	ps := a.profiles.Values()
	out := make([]Profile, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.describe(a.cfg))
	}
	a.mu.Unlock()
	slices.SortFunc(out, func(x, y Profile) int {
		return cmp.Or(cmp.Compare(x.Stage, y.Stage), cmp.Compare(x.Domain, y.Domain))
	})
	return out
}

func (p *profile) describe(cfg AdaptiveConfig) Profile {
	d := Profile{
		Stage: p.stage, Domain: p.domain, Samples: len(p.samples), SuccessRate: p.rate,
		Budget: p.budget, Learned: len(p.samples) >= cfg.MinSamples, Updated: p.updated,
	}
	if len(p.samples) == 0 {
		return d
	}
	sorted := slices.Clone(p.samples)
	slices.Sort(sorted)
	d.P50, d.P95, d.P99 = percentile(sorted, 0.50), percentile(sorted, 0.95), percentile(sorted, 0.99)
	var sum float64
	for _, s := range sorted {
		sum += float64(s)
	}
	mean := sum / float64(len(sorted))
	var sq float64
	for _, s := range sorted {
		sq += (float64(s) - mean) * (float64(s) - mean)
	}
	d.Avg = time.Duration(mean)
	d.StdDev = time.Duration(math.Sqrt(sq / float64(len(sorted))))
	return d
}

// WriteProfiles writes profiles to w as an aligned text table, or with
// asJSON as a JSON array (see [Profile.MarshalJSON]). It backs the
// "riptide timeout profiles [--json]" command.
func WriteProfiles(w io.Writer, profiles []Profile, asJSON bool) error {
	if asJSON {
		if profiles == nil {
			profiles = []Profile{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(profiles); err != nil {
			return fmt.Errorf("timeout: write profiles: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tDOMAIN\tSAMPLES\tP50\tP95\tP99\tAVG\tSTDDEV\tSUCCESS\tBUDGET\tUPDATED")
	for _, p := range profiles {
		budget := round(p.Budget)
		if !p.Learned {
			budget += " (default)"
		}
		updated := "-"
		if !p.Updated.IsZero() {
			updated = p.Updated.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%.0f%%\t%s\t%s\n",
			p.Stage, p.Domain, p.Samples, round(p.P50), round(p.P95), round(p.P99),
			round(p.Avg), round(p.StdDev), p.SuccessRate*100, budget, updated)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("timeout: write profiles: %w", err)
	}
	return nil
}

func round(d time.Duration) string {
	if d >= time.Second {
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}
