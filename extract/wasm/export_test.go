package wasm

import "github.com/tetratelabs/wazero"

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
