package timeout_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/timeout"
)

var (
	_ timeout.Policy = (*timeout.Adaptive)(nil)
	_ timeout.Capped = (*timeout.Adaptive)(nil)
)

func newAdaptive(t *testing.T, cfg timeout.AdaptiveConfig) *timeout.Adaptive {
	t.Helper()
	a, err := timeout.NewAdaptive(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, a.Close()) })
	return a
}

func success(d time.Duration) timeout.Outcome { return timeout.Outcome{Duration: d} }

func TestNewAdaptive_Config(t *testing.T) {
	cases := []struct {
		name    string
		cfg     timeout.AdaptiveConfig
		wantErr bool
		budget  time.Duration // for an unknown domain
	}{
		{name: "zero value", budget: 30 * time.Second},
		{name: "default clamped to max", cfg: timeout.AdaptiveConfig{Max: 10 * time.Second}, budget: 10 * time.Second},
		{name: "default clamped to min", cfg: timeout.AdaptiveConfig{Min: 45 * time.Second}, budget: 45 * time.Second},
		{name: "custom default", cfg: timeout.AdaptiveConfig{Default: 12 * time.Second}, budget: 12 * time.Second},
		{name: "min above max", cfg: timeout.AdaptiveConfig{Min: 10 * time.Second, Max: time.Second}, wantErr: true},
		{name: "negative min", cfg: timeout.AdaptiveConfig{Min: -1}, wantErr: true},
		{name: "multiplier below one", cfg: timeout.AdaptiveConfig{Multiplier: 0.5}, wantErr: true},
		{name: "alpha above one", cfg: timeout.AdaptiveConfig{Alpha: 1.5}, wantErr: true},
		{name: "negative max domains", cfg: timeout.AdaptiveConfig{MaxDomains: -1}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := timeout.NewAdaptive(tc.cfg)
			if tc.wantErr {
				require.ErrorIs(t, err, timeout.ErrInvalidConfig)
				return
			}
			require.NoError(t, err)
			defer a.Close()
			assert.Equal(t, tc.budget, a.Budget(timeout.StageFetch, "https://unknown.example/"))
		})
	}
}

func TestAdaptive_Learning(t *testing.T) {
	cases := []struct {
		name    string
		samples []time.Duration
		want    time.Duration
	}{
		{"under MinSamples keeps default", []time.Duration{time.Second, time.Second, time.Second, time.Second}, 30 * time.Second},
		{"p95 x 1.5", durations(5, 8*time.Second), 12 * time.Second},
		{"fast site clamped to min", durations(20, 40*time.Millisecond), 5 * time.Second},
		{"slow site clamped to max", durations(20, 55*time.Second), 60 * time.Second},
		{"rounded up to the millisecond", durations(10, 4*time.Second+333_333_333), 6500 * time.Millisecond},
		{"p95 ignores the slowest 5%", append(durations(95, 6*time.Second), durations(5, 50*time.Second)...), 9 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a := newAdaptive(t, timeout.AdaptiveConfig{})
				for _, d := range tc.samples {
					a.Record(timeout.StageFetch, "https://site.example/page", success(d))
				}
				assert.Equal(t, tc.want, a.Budget(timeout.StageFetch, "https://site.example/other"))
				// Another stage of the same domain is not affected.
				assert.Equal(t, 30*time.Second, a.Budget(timeout.StageRender, "https://site.example/page"))
			})
		})
	}
}

func durations(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestAdaptive_SlidingWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newAdaptive(t, timeout.AdaptiveConfig{Window: 10, Min: time.Millisecond})
		u := "https://window.example/"
		for range 10 {
			a.Record(timeout.StageFetch, u, success(10*time.Second))
		}
		assert.Equal(t, 15*time.Second, a.Budget(timeout.StageFetch, u))
		// Ten faster outcomes push all the slow ones out of the window.
		for range 10 {
			a.Record(timeout.StageFetch, u, success(2*time.Second))
		}
		assert.Equal(t, 3*time.Second, a.Budget(timeout.StageFetch, u))
		ps := a.Profiles()
		require.Len(t, ps, 1)
		assert.Equal(t, 10, ps[0].Samples)
	})
}

