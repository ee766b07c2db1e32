package wasm

// WithWazeroChecks makes a module given with [Module] run under wazero's
// close-on-context-done checks instead of being rewritten, so that
// benchmarks can compare the two.
func WithWazeroChecks() Option { return func(c *config) { c.wazeroChecks = true } }
