package wasmcache

import "errors"

// Sentinel errors. Errors returned by this package wrap them, so callers
// test with [errors.Is].
var (
	// ErrInsecureDir: the cache directory is not private (mode 0700 and
	// owned by the current user), or is not a directory. Compiled code in
	// it is executed, so a directory others can write to is refused.
	ErrInsecureDir = errors.New("wasmcache: cache directory is not private")
	// ErrCompile: the module failed to compile.
	ErrCompile = errors.New("wasmcache: compile module")
	// ErrClosed: the cache was closed.
	ErrClosed = errors.New("wasmcache: closed")
)
