package wasm

import (
	"log/slog"
	"runtime"
	"time"

	"github.com/riptide-go/riptide/wasmcache"
)

// Defaults applied by [New].
const (
	DefaultMemoryLimit = 256 << 20 // bytes of linear memory per instance
	DefaultTimeout     = 5 * time.Second
	// DefaultMaxResponse caps the size of one guest response.
	DefaultMaxResponse = 64 << 20
	// DefaultMaxOutput bounds how many bytes of guest stdout/stderr one
	// instance may log over its life; the rest is dropped.
	DefaultMaxOutput = 64 << 10
)

// Option configures [New]. Options only record values; New validates them.
type Option func(*config)

type config struct {
	module       []byte
	cache        *wasmcache.Cache
	memLimit     int64
	timeout      time.Duration
	poolMin      int
	poolMax      int
	perCall      bool
	recycleDocs  int
	recycleMem   int64
	maxResponse  int64
	maxOutput    int
	noInterrupt  bool
	noHostParse  bool
	wazeroChecks bool // tests: wazero's checks instead of the rewrite
	logger       *slog.Logger
}

func defaultConfig() config {
	return config{
		memLimit:    DefaultMemoryLimit,
		timeout:     DefaultTimeout,
		poolMin:     1,
		poolMax:     runtime.GOMAXPROCS(0),
		maxResponse: DefaultMaxResponse,
		maxOutput:   DefaultMaxOutput,
	}
}

// Module sets the guest module (a .wasm binary implementing the ABI). The
// default is the embedded module built from the native engine, see
// [DefaultModule]. The slice is not modified or retained past New.
func Module(wasm []byte) Option { return func(c *config) { c.module = wasm } }

// WithCache loads the module through a compiled-module cache, so a new
// process skips the compile (milliseconds instead of about a second).
func WithCache(cache *wasmcache.Cache) Option { return func(c *config) { c.cache = cache } }

// WithMemoryLimit caps each instance's linear memory, in bytes (rounded
// up to whole 64 KiB pages; default 256 MiB, at most 4 GiB). A guest
// whose memory.grow would pass it sees the grow fail.
func WithMemoryLimit(bytes int64) Option { return func(c *config) { c.memLimit = bytes } }

// WithTimeout bounds the guest's time per document (default 5 s). Past it
// the instance is closed and Extract returns an error matching
// [ErrTimeout] and [context.DeadlineExceeded].
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithPool keeps between min and max instances ready for reuse (default
// 1 and GOMAXPROCS). Max also bounds concurrent extractions: callers
// beyond it wait for an instance, or for their ctx.
func WithPool(min, max int) Option {
	return func(c *config) { c.poolMin, c.poolMax, c.perCall = min, max, false }
}

// WithInstancePerCall instantiates a fresh instance for every document and
// closes it afterwards (about 5 ms more per document; no state survives
// between documents). At most max run at once (0: GOMAXPROCS).
func WithInstancePerCall(max int) Option {
	return func(c *config) {
		c.perCall, c.poolMin = true, 0
		if max > 0 {
			c.poolMax = max
		} else {
			c.poolMax = runtime.GOMAXPROCS(0)
		}
	}
}

// WithRecycle replaces a pooled instance after it served docs documents,
// or once its linear memory exceeds memBytes (a Go guest's memory never
// shrinks). Zero disables either limit.
func WithRecycle(docs int, memBytes int64) Option {
	return func(c *config) { c.recycleDocs, c.recycleMem = docs, memBytes }
}

// WithMaxResponse caps the size of one guest response (default 64 MiB).
func WithMaxResponse(bytes int64) Option { return func(c *config) { c.maxResponse = bytes } }

// WithLogger receives the engine's records and the guest's stdout and
// stderr, one record per line, at most [DefaultMaxOutput] bytes per
// instance. Nil (the default) discards them.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithInterrupt chooses whether a running guest can be stopped (default
// true). A module given with [Module] is then rewritten so that it calls
// the host every few thousand loop iterations and function entries, and
// the host stops it once its document's time is up or its ctx ended (see
// "Interruption and its cost" in the package documentation); a module the
// rewriter does not handle gets wazero's own checks instead, which cost
// several times more. With false, a module runs as given and stops only
// when it returns: use it only for trusted modules that honour the
// deadline they receive in each request. The default module is rewritten
// when it is built and is always interruptible.
func WithInterrupt(on bool) Option { return func(c *config) { c.noInterrupt = !on } }

// WithHostParse chooses whether the host parses pages for a module that
// accepts a parsed tree, as the default module does (default true). The
// host then parses each page with the native engine's parser, as
// [extract.Native] would, and hands the guest the tree along with the
// page; parsing is most of an extraction's work and runs several times
// faster natively (see "Parsed trees" in the package documentation).
// With false, every page is parsed inside the sandbox, so that no part of
// an extraction runs outside it, at that cost.
func WithHostParse(on bool) Option { return func(c *config) { c.noHostParse = !on } }
