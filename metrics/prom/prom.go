// Package prom forwards riptide's measurements to
// github.com/prometheus/client_golang, for programs that already expose a
// Prometheus registry. It registers the same series as [metrics.Registry]:
// the predeclared metrics of package metrics, each with the labels engine,
// stage and outcome.
package prom

import (
	"fmt"
	"math"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/riptide-go/riptide/metrics"
)

var labelNames = []string{"engine", "stage", "outcome"}

// Recorder is a [metrics.Recorder] that updates client_golang collectors.
// It is safe for concurrent use.
type Recorder struct {
	counters map[string]*prometheus.CounterVec
	gauges   map[string]*prometheus.GaugeVec
	hists    map[string]*prometheus.HistogramVec
	dropped  *prometheus.CounterVec
}

var _ metrics.Recorder = (*Recorder)(nil)

// New registers the predeclared metrics with reg and returns a Recorder
// feeding them. It fails, registering nothing, when reg already holds one of
// them (for example when New is called twice with the same registry).
func New(reg prometheus.Registerer) (*Recorder, error) {
	r := &Recorder{
		counters: map[string]*prometheus.CounterVec{},
		gauges:   map[string]*prometheus.GaugeVec{},
		hists:    map[string]*prometheus.HistogramVec{},
	}
	var cs []prometheus.Collector
	for _, d := range metrics.Descs() {
		var c prometheus.Collector
		switch d.Type {
		case metrics.Counter:
			v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: d.Name, Help: d.Help}, labelNames)
			r.counters[d.Name], c = v, v
		case metrics.Gauge:
			v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: d.Name, Help: d.Help}, labelNames)
			r.gauges[d.Name], c = v, v
		case metrics.Histogram:
			v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: d.Name, Help: d.Help, Buckets: d.Buckets}, labelNames)
			r.hists[d.Name], c = v, v
		default:
			return nil, fmt.Errorf("prom: %s has unknown type %v", d.Name, d.Type)
		}
		cs = append(cs, c)
	}
	r.dropped = r.counters[metrics.Dropped]
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("prom: register: %w", err)
		}
	}
	return r, nil
}

// Observe applies m to its collector. Measurements the built-in Registry
// would reject (unknown name, wrong kind, invalid value) are dropped and
// counted in metrics.Dropped.
func (r *Recorder) Observe(m metrics.Measurement) {
	if math.IsNaN(m.Value) {
		r.drop("invalid_value")
		return
	}
	lv := []string{m.Labels.Engine, m.Labels.Stage, m.Labels.Outcome}
	switch m.Kind {
	case metrics.KindCounter:
		c, ok := r.counters[m.Name]
		if !ok {
			r.dropUnknown(m.Name)
			return
		}
		if m.Value < 0 || math.IsInf(m.Value, 0) {
			r.drop("invalid_value")
			return
		}
		c.WithLabelValues(lv...).Add(m.Value)
	case metrics.KindGauge, metrics.KindGaugeAdd:
		g, ok := r.gauges[m.Name]
		if !ok {
			r.dropUnknown(m.Name)
			return
		}
		if m.Kind == metrics.KindGauge {
			g.WithLabelValues(lv...).Set(m.Value)
		} else {
			g.WithLabelValues(lv...).Add(m.Value)
		}
	case metrics.KindHistogram:
		h, ok := r.hists[m.Name]
		if !ok {
			r.dropUnknown(m.Name)
			return
		}
		h.WithLabelValues(lv...).Observe(m.Value)
	default:
		r.drop("wrong_kind")
	}
}

func (r *Recorder) dropUnknown(name string) {
	_, c := r.counters[name]
	_, g := r.gauges[name]
	_, h := r.hists[name]
	if c || g || h {
		r.drop("wrong_kind")
		return
	}
	r.drop("unknown_name")
}

func (r *Recorder) drop(reason string) {
	r.dropped.WithLabelValues("", "", reason).Inc()
}
