package metrics

import "testing"

// BenchmarkObserve measures one observation on an existing series.
func BenchmarkObserve(b *testing.B) {
	r := NewRegistry()
	l := Labels{Engine: "static", Stage: "fetch", Outcome: "ok"}
	b.Run("counter", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.Observe(Measurement{Name: RequestsTotal, Kind: KindCounter, Value: 1, Labels: l})
			}
		})
	})
	b.Run("histogram", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.Observe(Measurement{Name: RequestDuration, Kind: KindHistogram, Value: 0.042, Labels: l})
			}
		})
	})
}

// BenchmarkObserveSerial measures one observation without contention.
func BenchmarkObserveSerial(b *testing.B) {
	r := NewRegistry()
	l := Labels{Engine: "static", Stage: "fetch", Outcome: "ok"}
	b.ReportAllocs()
	for b.Loop() {
		r.Observe(Measurement{Name: RequestsTotal, Kind: KindCounter, Value: 1, Labels: l})
	}
}
