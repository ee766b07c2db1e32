package timeout_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/timeout"
)

func TestAdaptive_Profiles(t *testing.T) {
	now := &clock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	a := newAdaptive(t, timeout.AdaptiveConfig{Now: now.Now, Min: time.Millisecond})
	for _, ms := range []int{100, 200, 300, 400, 500} {
		a.Record(timeout.StageRender, "https://b.example/", success(time.Duration(ms)*time.Millisecond))
	}
	a.Record(timeout.StageFetch, "https://a.example/", success(time.Second))
	got := a.Profiles()
	require.Len(t, got, 2)
	assert.Equal(t, timeout.Profile{
		Stage: timeout.StageFetch, Domain: "a.example", Samples: 1,
		P50: time.Second, P95: time.Second, P99: time.Second, Avg: time.Second,
		SuccessRate: 1, Budget: 30 * time.Second, Updated: now.t,
	}, got[0])
	assert.Equal(t, timeout.Profile{
		Stage: timeout.StageRender, Domain: "b.example", Samples: 5,
		P50: 300 * time.Millisecond, P95: 500 * time.Millisecond, P99: 500 * time.Millisecond,
		Avg: 300 * time.Millisecond, StdDev: 141421356, SuccessRate: 1,
		Budget: 750 * time.Millisecond, Learned: true, Updated: now.t,
	}, got[1])
}

func TestWriteProfiles(t *testing.T) {
	updated := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	profiles := []timeout.Profile{
		{Stage: timeout.StageFetch, Domain: "example.com", Samples: 100, P50: 120 * time.Millisecond, P95: 480 * time.Millisecond,
			P99: 1200 * time.Millisecond, Avg: 180 * time.Millisecond, StdDev: 90 * time.Millisecond, SuccessRate: 0.98,
			Budget: 5 * time.Second, Learned: true, Updated: updated},
		{Stage: timeout.StageRender, Domain: "slow.example", Samples: 2, P50: 2 * time.Second, P95: 2 * time.Second,
			P99: 2 * time.Second, Avg: 2 * time.Second, SuccessRate: 0.5, Budget: 30 * time.Second, Updated: updated},
	}
	cases := []struct {
		name     string
		profiles []timeout.Profile
		asJSON   bool
		check    func(t *testing.T, out string)
	}{
		{"table", profiles, false, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			require.Len(t, lines, 3)
			assert.Equal(t, []string{"STAGE", "DOMAIN", "SAMPLES", "P50", "P95", "P99", "AVG", "STDDEV", "SUCCESS", "BUDGET", "UPDATED"}, strings.Fields(lines[0]))
			assert.Equal(t, []string{"fetch", "example.com", "100", "120ms", "480ms", "1.2s", "180ms", "90ms", "98%", "5s", "2026-11-23T10:00:00Z"}, strings.Fields(lines[1]))
			assert.Contains(t, lines[2], "30s (default)")
		}},
		{"json", profiles, true, func(t *testing.T, out string) {
			var got []map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &got))
			require.Len(t, got, 2)
			assert.Equal(t, "example.com", got[0]["domain"])
			assert.InDelta(t, 480.0, got[0]["p95_ms"], 1e-9)
			assert.InDelta(t, 5000.0, got[0]["budget_ms"], 1e-9)
			assert.Equal(t, true, got[0]["learned"])
			assert.Equal(t, "2026-11-23T10:00:00Z", got[0]["updated"])
			for _, k := range []string{"stage", "samples", "p50_ms", "p99_ms", "avg_ms", "stddev_ms", "success_rate"} {
				assert.Contains(t, got[0], k)
			}
		}},
		{"json empty", nil, true, func(t *testing.T, out string) { assert.Equal(t, "[]\n", out) }},
		{"table empty", nil, false, func(t *testing.T, out string) { assert.Equal(t, 1, strings.Count(out, "\n")) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, timeout.WriteProfiles(&buf, tc.profiles, tc.asJSON))
			tc.check(t, buf.String())
		})
	}
}

func TestStats_JSON(t *testing.T) {
	b, err := json.Marshal(timeout.Stats{Requests: 3, Timeouts: 1, Successes: 2, SuccessRate: 0.5, TimeSaved: 1500 * time.Millisecond, LearnedDomains: 4, StoreErrors: 1})
	require.NoError(t, err)
	assert.JSONEq(t, `{"requests":3,"timeouts":1,"successes":2,"success_rate":0.5,"time_saved_ms":1500,"learned_domains":4,"store_errors":1}`, string(b))
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestWriteProfiles_WriterError(t *testing.T) {
	p := []timeout.Profile{{Stage: timeout.StageFetch, Domain: "x"}}
	assert.Error(t, timeout.WriteProfiles(failWriter{}, p, false))
	assert.Error(t, timeout.WriteProfiles(failWriter{}, p, true))
}

func BenchmarkAdaptive_BudgetRecord(b *testing.B) {
	a, err := timeout.NewAdaptive(timeout.AdaptiveConfig{})
	require.NoError(b, err)
	defer a.Close()
	urls := make([]string, 1000)
	for i := range urls {
		urls[i] = fmt.Sprintf("https://h%d.example/page", i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			u := urls[i%len(urls)]
			_ = a.Budget(timeout.StageFetch, u)
			a.Record(timeout.StageFetch, u, timeout.Outcome{Duration: time.Duration(i%100) * time.Millisecond})
			i++
		}
	})
}