// A site that hangs cannot raise its own budget: timeouts are counted but
// do not enter the window, so the budget stays where successes put it.
func TestAdaptive_TimeoutsDoNotRatchet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newAdaptive(t, timeout.AdaptiveConfig{})
		u := "https://hostile.example/"
		for range 5 {
			a.Record(timeout.StageFetch, u, success(4*time.Second))
		}
		before := a.Budget(timeout.StageFetch, u)
		for range 200 {
			b := a.Budget(timeout.StageFetch, u)
			a.Record(timeout.StageFetch, u, timeout.Outcome{Duration: b, TimedOut: true, Err: context.DeadlineExceeded, Budget: b})
		}
		assert.Equal(t, before, a.Budget(timeout.StageFetch, u))
		ps := a.Profiles()
		require.Len(t, ps, 1)
		assert.Less(t, ps[0].SuccessRate, 0.01)
		st := a.Stats()
		assert.Equal(t, int64(205), st.Requests)
		assert.Equal(t, int64(200), st.Timeouts)
	})
}

func TestAdaptive_SuccessRateEMA(t *testing.T) {
	a := newAdaptive(t, timeout.AdaptiveConfig{})
	u := "https://ema.example/"
	a.Record(timeout.StageFetch, u, success(time.Second))
	a.Record(timeout.StageFetch, u, timeout.Outcome{Duration: time.Second, Err: errors.New("reset")})
	ps := a.Profiles()
	require.Len(t, ps, 1)
	assert.InDelta(t, 0.9, ps[0].SuccessRate, 1e-9) // 0.1*0 + 0.9*1
}

func TestAdaptive_CallerCancellationIsNotLearned(t *testing.T) {
	a := newAdaptive(t, timeout.AdaptiveConfig{})
	u := "https://canceled.example/"
	a.Record(timeout.StageFetch, u, timeout.Outcome{Duration: time.Second, Err: context.Canceled})
	assert.Empty(t, a.Profiles())
	assert.Equal(t, int64(1), a.Stats().Requests)
}

func TestAdaptive_Domains(t *testing.T) {
	cases := []struct {
		name        string
		registrable bool
		url         string
		want        string
	}{
		{"host", false, "https://News.Example.co.uk:8443/a", "news.example.co.uk"},
		{"registrable", true, "https://news.example.co.uk/a", "example.co.uk"},
		{"registrable www", true, "https://www.example.co.uk/", "example.co.uk"},
		{"ip stays", true, "http://127.0.0.1:8080/", "127.0.0.1"},
		{"ipv6 stays", true, "http://[::1]:8080/", "::1"},
		{"localhost stays", true, "http://localhost/", "localhost"},
		{"trailing dot", false, "https://example.com./", "example.com"},
		{"no host", false, "/relative/path", ""},
		{"unparsable", false, "http://[::1/", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAdaptive(t, timeout.AdaptiveConfig{ByRegistrableDomain: tc.registrable})
			assert.Equal(t, tc.want, a.Domain(tc.url))
		})
	}
}

func TestAdaptive_RegistrableDomainSharesProfile(t *testing.T) {
	a := newAdaptive(t, timeout.AdaptiveConfig{ByRegistrableDomain: true, Min: time.Millisecond})
	for _, host := range []string{"a", "b", "c", "d", "e"} {
		a.Record(timeout.StageFetch, "https://"+host+".shared.example.com/", success(time.Second))
	}
	assert.Equal(t, 1500*time.Millisecond, a.Budget(timeout.StageFetch, "https://z.shared.example.com/"))
}

