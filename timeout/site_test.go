package timeout_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/timeout"
)

// TestAdaptive_LearnsFromSlowServer learns the p95 of a real local server
// that answers in 30-60 ms, then gives a hung endpoint on the same host
// the learned budget instead of the default.
func TestAdaptive_LearnsFromSlowServer(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		time.Sleep(time.Duration(30+n.Add(1)%4*10) * time.Millisecond)
		_, _ = io.WriteString(w, "<p>ok</p>")
	}))
	defer srv.Close()
	defer close(release)
	client := srv.Client()
	defer client.CloseIdleConnections()

	a := newAdaptive(t, timeout.AdaptiveConfig{Min: 10 * time.Millisecond, Max: 5 * time.Second, Default: 5 * time.Second})
	get := func(url string) func(context.Context) error {
		return func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			_, err = io.Copy(io.Discard, resp.Body)
			return err
		}
	}
	for i := range 20 {
		require.NoError(t, timeout.Do(t.Context(), a, timeout.StageFetch, srv.URL+fmt.Sprintf("/page/%d", i), timeout.RetryOptions{}, get(srv.URL+"/")))
	}
	ps := a.Profiles()
	require.Len(t, ps, 1)
	p := ps[0]
	t.Logf("learned %s: p50 %s p95 %s p99 %s budget %s", p.Domain, p.P50, p.P95, p.P99, p.Budget)
	require.True(t, p.Learned)
	assert.GreaterOrEqual(t, p.P95, 30*time.Millisecond)
	assert.GreaterOrEqual(t, p.Budget, 45*time.Millisecond)
	assert.Less(t, p.Budget, 5*time.Second, "the learned budget replaces the default")

	var given time.Duration
	start := time.Now()
	err := timeout.Do(t.Context(), a, timeout.StageFetch, srv.URL+"/hang", timeout.RetryOptions{Retries: -1}, func(ctx context.Context) error {
		dl, _ := ctx.Deadline()
		given = time.Until(dl)
		return get(srv.URL + "/hang")(ctx)
	})
	t.Logf("hung endpoint gave up after %s (learned budget %s, default 5s)", time.Since(start), p.Budget)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.InDelta(t, float64(p.Budget), float64(given), float64(5*time.Millisecond))
}

// site simulates, on synctest's fake clock, a host answering in about
// 50 ms, one answering in about 2 s, and an endpoint on each that never
// answers.
func site(ctx context.Context, url string, i int) error {
	var d time.Duration
	switch url {
	case "https://fast.example/page":
		d = 45*time.Millisecond + time.Duration(i%5)*3*time.Millisecond
	case "https://slow.example/page":
		d = 1800*time.Millisecond + time.Duration(i%7)*60*time.Millisecond
	default: // the hung endpoints
		<-ctx.Done()
		return ctx.Err()
	}
	return answerAfter(ctx, d)
}

