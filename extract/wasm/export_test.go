package wasm

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/riptide-go/riptide/extract"

	"github.com/riptide-go/riptide/wasmcache"
)

// WithWazeroChecks makes a module given with [Module] run under wazero's
// close-on-context-done checks instead of being rewritten, so that
// benchmarks can compare the two.
func WithWazeroChecks() Option { return func(c *config) { c.wazeroChecks = true } }

// DefaultRuntimeConfig is the wazero configuration New uses for the
// default module with the default options, so that a test can compile
// through a cache exactly as an Engine does.
func DefaultRuntimeConfig() wazero.RuntimeConfig {
	cfg := defaultConfig()
	return runtimeConfig(uint32((cfg.memLimit+pageSize-1)/pageSize), InterruptFuel)
}

// DefaultCompileOptions are the cache options New uses for the embedded
// default module with the default options.
func DefaultCompileOptions() wasmcache.CompileOptions {
	return wasmcache.CompileOptions{Runtime: DefaultRuntimeConfig(), ABIVersion: ABIVersion, ModuleSHA256: defaultSum()}
}

// DefaultModuleSHA256 is the digest embedded with the default module.
func DefaultModuleSHA256() string { return defaultModuleSHA256 }

// RequestHeader returns the header e would send the guest with in, and the
// size of the tree that would follow the page (0: none).
func RequestHeader(ctx context.Context, e *Engine, in extract.Input) (map[string]any, int, error) {
	r, err := e.request(ctx, in, time.Second)
	if err != nil {
		return nil, 0, err
	}
	var h map[string]any
	if err := json.Unmarshal(r.header, &h); err != nil {
		return nil, 0, err
	}
	n := 0
	if r.tree != nil {
		n = r.tree.Len()
	}
	return h, n, nil
}
