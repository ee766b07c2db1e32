package prom

import (
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/metrics"
)

func TestRecorderForwards(t *testing.T) {
	reg := prometheus.NewRegistry()
	r, err := New(reg)
	require.NoError(t, err)

	l := metrics.Labels{Engine: "static", Outcome: "ok"}
	metrics.Inc(r, metrics.RequestsTotal, l)
	metrics.Add(r, metrics.RequestsTotal, l, 2)
	metrics.Set(r, metrics.BrowserInstances, metrics.Labels{Stage: "idle"}, 3)
	metrics.AddGauge(r, metrics.BrowserInstances, metrics.Labels{Stage: "idle"}, -1)
	metrics.Observe(r, metrics.PoolCheckoutWait, metrics.Labels{Stage: "browser"}, 0.003)

	assert.Equal(t, 3.0, testutil.ToFloat64(r.counters[metrics.RequestsTotal].WithLabelValues("static", "", "ok")))
	assert.Equal(t, 2.0, testutil.ToFloat64(r.gauges[metrics.BrowserInstances].WithLabelValues("", "idle", "")))

	want := `
# HELP riptide_pool_checkout_wait_seconds Time to check an item out of a pool, in seconds.
# TYPE riptide_pool_checkout_wait_seconds histogram
riptide_pool_checkout_wait_seconds_bucket{engine="",outcome="",stage="browser",le="0.0001"} 0
riptide_pool_checkout_wait_seconds_bucket{engine="",outcome="",stage="browser",le="0.0005"} 0
riptide_pool_checkout_wait_seconds_bucket{engine="",outcome="",stage="browser",le="0.001"} 0
riptide_pool_checkout_wait_seconds_bucket{engine="",outcome="",stage="browser",le="0.005"} 1
riptide_pool_checkout_wait_seconds_bucket{engine="",outcome="",stage="browser",le="0.01"} 1
riptide_pool_checkout_wait_seconds_bucket{engine="",outcome="",stage="browser",le="0.05"} 1
riptide_pool_checkout_wait_seconds_bucket{engine="",outcome="",stage="browser",le="0.1"} 1
riptide_pool_checkout_wait_seconds_bucket{engine="",outcome="",stage="browser",le="0.5"} 1
riptide_pool_checkout_wait_seconds_bucket{engine="",outcome="",stage="browser",le="1"} 1
riptide_pool_checkout_wait_seconds_bucket{engine="",outcome="",stage="browser",le="5"} 1
riptide_pool_checkout_wait_seconds_bucket{engine="",outcome="",stage="browser",le="10"} 1
riptide_pool_checkout_wait_seconds_bucket{engine="",outcome="",stage="browser",le="+Inf"} 1
riptide_pool_checkout_wait_seconds_sum{engine="",outcome="",stage="browser"} 0.003
riptide_pool_checkout_wait_seconds_count{engine="",outcome="",stage="browser"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), metrics.PoolCheckoutWait))
}

// TestRecorderMatchesRegistrySeries feeds one observation per metric to
// both recorders: the families, their types and their series must agree,
// and the client_golang output must pass its linter.
func TestRecorderMatchesRegistrySeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	r, err := New(reg)
	require.NoError(t, err)
	builtin := metrics.NewRegistry()

	l := metrics.Labels{Engine: "headless", Stage: "render", Outcome: "ok"}
	for _, d := range metrics.Descs() {
		kind := map[metrics.Type]metrics.Kind{metrics.Counter: metrics.KindCounter,
			metrics.Gauge: metrics.KindGauge, metrics.Histogram: metrics.KindHistogram}[d.Type]
		m := metrics.Measurement{Name: d.Name, Kind: kind, Value: 0.25, Labels: l}
		r.Observe(m)
		builtin.Observe(m)
	}

	mfs, err := reg.Gather()
	require.NoError(t, err)
	fromProm := map[string]string{}
	for _, mf := range mfs {
		fromProm[mf.GetName()] = mf.GetType().String()
		require.Len(t, mf.Metric, 1, mf.GetName())
	}

	var b strings.Builder
	require.NoError(t, builtin.WritePrometheus(&b))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(b.String()))
	require.NoError(t, err)
	fromBuiltin := map[string]string{}
	for name, f := range fams {
		fromBuiltin[name] = f.GetType().String()
	}
	assert.Equal(t, fromBuiltin, fromProm)
	assert.Len(t, fromProm, len(metrics.Descs()))

	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestRecorderDrops(t *testing.T) {
	cases := []struct {
		name   string
		m      metrics.Measurement
		reason string
	}{
		{"unknown name", metrics.Measurement{Name: "riptide_nope", Kind: metrics.KindCounter, Value: 1}, "unknown_name"},
		{"wrong kind", metrics.Measurement{Name: metrics.RequestsTotal, Kind: metrics.KindHistogram, Value: 1}, "wrong_kind"},
		{"negative counter", metrics.Measurement{Name: metrics.RequestsTotal, Kind: metrics.KindCounter, Value: -1}, "invalid_value"},
		{"no kind", metrics.Measurement{Name: metrics.RequestsTotal, Value: 1}, "wrong_kind"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(prometheus.NewRegistry())
			require.NoError(t, err)
			r.Observe(tc.m)
			assert.Equal(t, 1.0, testutil.ToFloat64(r.dropped.WithLabelValues("", "", tc.reason)))
		})
	}
}

func TestNewTwiceFailsCleanly(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := New(reg)
	require.NoError(t, err)
	_, err = New(reg)
	var already prometheus.AlreadyRegisteredError
	require.ErrorAs(t, err, &already)
}

func TestRecorderConcurrent(t *testing.T) {
	reg := prometheus.NewRegistry()
	r, err := New(reg)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				metrics.Inc(r, metrics.CacheHits, metrics.Labels{Stage: "result"})
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 8000.0, testutil.ToFloat64(r.counters[metrics.CacheHits].WithLabelValues("", "result", "")))
}
