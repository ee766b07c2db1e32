package metrics

import "slices"

// Type is a metric's type in the exposition.
type Type uint8

// Metric types.
const (
	Counter Type = iota + 1
	Gauge
	Histogram
)

// String returns the Prometheus name of the type.
func (t Type) String() string {
	switch t {
	case Counter:
		return "counter"
	case Gauge:
		return "gauge"
	case Histogram:
		return "histogram"
	}
	return "untyped"
}

// Desc describes a metric.
type Desc struct {
	Name string
	Help string
	Type Type
	// Buckets are a histogram's upper bounds, increasing; +Inf is implied.
	Buckets []float64
}

// Predeclared metric names. Durations are in seconds and sizes in bytes.
// The comment after each name says which labels it uses.
const (
	// Requests.
	RequestsTotal   = "riptide_requests_total"           // engine, stage (op), outcome
	RequestDuration = "riptide_request_duration_seconds" // engine, stage (op), outcome
	RequestsActive  = "riptide_requests_active"          // engine, stage (op)

	// Extraction.
	ExtractionDuration = "riptide_extraction_duration_seconds" // engine, outcome
	ExtractionErrors   = "riptide_extraction_errors_total"     // engine, outcome (error class)

	// Rendering.
	RenderDuration = "riptide_render_duration_seconds" // engine, outcome
	RenderErrors   = "riptide_render_errors_total"     // engine, outcome (error class)

	// Resources.
	BrowserInstances = "riptide_browser_instances" // stage (idle, in_use)
	WASMInstances    = "riptide_wasm_instances"    // stage (idle, in_use)
	MemoryBytes      = "riptide_memory_bytes"      // stage (component: browsers, wasm, heap)

	// Streaming.
	StreamConnections = "riptide_stream_connections"     // stage (ndjson, sse, websocket)
	StreamMessages    = "riptide_stream_messages_total"  // stage, outcome (event type)
	StreamErrors      = "riptide_stream_errors_total"    // stage, outcome (error class)
	StreamLatency     = "riptide_stream_latency_seconds" // stage: result ready to written

	// Cache.
	CacheHits   = "riptide_cache_hits_total"   // stage (cache: result, wasm, engine)
	CacheMisses = "riptide_cache_misses_total" // stage
	CacheSize   = "riptide_cache_size_bytes"   // stage

	// Sessions.
	SessionsCreated   = "riptide_sessions_created_total"   // engine
	SessionsDestroyed = "riptide_sessions_destroyed_total" // engine, outcome (reason)
	SessionLifetime   = "riptide_session_lifetime_seconds" // engine

	// Pools.
	PoolCheckoutWait = "riptide_pool_checkout_wait_seconds" // stage (pool: browser, wasm)
	PoolCreated      = "riptide_pool_created_total"         // stage, outcome (ok, error)
	PoolRecycled     = "riptide_pool_recycled_total"        // stage, outcome (uses, age, mem, idle, broken)

	// Adaptive timeouts.
	TimeoutLearnedDomains = "riptide_timeout_learned_domains"     // none
	Timeouts              = "riptide_timeouts_total"              // engine, stage (phase)
	TimeoutSaved          = "riptide_timeout_saved_seconds_total" // stage (phase)

	// Resource control.
	AdmissionWaiting = "riptide_admission_waiting"       // none: operations waiting for admission
	ConcurrencyLimit = "riptide_crawl_concurrency_limit" // none: the adaptive crawl concurrency
	ResourceRejected = "riptide_resource_rejected_total" // outcome (reason: memory)

	// Dropped counts measurements a Registry rejected (unknown name, wrong
	// kind, invalid value, too many series).
	Dropped = "riptide_metrics_dropped_total" // outcome (reason)
)

// Bucket sets for the predeclared histograms.
var (
	// latencyBuckets suit request and stage latencies, 5 ms to 60 s.
	latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
	// waitBuckets suit pool waits and stream latency, 0.1 ms to 10 s.
	waitBuckets = []float64{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}
	// lifetimeBuckets suit session lifetimes, 1 s to 1 day.
	lifetimeBuckets = []float64{1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600}
)

var descs = []Desc{
	{RequestsTotal, "Requests handled.", Counter, nil},
	{RequestDuration, "Request duration in seconds.", Histogram, latencyBuckets},
	{RequestsActive, "Requests in progress.", Gauge, nil},
	{ExtractionDuration, "Extraction duration in seconds.", Histogram, latencyBuckets},
	{ExtractionErrors, "Extraction failures.", Counter, nil},
	{RenderDuration, "Browser render duration in seconds.", Histogram, latencyBuckets},
	{RenderErrors, "Browser render failures.", Counter, nil},
	{BrowserInstances, "Browser instances held by the pool.", Gauge, nil},
	{WASMInstances, "WASM instances held by the pool.", Gauge, nil},
	{MemoryBytes, "Memory in use in bytes.", Gauge, nil},
	{StreamConnections, "Open streaming connections.", Gauge, nil},
	{StreamMessages, "Stream events written.", Counter, nil},
	{StreamErrors, "Streams ended by an error.", Counter, nil},
	{StreamLatency, "Delay from a result being ready to its event being written, in seconds.", Histogram, waitBuckets},
	{CacheHits, "Cache hits.", Counter, nil},
	{CacheMisses, "Cache misses.", Counter, nil},
	{CacheSize, "Cache size in bytes.", Gauge, nil},
	{SessionsCreated, "Browser sessions created.", Counter, nil},
	{SessionsDestroyed, "Browser sessions destroyed.", Counter, nil},
	{SessionLifetime, "Browser session lifetime in seconds.", Histogram, lifetimeBuckets},
	{PoolCheckoutWait, "Time to check an item out of a pool, in seconds.", Histogram, waitBuckets},
	{PoolCreated, "Pool items created.", Counter, nil},
	{PoolRecycled, "Pool items closed and replaced.", Counter, nil},
	{TimeoutLearnedDomains, "Domains with a learned timeout profile.", Gauge, nil},
	{Timeouts, "Operations that hit their deadline.", Counter, nil},
	{TimeoutSaved, "Seconds saved by learned timeouts compared with the default.", Counter, nil},
	{AdmissionWaiting, "Operations waiting for admission.", Gauge, nil},
	{ConcurrencyLimit, "Current limit of the adaptive crawl concurrency controller.", Gauge, nil},
	{ResourceRejected, "Operations refused by a resource guard.", Counter, nil},
	{Dropped, "Measurements the registry rejected.", Counter, nil},
}

// Descs returns the descriptions of the predeclared metrics.
func Descs() []Desc {
	out := slices.Clone(descs)
	for i := range out {
		out[i].Buckets = slices.Clone(out[i].Buckets)
	}
	return out
}