// answerAfter is a server answering after d, or ctx's error if it ends
// first.
func answerAfter(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type crawlResult struct {
	hungWait     time.Duration // time spent on the hung endpoints
	total        time.Duration
	pageFailures int
}

// crawl requests 100 pages alternating between the two hosts, and every
// fifth step a hung endpoint (20 in all, the first two before anything is
// learned), through Do.
func crawl(p timeout.Policy, opts timeout.RetryOptions) crawlResult {
	var r crawlResult
	start := time.Now()
	hosts := []string{"https://fast.example", "https://slow.example"}
	for i := range 100 {
		u := hosts[i%2] + "/page"
		if err := timeout.Do(context.Background(), p, timeout.StageFetch, u, opts, func(ctx context.Context) error {
			return site(ctx, u, i)
		}); err != nil {
			r.pageFailures++
		}
		if i%5 == 0 {
			h := hosts[(i/5)%2] + "/hung"
			t0 := time.Now()
			_ = timeout.Do(context.Background(), p, timeout.StageFetch, h, opts, func(ctx context.Context) error {
				return site(ctx, h, i)
			})
			r.hungWait += time.Since(t0)
		}
	}
	r.total = time.Since(start)
	return r
}

// TestAdaptive_HungEndpointFigure measures, on a fake clock, the time a
// crawl wastes waiting on hung endpoints with the adaptive policy and with
// a fixed 30 s policy, with Do's default retries and with none.
func TestAdaptive_HungEndpointFigure(t *testing.T) {
	cases := []struct {
		name string
		opts timeout.RetryOptions
	}{
		{"single attempt", timeout.RetryOptions{Retries: -1, Rand: half}},
		{"default retries", timeout.RetryOptions{Rand: half}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var adaptive, fixed crawlResult
			synctest.Test(t, func(t *testing.T) {
				a, err := timeout.NewAdaptive(timeout.AdaptiveConfig{})
				require.NoError(t, err)
				adaptive = crawl(a, tc.opts)
				require.NoError(t, a.Close())
				for _, p := range a.Profiles() {
					t.Logf("%s %s: p95 %s budget %s", p.Stage, p.Domain, p.P95, p.Budget)
				}
			})
			synctest.Test(t, func(t *testing.T) {
				fixed = crawl(timeout.Fixed{D: 30 * time.Second}, tc.opts)
			})
			t.Logf("hung endpoints (20): adaptive waited %s, fixed 30s waited %s; crawl took %s vs %s",
				adaptive.hungWait, fixed.hungWait, adaptive.total, fixed.total)
			assert.Zero(t, adaptive.pageFailures)
			assert.Zero(t, fixed.pageFailures)
			assert.Less(t, adaptive.hungWait, fixed.hungWait)
			testenv.Figure(t, "timeouts",
				"mode", tc.name,
				"hung_requests", 20,
				"hung_wait_adaptive_s", adaptive.hungWait.Seconds(),
				"hung_wait_fixed30_s", fixed.hungWait.Seconds(),
				"ratio", round2(fixed.hungWait.Seconds()/adaptive.hungWait.Seconds()),
				"page_failures_adaptive", adaptive.pageFailures,
				"page_failures_fixed30", fixed.pageFailures)
		})
	}
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// TestAdaptive_ColdStart: with ColdStart, a domain never seen gets twice
// the p99 of what every domain answered in (within [Min, Default]) once
// 50 successes were seen; without it, or before that, Default. Learned
// domains keep their own budget.
func TestAdaptive_ColdStart(t *testing.T) {
	rec := func(a *timeout.Adaptive, n int, d time.Duration) {
		for i := range n {
			a.Record(timeout.StageFetch, fmt.Sprintf("https://site%d.example/", i%40), timeout.Outcome{Duration: d})
		}
	}
	off, err := timeout.NewAdaptive(timeout.AdaptiveConfig{})
	require.NoError(t, err)
	rec(off, 200, 4*time.Second)
	assert.Equal(t, 30*time.Second, off.Budget(timeout.StageFetch, "https://never.example/"), "off: Default")

	on, err := timeout.NewAdaptive(timeout.AdaptiveConfig{ColdStart: true})
	require.NoError(t, err)
	rec(on, 49, 4*time.Second)
	assert.Equal(t, 30*time.Second, on.Budget(timeout.StageFetch, "https://never.example/"), "before 50 successes: Default")
	rec(on, 1, 4*time.Second)
	assert.Equal(t, 8*time.Second, on.Budget(timeout.StageFetch, "https://never.example/"), "2 x p99")
	assert.Equal(t, 30*time.Second, on.Budget(timeout.StageRender, "https://never.example/"), "per stage")
	// A domain seen but not yet learned (a hung one, say) gets it too.
	on.Record(timeout.StageFetch, "https://hung.example/", timeout.Outcome{Duration: 8 * time.Second, TimedOut: true})
	assert.Equal(t, 8*time.Second, on.Budget(timeout.StageFetch, "https://hung.example/"))
	// A learned domain keeps its own (p95 4 s x 1.5).
	for range 5 {
		on.Record(timeout.StageFetch, "https://learned.example/", timeout.Outcome{Duration: 4 * time.Second})
	}
	assert.Equal(t, 6*time.Second, on.Budget(timeout.StageFetch, "https://learned.example/"))

	// Fast sites cannot pull it under Min; slow ones not over Default.
	fast, _ := timeout.NewAdaptive(timeout.AdaptiveConfig{ColdStart: true})
	rec(fast, 1000, 10*time.Millisecond)
	assert.Equal(t, 5*time.Second, fast.Budget(timeout.StageFetch, "https://never.example/"))
	slow, _ := timeout.NewAdaptive(timeout.AdaptiveConfig{ColdStart: true})
	rec(slow, 100, 50*time.Second)
	assert.Equal(t, 30*time.Second, slow.Budget(timeout.StageFetch, "https://never.example/"))
}

// TestAdaptive_ColdStartFigure measures, on a fake clock, a crawl of 300
// domains never seen before (one page each, 30-2,000 ms) of which 30 hang:
// the time spent on the hung ones with ColdStart and without.
func TestAdaptive_ColdStartFigure(t *testing.T) {
	run := func(cold bool) (hung time.Duration, failures int) {
		a, err := timeout.NewAdaptive(timeout.AdaptiveConfig{ColdStart: cold})
		require.NoError(t, err)
		defer a.Close()
		for i := range 300 {
			u := fmt.Sprintf("https://domain%d.example/", i)
			hangs := i%10 == 9
			d := 30*time.Millisecond + time.Duration(i*37%1970)*time.Millisecond
			t0 := time.Now()
			err := timeout.Do(context.Background(), a, timeout.StageFetch, u, timeout.RetryOptions{Rand: half}, func(ctx context.Context) error {
				if hangs {
					<-ctx.Done()
					return ctx.Err()
				}
				return answerAfter(ctx, d)
			})
			if hangs {
				hung += time.Since(t0)
			} else if err != nil {
				failures++
			}
		}
		return hung, failures
	}
	var withCold, without time.Duration
	var failCold, fail int
	synctest.Test(t, func(t *testing.T) { withCold, failCold = run(true) })
	synctest.Test(t, func(t *testing.T) { without, fail = run(false) })
	t.Logf("30 hung endpoints on new domains: cold start %s, default %s; page failures %d vs %d", withCold, without, failCold, fail)
	assert.Zero(t, failCold)
	assert.Zero(t, fail)
	assert.Less(t, withCold, without)
	testenv.Figure(t, "timeouts_cold_start",
		"hung_requests", 30,
		"hung_wait_cold_start_s", withCold.Seconds(),
		"hung_wait_default_s", without.Seconds(),
		"ratio", round2(without.Seconds()/withCold.Seconds()),
		"page_failures_cold_start", failCold,
		"page_failures_default", fail)
}
