package metrics

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parsedFamily is a metric family as the Prometheus text parser read it.
type parsedFamily struct {
	Type   string // "COUNTER", "GAUGE", "HISTOGRAM"
	Series []parsedSeries
}

type parsedSeries struct {
	Labels  map[string]string
	Value   float64  // counter or gauge
	Count   uint64   // histogram
	Buckets []uint64 // histogram, cumulative
}

// parse reads text with the reference parser, failing the test on any error.
func parse(t testing.TB, text string) map[string]parsedFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	require.NoError(t, err, "exposition:\n%s", text)
	out := map[string]parsedFamily{}
	for name, f := range fams {
		pf := parsedFamily{Type: f.GetType().String()}
		for _, m := range f.Metric {
			ps := parsedSeries{Labels: map[string]string{}}
			for _, lp := range m.Label {
				ps.Labels[lp.GetName()] = lp.GetValue()
			}
			switch {
			case m.Counter != nil:
				ps.Value = m.GetCounter().GetValue()
			case m.Gauge != nil:
				ps.Value = m.GetGauge().GetValue()
			case m.Histogram != nil:
				ps.Count = m.GetHistogram().GetSampleCount()
				for _, b := range m.GetHistogram().Bucket {
					ps.Buckets = append(ps.Buckets, b.GetCumulativeCount())
				}
			}
			pf.Series = append(pf.Series, ps)
		}
		out[name] = pf
	}
	return out
}

func expose(t testing.TB, r *Registry) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, r.WritePrometheus(&b))
	return b.String()
}

func TestObserve(t *testing.T) {
	static := Labels{Engine: "static", Outcome: "ok"}
	cases := []struct {
		name    string
		ms      []Measurement
		metric  string
		want    float64
		dropped string // reason counted in Dropped, if any
	}{
		{"counter adds", []Measurement{{RequestsTotal, KindCounter, 1, static}, {RequestsTotal, KindCounter, 2, static}}, RequestsTotal, 3, ""},
		{"gauge sets", []Measurement{{BrowserInstances, KindGauge, 4, Labels{}}, {BrowserInstances, KindGauge, 2, Labels{}}}, BrowserInstances, 2, ""},
		{"gauge adds", []Measurement{{RequestsActive, KindGaugeAdd, 1, Labels{}}, {RequestsActive, KindGaugeAdd, 1, Labels{}}, {RequestsActive, KindGaugeAdd, -1, Labels{}}}, RequestsActive, 1, ""},
		{"histogram sums", []Measurement{{RequestDuration, KindHistogram, 0.5, static}, {RequestDuration, KindHistogram, 1.5, static}}, RequestDuration, 2, ""},
		{"unknown name", []Measurement{{"riptide_nope", KindCounter, 1, Labels{}}}, "", 0, "unknown_name"},
		{"wrong kind", []Measurement{{RequestsTotal, KindGauge, 1, static}}, RequestsTotal, 0, "wrong_kind"},
		{"negative counter", []Measurement{{RequestsTotal, KindCounter, -1, static}}, RequestsTotal, 0, "invalid_value"},
		{"NaN", []Measurement{{BrowserInstances, KindGauge, math.NaN(), Labels{}}}, BrowserInstances, 0, "invalid_value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRegistry()
			for _, m := range tc.ms {
				r.Observe(m)
			}
			if tc.metric != "" {
				l := tc.ms[0].Labels
				assert.Equal(t, tc.want, r.value(tc.metric, l))
			}
			if tc.dropped != "" {
				assert.Equal(t, 1.0, r.Counter(Dropped).Value(Labels{Outcome: tc.dropped}))
			} else {
				assert.NotContains(t, expose(t, r), Dropped)
			}
		})
	}
}

