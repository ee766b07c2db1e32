// Package metrics lets riptide report what it does without choosing a
// metrics system: every stage sends [Measurement]s to a one-method
// [Recorder].
//
// # Recorders
//
// [Nop] drops everything and is the default. [Registry] is a small built-in
// store (counters, gauges and fixed-bucket histograms, updated with atomics)
// that writes the Prometheus text format and serves it over HTTP. Package
// metrics/prom forwards the same series to prometheus/client_golang.
//
// # Names and labels
//
// The metrics riptide reports are predeclared: their names are the
// constants of this package and [Descs] describes them. Every series is
// keyed by the three [Labels] (engine, stage, outcome), which take values
// from small fixed sets; hosts and URLs are never labels, so cardinality
// stays bounded. A Registry caps the series of each metric anyway.
package metrics

import (
	"time"
)

// Kind says what a [Measurement] does to its metric.
type Kind uint8

// Kinds of measurement.
const (
	// KindCounter adds Value (>= 0) to a counter.
	KindCounter Kind = iota + 1
	// KindGauge sets a gauge to Value.
	KindGauge
	// KindGaugeAdd adds Value (which may be negative) to a gauge.
	KindGaugeAdd
	// KindHistogram observes Value in a histogram.
	KindHistogram
)

// Labels identify a series within a metric. Empty values are left out of
// the exposition. Values should come from small fixed sets.
type Labels struct {
	Engine  string // "static", "wasm", "headless", "stealth"
	Stage   string // "fetch", "render", "extract", a pool or cache name, a transport
	Outcome string // "ok", "error", "timeout", "canceled", ...
}

// Measurement is one observation.
type Measurement struct {
	Name   string
	Kind   Kind
	Value  float64
	Labels Labels
}

// Recorder receives measurements. Implementations must be safe for
// concurrent use, must not block, and must not keep m.
type Recorder interface {
	Observe(m Measurement)
}

// RecorderFunc adapts a function to the [Recorder] interface.
type RecorderFunc func(m Measurement)

// Observe calls f(m).
func (f RecorderFunc) Observe(m Measurement) { f(m) }

// Nop is a Recorder that drops every measurement.
type Nop struct{}

// Observe does nothing.
func (Nop) Observe(Measurement) {}

var _ Recorder = Nop{}

// Inc adds one to the counter name.
func Inc(r Recorder, name string, l Labels) {
	r.Observe(Measurement{Name: name, Kind: KindCounter, Value: 1, Labels: l})
}

// Add adds v to the counter name.
func Add(r Recorder, name string, l Labels, v float64) {
	r.Observe(Measurement{Name: name, Kind: KindCounter, Value: v, Labels: l})
}

// Set sets the gauge name to v.
func Set(r Recorder, name string, l Labels, v float64) {
	r.Observe(Measurement{Name: name, Kind: KindGauge, Value: v, Labels: l})
}

// AddGauge adds v, which may be negative, to the gauge name.
func AddGauge(r Recorder, name string, l Labels, v float64) {
	r.Observe(Measurement{Name: name, Kind: KindGaugeAdd, Value: v, Labels: l})
}

// Observe records v in the histogram name.
func Observe(r Recorder, name string, l Labels, v float64) {
	r.Observe(Measurement{Name: name, Kind: KindHistogram, Value: v, Labels: l})
}

// Duration records d, in seconds, in the histogram name.
func Duration(r Recorder, name string, l Labels, d time.Duration) {
	Observe(r, name, l, d.Seconds())
}
