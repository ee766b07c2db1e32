package metrics

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
)

// MaxSeries bounds the series of one metric in a [Registry]; measurements
// that would create more are dropped and counted in [Dropped].
const MaxSeries = 512

// ErrInvalidDesc is wrapped by the error Register returns for a bad [Desc].
var ErrInvalidDesc = errors.New("metrics: invalid metric description")

var nameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// Registry is a [Recorder] that keeps the predeclared metrics, and any
// registered with Register, in memory and writes them in the Prometheus
// text format. It is safe for concurrent use; an observation on an existing
// series costs a map lookup and an atomic update, with no lock.
type Registry struct {
	fams    sync.Map // name -> *family
	regMu   sync.Mutex
	dropped *family
}

type family struct {
	desc   Desc
	series sync.Map // Labels -> *series
	mu     sync.Mutex
	n      int // series, under mu
}

type series struct {
	labels Labels
	bits   atomic.Uint64   // float64 bits: counter or gauge value, histogram sum
	counts []atomic.Uint64 // histogram: per bucket (not cumulative), last is +Inf
}

// NewRegistry returns a Registry holding the predeclared metrics.
func NewRegistry() *Registry {
	r := &Registry{}
	for _, d := range descs {
		if err := r.Register(d); err != nil {
			panic(err) // the predeclared set is a constant of the package
		}
	}
	f, _ := r.fams.Load(Dropped)
	r.dropped = f.(*family)
	return r
}

// Register adds a metric. The name must be a valid Prometheus name not yet
// registered, and a histogram's buckets must increase strictly.
func (r *Registry) Register(d Desc) error {
	if !nameRE.MatchString(d.Name) {
		return fmt.Errorf("%w: name %q", ErrInvalidDesc, d.Name)
	}
	switch d.Type {
	case Counter, Gauge:
		d.Buckets = nil
	case Histogram:
		if len(d.Buckets) == 0 {
			return fmt.Errorf("%w: histogram %s has no buckets", ErrInvalidDesc, d.Name)
		}
		for i, b := range d.Buckets {
			if math.IsNaN(b) || math.IsInf(b, 0) || (i > 0 && b <= d.Buckets[i-1]) {
				return fmt.Errorf("%w: histogram %s buckets must be finite and increasing", ErrInvalidDesc, d.Name)
			}
		}
		d.Buckets = append([]float64(nil), d.Buckets...)
	default:
		return fmt.Errorf("%w: %s has no type", ErrInvalidDesc, d.Name)
	}
	r.regMu.Lock()
	defer r.regMu.Unlock()
	if _, dup := r.fams.Load(d.Name); dup {
		return fmt.Errorf("%w: %s registered twice", ErrInvalidDesc, d.Name)
	}
	r.fams.Store(d.Name, &family{desc: d})
	return nil
}

// Observe applies m to its metric. Measurements for an unknown name, with a
// kind that does not fit the metric's type, with a NaN value, a negative or
// infinite counter increment, or beyond MaxSeries are dropped and counted
// in [Dropped] with the reason as outcome.
func (r *Registry) Observe(m Measurement) {
	v, ok := r.fams.Load(m.Name)
	if !ok {
		r.drop("unknown_name")
		return
	}
	f := v.(*family)
	if math.IsNaN(m.Value) {
		r.drop("invalid_value")
		return
	}
	switch {
	case f.desc.Type == Counter && m.Kind == KindCounter:
		if m.Value < 0 || math.IsInf(m.Value, 0) {
			r.drop("invalid_value")
			return
		}
		if s := r.series(f, m.Labels); s != nil {
			addFloat(&s.bits, m.Value)
		}
	case f.desc.Type == Gauge && m.Kind == KindGauge:
		if s := r.series(f, m.Labels); s != nil {
			s.bits.Store(math.Float64bits(m.Value))
		}
	case f.desc.Type == Gauge && m.Kind == KindGaugeAdd:
		if s := r.series(f, m.Labels); s != nil {
			addFloat(&s.bits, m.Value)
		}
	case f.desc.Type == Histogram && m.Kind == KindHistogram:
		if s := r.series(f, m.Labels); s != nil {
			i := sort.SearchFloat64s(f.desc.Buckets, m.Value) // first bound >= v
			s.counts[i].Add(1)
			addFloat(&s.bits, m.Value)
		}
	default:
		r.drop("wrong_kind")
	}
}