func TestHelpersReachTheRecorder(t *testing.T) {
	r := NewRegistry()
	l := Labels{Engine: "wasm"}
	Inc(r, ExtractionErrors, l)
	Add(r, ExtractionErrors, l, 2)
	Set(r, WASMInstances, Labels{Stage: "idle"}, 3)
	AddGauge(r, WASMInstances, Labels{Stage: "idle"}, -1)
	Observe(r, ExtractionDuration, l, 0.02)
	Duration(r, ExtractionDuration, l, 30_000_000) // 30 ms
	assert.Equal(t, 3.0, r.Counter(ExtractionErrors).Value(l))
	assert.Equal(t, 2.0, r.Gauge(WASMInstances).Value(Labels{Stage: "idle"}))
	assert.Equal(t, uint64(2), r.Histogram(ExtractionDuration).Count(l))
	assert.InDelta(t, 0.05, r.Histogram(ExtractionDuration).Sum(l), 1e-12)

	var got []Measurement
	rf := RecorderFunc(func(m Measurement) { got = append(got, m) })
	Inc(rf, RequestsTotal, l)
	require.Len(t, got, 1)
	assert.Equal(t, Measurement{RequestsTotal, KindCounter, 1, l}, got[0])
	Nop{}.Observe(got[0]) // does nothing
}

func TestHistogramBuckets(t *testing.T) {
	r := NewRegistry()
	require.NoError(t, r.Register(Desc{Name: "test_seconds", Help: "Test.", Type: Histogram, Buckets: []float64{1, 2, 5}}))
	h := r.Histogram("test_seconds")
	for _, v := range []float64{0.5, 1, 1.5, 2, 4.9, 5, 7, math.Inf(1)} {
		h.Observe(Labels{}, v)
	}
	text := expose(t, r)
	assert.Contains(t, text, `test_seconds_bucket{le="1"} 2`+"\n")    // 0.5, 1
	assert.Contains(t, text, `test_seconds_bucket{le="2"} 4`+"\n")    // + 1.5, 2
	assert.Contains(t, text, `test_seconds_bucket{le="5"} 6`+"\n")    // + 4.9, 5
	assert.Contains(t, text, `test_seconds_bucket{le="+Inf"} 8`+"\n") // + 7, +Inf
	assert.Contains(t, text, "test_seconds_count 8\n")
	assert.Contains(t, text, "test_seconds_sum +Inf\n")

	fams := parse(t, text)
	hist := fams["test_seconds"].Series[0]
	assert.Equal(t, uint64(8), hist.Count)
	assert.Equal(t, []uint64{2, 4, 6}, hist.Buckets[:3])
}

func TestWritePrometheusParsesAndEscapes(t *testing.T) {
	r := NewRegistry()
	weird := Labels{Engine: `he said "hi"`, Stage: `back\slash`, Outcome: "two\nlines \xff"}
	r.Counter(RequestsTotal).Add(weird, 2)
	r.Counter(RequestsTotal).Inc(Labels{Engine: "static", Outcome: "ok"})
	r.Gauge(MemoryBytes).Set(Labels{Stage: "browsers"}, 1.5e9)
	r.Histogram(PoolCheckoutWait).Observe(Labels{Stage: "browser"}, 0.003)
	r.Gauge(TimeoutLearnedDomains).Set(Labels{}, 12)

	text := expose(t, r)
	assert.Contains(t, text, `engine="he said \"hi\""`)
	assert.Contains(t, text, `stage="back\\slash"`)
	assert.Contains(t, text, `outcome="two\nlines `+"\uFFFD"+`"`)
	assert.Contains(t, text, "# HELP riptide_requests_total Requests handled.\n# TYPE riptide_requests_total counter\n")
	assert.Contains(t, text, "riptide_timeout_learned_domains 12\n")

	fams := parse(t, text)
	req := fams[RequestsTotal]
	assert.Equal(t, "COUNTER", req.Type)
	require.Len(t, req.Series, 2)
	var found bool
	for _, m := range req.Series {
		if m.Labels["engine"] == weird.Engine {
			found = true
			assert.Equal(t, weird.Stage, m.Labels["stage"])
			assert.Equal(t, "two\nlines \uFFFD", m.Labels["outcome"])
			assert.Equal(t, 2.0, m.Value)
		}
	}
	assert.True(t, found, "escaped series round-trips")
	assert.Equal(t, 1.5e9, fams[MemoryBytes].Series[0].Value)
	assert.Equal(t, "HISTOGRAM", fams[PoolCheckoutWait].Type)
	assert.NotContains(t, fams, RenderErrors, "metrics without series are left out")
}

