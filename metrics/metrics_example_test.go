package metrics_test

import (
	"os"
	"time"

	"github.com/riptide-go/riptide/metrics"
)

func ExampleRegistry() {
	reg := metrics.NewRegistry()
	var rec metrics.Recorder = reg // what riptide's Client takes

	l := metrics.Labels{Engine: "static", Outcome: "ok"}
	metrics.Inc(rec, metrics.RequestsTotal, l)
	metrics.Duration(rec, metrics.PoolCheckoutWait, metrics.Labels{Stage: "browser"}, 3*time.Millisecond)
	reg.Gauge(metrics.BrowserInstances).Set(metrics.Labels{Stage: "idle"}, 2)

	_ = reg.WritePrometheus(os.Stdout)
	// Output:
	// # HELP riptide_browser_instances Browser instances held by the pool.
	// # TYPE riptide_browser_instances gauge
	// riptide_browser_instances{stage="idle"} 2
	// # HELP riptide_pool_checkout_wait_seconds Time to check an item out of a pool, in seconds.
	// # TYPE riptide_pool_checkout_wait_seconds histogram
	// riptide_pool_checkout_wait_seconds_bucket{stage="browser",le="0.0001"} 0
	// riptide_pool_checkout_wait_seconds_bucket{stage="browser",le="0.0005"} 0
	// riptide_pool_checkout_wait_seconds_bucket{stage="browser",le="0.001"} 0
	// riptide_pool_checkout_wait_seconds_bucket{stage="browser",le="0.005"} 1
	// riptide_pool_checkout_wait_seconds_bucket{stage="browser",le="0.01"} 1
	// riptide_pool_checkout_wait_seconds_bucket{stage="browser",le="0.05"} 1
	// riptide_pool_checkout_wait_seconds_bucket{stage="browser",le="0.1"} 1
	// riptide_pool_checkout_wait_seconds_bucket{stage="browser",le="0.5"} 1
	// riptide_pool_checkout_wait_seconds_bucket{stage="browser",le="1"} 1
	// riptide_pool_checkout_wait_seconds_bucket{stage="browser",le="5"} 1
	// riptide_pool_checkout_wait_seconds_bucket{stage="browser",le="10"} 1
	// riptide_pool_checkout_wait_seconds_bucket{stage="browser",le="+Inf"} 1
	// riptide_pool_checkout_wait_seconds_sum{stage="browser"} 0.003
	// riptide_pool_checkout_wait_seconds_count{stage="browser"} 1
	// # HELP riptide_requests_total Requests handled.
	// # TYPE riptide_requests_total counter
	// riptide_requests_total{engine="static",outcome="ok"} 1
}