func TestAdaptive_NoHostTeachesNothing(t *testing.T) {
	a := newAdaptive(t, timeout.AdaptiveConfig{})
	for range 10 {
		a.Record(timeout.StageFetch, "::not a url::", success(time.Millisecond))
	}
	assert.Empty(t, a.Profiles())
	assert.Equal(t, 30*time.Second, a.Budget(timeout.StageFetch, "::not a url::"))
}

func TestAdaptive_BoundedDomains(t *testing.T) {
	a := newAdaptive(t, timeout.AdaptiveConfig{MaxDomains: 100, Min: time.Millisecond})
	for i := range 1000 {
		u := fmt.Sprintf("https://host-%04d.example/", i)
		for range 5 {
			a.Record(timeout.StageFetch, u, success(time.Second))
		}
	}
	assert.Len(t, a.Profiles(), 100)
	assert.Equal(t, 100, a.Stats().LearnedDomains)
	// The most recent domains are kept, the oldest dropped.
	assert.Equal(t, 1500*time.Millisecond, a.Budget(timeout.StageFetch, "https://host-0999.example/"))
	assert.Equal(t, 30*time.Second, a.Budget(timeout.StageFetch, "https://host-0000.example/"))
}

func TestAdaptive_Stats(t *testing.T) {
	a := newAdaptive(t, timeout.AdaptiveConfig{})
	u := "https://stats.example/"
	a.Record(timeout.StageFetch, u, timeout.Outcome{Duration: time.Second, Budget: 10 * time.Second})
	a.Record(timeout.StageFetch, u, timeout.Outcome{Duration: 10 * time.Second, TimedOut: true, Err: context.DeadlineExceeded, Budget: 10 * time.Second})
	a.Record(timeout.StageFetch, u, timeout.Outcome{Duration: time.Second}) // budget unknown: current (default 30 s)
	st := a.Stats()
	assert.Equal(t, timeout.Stats{
		Requests: 3, Timeouts: 1, Successes: 2, SuccessRate: 2.0 / 3,
		TimeSaved: 50*time.Second + 50*time.Second + 30*time.Second,
	}, st)
}

// TestAdaptive_ConcurrentRecord hammers one policy from 64 goroutines;
// run it with -race.
func TestAdaptive_ConcurrentRecord(t *testing.T) {
	a := newAdaptive(t, timeout.AdaptiveConfig{MaxDomains: 50})
	const goroutines, each = 64, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				u := fmt.Sprintf("https://h%d.example/p", (g+i)%80)
				stage := timeout.StageFetch
				if i%3 == 0 {
					stage = timeout.StageRender
				}
				_ = a.Budget(stage, u)
				o := success(time.Duration(i%50) * time.Millisecond)
				if i%10 == 0 {
					o = timeout.Outcome{Duration: time.Second, TimedOut: true, Err: context.DeadlineExceeded}
				}
				a.Record(stage, u, o)
				if i%50 == 0 {
					_ = a.Profiles()
					_ = a.Stats()
				}
			}
		})
	}
	wg.Wait()
	st := a.Stats()
	assert.Equal(t, int64(goroutines*each), st.Requests)
	assert.Equal(t, st.Requests, st.Timeouts+st.Successes)
	assert.LessOrEqual(t, len(a.Profiles()), 50)
}

func TestFixed(t *testing.T) {
	cases := []struct {
		f    timeout.Fixed
		want time.Duration
	}{
		{timeout.Fixed{}, timeout.DefaultBudget},
		{timeout.Fixed{D: -time.Second}, timeout.DefaultBudget},
		{timeout.Fixed{D: 3 * time.Second}, 3 * time.Second},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, tc.f.Budget(timeout.StageFetch, "https://x.example/"))
		assert.Equal(t, tc.want, tc.f.MaxBudget(timeout.StageFetch))
		tc.f.Record(timeout.StageFetch, "https://x.example/", timeout.Outcome{})
	}
}