func TestConcurrentObserve(t *testing.T) {
	r := NewRegistry()
	const workers, n = 8, 5000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			l := Labels{Engine: []string{"static", "headless"}[w%2], Outcome: "ok"}
			for i := range n {
				r.Counter(RequestsTotal).Inc(l)
				r.Gauge(RequestsActive).Add(Labels{}, 1)
				r.Histogram(RequestDuration).Observe(l, float64(i%100)/100)
				r.Gauge(RequestsActive).Add(Labels{}, -1)
				if i%500 == 0 {
					var b bytes.Buffer
					if err := r.WritePrometheus(&b); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	total := r.Counter(RequestsTotal).Value(Labels{Engine: "static", Outcome: "ok"}) +
		r.Counter(RequestsTotal).Value(Labels{Engine: "headless", Outcome: "ok"})
	assert.Equal(t, float64(workers*n), total)
	assert.Equal(t, 0.0, r.Gauge(RequestsActive).Value(Labels{}))
	assert.Equal(t, uint64(workers*n/2), r.Histogram(RequestDuration).Count(Labels{Engine: "static", Outcome: "ok"}))
	parse(t, expose(t, r))
}

func TestMaxSeriesBoundsCardinality(t *testing.T) {
	r := NewRegistry()
	for i := range MaxSeries + 10 {
		r.Counter(CacheHits).Inc(Labels{Stage: fmt.Sprint("cache", i)})
	}
	assert.Equal(t, 10.0, r.Counter(Dropped).Value(Labels{Outcome: "too_many_series"}))
	fams := parse(t, expose(t, r))
	assert.Len(t, fams[CacheHits].Series, MaxSeries)
}

func TestRegisterValidates(t *testing.T) {
	cases := []struct {
		name string
		d    Desc
		ok   bool
	}{
		{"counter", Desc{Name: "app_jobs_total", Type: Counter}, true},
		{"histogram", Desc{Name: "app_seconds", Type: Histogram, Buckets: []float64{0.1, 1}}, true},
		{"bad name", Desc{Name: "app-jobs", Type: Counter}, false},
		{"no type", Desc{Name: "app_x"}, false},
		{"duplicate", Desc{Name: RequestsTotal, Type: Counter}, false},
		{"no buckets", Desc{Name: "app_h", Type: Histogram}, false},
		{"unsorted buckets", Desc{Name: "app_h", Type: Histogram, Buckets: []float64{1, 1}}, false},
		{"infinite bucket", Desc{Name: "app_h", Type: Histogram, Buckets: []float64{1, math.Inf(1)}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := NewRegistry().Register(tc.d)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrInvalidDesc)
			}
		})
	}
}

func TestDescsCoverEveryName(t *testing.T) {
	ds := Descs()
	names := map[string]bool{}
	for _, d := range ds {
		assert.False(t, names[d.Name], "duplicate %s", d.Name)
		names[d.Name] = true
		assert.NotEmpty(t, d.Help)
		if d.Type == Counter {
			assert.True(t, strings.HasSuffix(d.Name, "_total"), d.Name)
		}
	}
	ds[0].Buckets = append(ds[0].Buckets, 1) // a copy: the registry is unaffected
	assert.Len(t, names, len(descs))
}

func TestHandlerServesExposition(t *testing.T) {
	r := NewRegistry()
	r.Counter(CacheMisses).Inc(Labels{Stage: "result"})
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, ContentType, resp.Header.Get("Content-Type"))
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	require.NoError(t, err)
	fams := parse(t, b.String())
	assert.Equal(t, 1.0, fams[CacheMisses].Series[0].Value)
	srv.Client().CloseIdleConnections()
}
