package prom_test

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/riptide-go/riptide/metrics"
	"github.com/riptide-go/riptide/metrics/prom"
)

func ExampleNew() {
	reg := prometheus.NewRegistry()
	rec, err := prom.New(reg)
	if err != nil {
		fmt.Println(err)
		return
	}
	metrics.Inc(rec, metrics.CacheHits, metrics.Labels{Stage: "result"})

	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		fmt.Println(mf.GetName(), mf.GetMetric()[0].GetCounter().GetValue())
	}
	// Output:
	// riptide_cache_hits_total 1
}
