// Package wasmcache keeps WebAssembly modules compiled by wazero on disk,
// so that a new process loads a module in tens of milliseconds instead of
// compiling it again (about a second for a Go-built module).
//
// # Layout
//
// Each module gets its own directory under the cache root, named by its
// key: the SHA-256 of the module's SHA-256, the wazero version,
// GOOS/GOARCH and the guest ABI version. wazero writes the compiled code
// there ([wazero.NewCompilationCacheWithDir]); next to it, entry.json
// records the module's SHA-256, the SHA-256 and fingerprint of every code
// file, the size,
// creation and last-access times and the hit count. With a store, the
// same records live in its bucket [Bucket] ("wasm_modules"), together with
// the cumulative counters that [Cache.Stats] reports.
//
// # Trust
//
// Compiled code is executed as it is, so the cache only uses what it can
// verify. The root must be private: mode 0700 and owned by the current
// user, or [Open] fails with [ErrInsecureDir]. Before every load each code
// file is checked against the record (the store's record when there is
// one, so rewriting entry.json is not enough): its size and a SHA-256 of
// its first and last 64 KiB, which tell one entry's code from another's
// and a truncated file from a whole one, while wazero checks a CRC-32C of
// all the code as it loads it. Options.FullVerify hashes every file in
// full instead (about 10 ms more for a Go-built module). Files the record
// does not list are deleted unread. An entry that fails a check, or that
// wazero fails to load, is evicted, counted in Stats.Corrupt and compiled
// afresh.
//
// # Eviction
//
// Entries unused for Options.TTL (30 days) are evicted at [Open] and after
// each compile; past Options.MaxBytes the least recently used entries go
// first. An entry being loaded in this process is never evicted.
//
// # Concurrency and processes
//
// A Cache is safe for concurrent use. Concurrent [Cache.Compile] calls for
// the same module compile it once (golang.org/x/sync/singleflight, with
// panics recovered before they reach it); the other callers then load it
// from disk. Several processes may share one root: on Unix each entry
// directory has a lock file, and verifying, compiling or evicting an entry
// holds an exclusive flock on it, so a second process waits for the first
// one's compile and then loads the verified result (eviction skips locked
// entries). wazero writes each file to a temporary name and renames it,
// and records are replaced the same way. bbolt locks its file per process,
// so only one process can hold the store: others pass a nil store and run
// in directory-only mode, with entry.json as the record and counters kept
// in memory. Should a compile still fail to write its files, it falls back
// to memory only and is logged.
//
// # Statistics
//
// [Cache.Stats] reports entries, bytes, hits, misses, hit rate, the mean
// verified load and compile times, evictions and corrupt entries;
// [WriteStats] prints them for people or as JSON (the CLI's
// "riptide wasm cache-stats [--json]").
package wasmcache