func (r *Registry) drop(reason string) {
	if s := r.series(r.dropped, Labels{Outcome: reason}); s != nil {
		addFloat(&s.bits, 1)
	}
}

// series returns f's series for l, creating it within MaxSeries.
func (r *Registry) series(f *family, l Labels) *series {
	if v, ok := f.series.Load(l); ok {
		return v.(*series)
	}
	f.mu.Lock()
	if v, ok := f.series.Load(l); ok {
		f.mu.Unlock()
		return v.(*series)
	}
	if f.n >= MaxSeries {
		f.mu.Unlock()
		if f != r.dropped { // Dropped's own series are a fixed few
			r.drop("too_many_series")
		}
		return nil
	}
	s := &series{labels: l}
	if f.desc.Type == Histogram {
		s.counts = make([]atomic.Uint64, len(f.desc.Buckets)+1)
	}
	f.series.Store(l, s)
	f.n++
	f.mu.Unlock()
	return s
}

func addFloat(bits *atomic.Uint64, v float64) {
	for {
		old := bits.Load()
		if bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// CounterVec updates one counter of a Registry. An unknown name or a
// metric of another type gives a CounterVec whose updates are dropped.
type CounterVec struct {
	r    *Registry
	name string
}

// Counter returns the counter name.
func (r *Registry) Counter(name string) CounterVec { return CounterVec{r, name} }

// Add adds v (>= 0) to the series l.
func (c CounterVec) Add(l Labels, v float64) {
	c.r.Observe(Measurement{Name: c.name, Kind: KindCounter, Value: v, Labels: l})
}

// Inc adds one to the series l.
func (c CounterVec) Inc(l Labels) { c.Add(l, 1) }

// Value returns the series' current value (0 when absent).
func (c CounterVec) Value(l Labels) float64 { return c.r.value(c.name, l) }

// GaugeVec updates one gauge of a Registry.
type GaugeVec struct {
	r    *Registry
	name string
}

// Gauge returns the gauge name.
func (r *Registry) Gauge(name string) GaugeVec { return GaugeVec{r, name} }

// Set sets the series l to v.
func (g GaugeVec) Set(l Labels, v float64) {
	g.r.Observe(Measurement{Name: g.name, Kind: KindGauge, Value: v, Labels: l})
}

// Add adds v, which may be negative, to the series l.
func (g GaugeVec) Add(l Labels, v float64) {
	g.r.Observe(Measurement{Name: g.name, Kind: KindGaugeAdd, Value: v, Labels: l})
}

// Value returns the series' current value (0 when absent).
func (g GaugeVec) Value(l Labels) float64 { return g.r.value(g.name, l) }

// HistogramVec updates one histogram of a Registry.
type HistogramVec struct {
	r    *Registry
	name string
}

// Histogram returns the histogram name.
func (r *Registry) Histogram(name string) HistogramVec { return HistogramVec{r, name} }

// Observe records v in the series l.
func (h HistogramVec) Observe(l Labels, v float64) {
	h.r.Observe(Measurement{Name: h.name, Kind: KindHistogram, Value: v, Labels: l})
}

// Count returns the number of observations in the series l.
func (h HistogramVec) Count(l Labels) uint64 {
	s := h.r.lookup(h.name, l)
	if s == nil {
		return 0
	}
	var n uint64
	for i := range s.counts {
		n += s.counts[i].Load()
	}
	return n
}

// Sum returns the sum of the observations in the series l.
func (h HistogramVec) Sum(l Labels) float64 { return h.r.value(h.name, l) }

func (r *Registry) lookup(name string, l Labels) *series {
	v, ok := r.fams.Load(name)
	if !ok {
		return nil
	}
	s, ok := v.(*family).series.Load(l)
	if !ok {
		return nil
	}
	return s.(*series)
}

func (r *Registry) value(name string, l Labels) float64 {
	s := r.lookup(name, l)
	if s == nil {
		return 0
	}
	return math.Float64frombits(s.bits.Load())
}
