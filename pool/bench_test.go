package pool

import (
	"context"
	"runtime"
	"testing"
)

// BenchmarkAcquireRelease measures one Acquire/Release round trip on an
// idle item, uncontended and with 8 goroutines sharing a pool of 3.
func BenchmarkAcquireRelease(b *testing.B) {
	newInt := func() func(context.Context) (*int, error) {
		return func(context.Context) (*int, error) { return new(int), nil }
	}
	b.Run("uncontended", func(b *testing.B) {
		p, err := New(Config[*int]{New: newInt(), Max: 1, Target: -1})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close(context.Background())
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			v, err := p.Acquire(ctx)
			if err != nil {
				b.Fatal(err)
			}
			p.Release(v, nil)
		}
	})
	b.Run("goroutines=8", func(b *testing.B) {
		p, err := New(Config[*int]{New: newInt(), Max: 3, Target: -1})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close(context.Background())
		ctx := context.Background()
		b.ReportAllocs()
		b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0))) // about 8 goroutines
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				v, err := p.Acquire(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				p.Release(v, nil)
			}
		})
	})
}
