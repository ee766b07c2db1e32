package wasmcache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"golang.org/x/sync/singleflight"

	"github.com/riptide-go/riptide/internal/store"
)

// Defaults applied by [Open] to zero Options fields.
const (
	DefaultMaxBytes = 512 << 20
	DefaultTTL      = 30 * 24 * time.Hour
)

// Options configure [Open]. The zero value means the defaults.
type Options struct {
	// MaxBytes bounds the total size of compiled code on disk (default
	// 512 MiB; the default guest takes about 20 MiB). Past it the least
	// recently used entries are evicted.
	MaxBytes int64
	// TTL evicts entries not used for this long (default 30 days).
	TTL time.Duration
	// Logger receives a record for each eviction and each corrupt entry.
	// Nil discards.
	Logger *slog.Logger
	// Now is the clock for access times and the TTL. Default time.Now.
	Now func() time.Time
	// FullVerify hashes every code file in full before each load (about
	// 10 ms per 20 MB) instead of checking its fingerprint (size, and a
	// digest of its first and last 64 KiB) and relying on wazero's
	// checksum of the code for the bytes in between.
	FullVerify bool
}

// CompileOptions configure one [Cache.Compile].
type CompileOptions struct {
	// Runtime is the configuration of the runtime Compile creates (memory
	// limit, close on context done...). Nil means wazero's default.
	Runtime wazero.RuntimeConfig
	// ABIVersion is the guest ABI the caller speaks; it is part of the key,
	// so a host speaking another ABI never shares entries.
	ABIVersion int
	// ModuleSHA256, when set, is the module's SHA-256 as the caller
	// already knows it (a module embedded in the program with a digest
	// made at build time), and Compile does not hash the module again.
	// A wrong digest cannot load code compiled from other bytes: wazero
	// keys the code files of an entry by its own hash of the module. It
	// only files the entry under the wrong key.
	ModuleSHA256 *[32]byte
}

// Cache keeps compiled modules on disk. It is safe for concurrent use, and
// several processes may share one directory (see the package
// documentation).
type Cache struct {
	dir  string
	db   *store.DB
	opts Options
	log  *slog.Logger
	ver  string

	activeMu sync.Mutex // guards active
	// active holds the keys being loaded in this process; eviction skips them.
	active map[string]int
	group  singleflight.Group

	mu       sync.Mutex // guards local, the index files and closed
	local    counters
	closed   bool
	indexErr error // last index write error, logged once

	// A hit is recorded (access time, hit count) after Compile returns;
	// pending counts those records, and Stats and Close wait for them.
	bgMu    sync.Mutex
	settled *sync.Cond // on bgMu; signalled when pending drops to 0
	pending int
}

// Open opens (creating if needed) a cache rooted at dir, indexed in db's
// bucket "wasm_modules". db may be nil: the cache then runs in
// directory-only mode, keeping each entry's record next to its code; use
// it for a second process while another holds the store file (bbolt locks
// the file per process; code outside riptide, which cannot open the
// store, passes nil too). dir must be private: Open creates it with mode
// 0700 and refuses an existing one with group or other permissions, or
// owned by another user ([ErrInsecureDir]). Open evicts expired entries.
func Open(dir string, db *store.DB, opts Options) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("wasmcache: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("wasmcache: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("wasmcache: create directory: %w", err)
	}
	if err := checkPrivate(abs); err != nil {
		return nil, err
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Cache{dir: abs, db: db, opts: opts, log: log, ver: wazeroVersion(), active: map[string]int{}}
	c.settled = sync.NewCond(&c.bgMu)
	if db != nil {
		if err := c.initBucket(); err != nil {
			return nil, err
		}
	}
	c.prune("")
	return c, nil
}

// checkPrivate refuses a directory that others could write to.
func checkPrivate(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("wasmcache: %w", err)
	}
	switch {
	case !fi.IsDir():
		return fmt.Errorf("%w: %s is not a directory", ErrInsecureDir, dir)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%w: %s has mode %#o, want 0700", ErrInsecureDir, dir, fi.Mode().Perm())
	case !ownedByUs(fi):
		return fmt.Errorf("%w: %s is owned by another user", ErrInsecureDir, dir)
	}
	return nil
}

// Dir returns the cache's root directory.
func (c *Cache) Dir() string { return c.dir }

// Key returns the cache key of module for an ABI version: the hex SHA-256
// of the module's SHA-256, the wazero version, GOOS/GOARCH and the ABI
// version.
func (c *Cache) Key(module []byte, abiVersion int) string {
	sum := sha256.Sum256(module)
	return c.key(sum, abiVersion)
}

func (c *Cache) key(sum [32]byte, abi int) string {
	h := sha256.New()
	h.Write(sum[:])
	fmt.Fprintf(h, "\x00wazero %s\x00%s/%s\x00abi ", c.ver, runtime.GOOS, runtime.GOARCH)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(abi))
	h.Write(b[:])
	return hex.EncodeToString(h.Sum(nil))
}

// Compiled is a module compiled through the cache, with the runtime that
// owns it. The caller closes it.
type Compiled struct {
	rt   wazero.Runtime
	mod  wazero.CompiledModule
	cc   wazero.CompilationCache
	key  string
	hit  bool
	took time.Duration
	once sync.Once
	err  error
}

// Runtime returns the runtime the module was compiled in; instantiate the
// module (and its host modules, such as WASI) there.
func (m *Compiled) Runtime() wazero.Runtime { return m.rt }

// Module returns the compiled module.
func (m *Compiled) Module() wazero.CompiledModule { return m.mod }

// Key returns the module's cache key.
func (m *Compiled) Key() string { return m.key }

// Hit reports whether the compiled code was loaded from disk.
func (m *Compiled) Hit() bool { return m.hit }

// Duration is how long the load (hit) or compile (miss) took.
func (m *Compiled) Duration() time.Duration { return m.took }

// Close closes the runtime (and every module instantiated in it) and
// releases the compiled code. It is idempotent.
func (m *Compiled) Close(ctx context.Context) error {
	m.once.Do(func() {
		m.err = errors.Join(m.rt.Close(ctx), m.cc.Close(ctx))
	})
	return m.err
}

// token identifies the caller whose function singleflight ran (it must not be
// zero-sized: distinct zero-sized allocations may share an address).
type token struct{ _ byte }

type flightResult struct {
	owner    *token
	compiled *Compiled
}

// Compile returns module compiled in a new runtime configured by
// opts.Runtime, loading the compiled code from disk when a verified entry
// exists and compiling (and storing) it otherwise. Concurrent calls for
// the same module in one process compile it once: the others then load it
// from disk. A hit's record (access time, hit count) is written in the
// background; Close and Stats wait for it. An entry that fails
// verification or fails to load is evicted, counted as corrupt and
// compiled afresh. ctx bounds the caller's wait; a
// compile under way finishes in the background so its work is not lost.
func (c *Cache) Compile(ctx context.Context, module []byte, opts CompileOptions) (*Compiled, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if opts.Runtime == nil {
		opts.Runtime = wazero.NewRuntimeConfig()
	}
	var sum [32]byte
	if opts.ModuleSHA256 != nil {
		sum = *opts.ModuleSHA256
	} else {
		sum = sha256.Sum256(module)
	}
	key := c.key(sum, opts.ABIVersion)
	me := new(token)
	bg := context.WithoutCancel(ctx)
	ch := c.group.DoChan(key, func() (any, error) {
		m, err := c.loadSafe(bg, key, sum, module, opts.Runtime)
		return flightResult{owner: me, compiled: m}, err
	})
	select {
	case r := <-ch:
		fr, _ := r.Val.(flightResult)
		if fr.owner == me {
			return fr.compiled, r.Err
		}
		// Another caller compiled it: the entry is now on disk.
		return c.loadSafe(ctx, key, sum, module, opts.Runtime)
	case <-ctx.Done():
		go func() {
			r := <-ch
			if fr, _ := r.Val.(flightResult); fr.owner == me && fr.compiled != nil {
				_ = fr.compiled.Close(bg)
			}
		}()
		return nil, fmt.Errorf("wasmcache: compile: %w", ctx.Err())
	}
}

// loadSafe is load with panics turned into errors, so none reaches
// singleflight (which would re-raise it on another goroutine).
func (c *Cache) loadSafe(ctx context.Context, key string, sum [32]byte, module []byte, cfg wazero.RuntimeConfig) (m *Compiled, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%w: panic: %v", ErrCompile, r)
		}
	}()
	c.use(key)
	defer c.unuse(key)
	return c.load(ctx, key, sum, module, cfg)
}

// use marks key in use in this process (eviction skips it) until unuse.
func (c *Cache) use(key string) {
	c.activeMu.Lock()
	c.active[key]++
	c.activeMu.Unlock()
}

func (c *Cache) unuse(key string) {
	c.activeMu.Lock()
	if c.active[key]--; c.active[key] == 0 {
		delete(c.active, key)
	}
	c.activeMu.Unlock()
}

func (c *Cache) load(ctx context.Context, key string, sum [32]byte, module []byte, cfg wazero.RuntimeConfig) (*Compiled, error) {
	start := time.Now()
	mdir := filepath.Join(c.dir, key)
	modHex := hex.EncodeToString(sum[:])
	unlock, err := lockEntry(mdir, true)
	if err != nil {
		return nil, fmt.Errorf("wasmcache: lock %s: %w", mdir, err)
	}
	defer unlock()
	rec, ok := c.lookup(key)
	hit := false
	if ok {
		if err := c.verify(mdir, rec, modHex); errors.Is(err, errMissing) {
			c.deleteRecord(key, func(*counters) {})
			rec, ok = entry{}, false
		} else if err != nil {
			c.corrupt(key, mdir, err)
			rec, ok = entry{}, false
		} else {
			hit = true
		}
	}
	if !ok {
		// Unindexed leftovers (a crash mid-write, a stale version) are
		// never loaded. Only files go: the directories stay, since another
		// process may be writing into them right now.
		if err := removeFiles(mdir); err != nil {
			return nil, fmt.Errorf("wasmcache: clear %s: %w", mdir, err)
		}
	}
	m, err := compileIn(ctx, mdir, module, cfg)
	if err != nil && hit {
		c.corrupt(key, mdir, err)
		hit = false
		m, err = compileIn(ctx, mdir, module, cfg)
	}
	if err != nil {
		_ = removeFiles(mdir)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wasmcache: compile: %w", ctx.Err())
		}
		// The module may be fine and only the disk write failed (full disk,
		// a directory evicted by another process): try without the cache.
		m2, err2 := compileIn(ctx, "", module, cfg)
		if err2 != nil {
			return nil, fmt.Errorf("%w: %v", ErrCompile, err2)
		}
		c.log.Warn("wasm module compiled without the disk cache", "key", key, "err", err)
		m, err = m2, nil
		mdir = ""
	}
	m.key, m.hit, m.took = key, hit, time.Since(start)
	now := c.opts.Now()
	if hit {
		rec.LastAccess = now
		rec.Hits++
		// The record costs a store transaction (a sync to disk) and a
		// file write: the caller does not wait for it.
		// Until it is written the entry counts as in use, so that an
		// eviction meanwhile does not take it for the least recently used.
		took := m.took
		c.use(key)
		c.background(func() {
			defer c.unuse(key)
			c.recordHit(rec, took, mdir)
		})
		return m, nil
	}
	if mdir == "" {
		c.count(func(s *counters) { s.Misses++; s.Compiles++; s.CompileNanos += int64(m.took) })
		return m, nil
	}
	files, prints, size, err := hashDir(mdir)
	if err != nil {
		c.log.Warn("wasm cache entry not indexed", "key", key, "err", err)
		return m, nil
	}
	rec = entry{Key: key, ModuleSHA256: modHex, Wazero: c.ver, Size: size, Created: now, LastAccess: now, Files: files, Prints: prints}
	c.record(rec, m.took, false, mdir)
	c.prune(key)
	return m, nil
}

// compileIn compiles module in a new runtime whose compilation cache is
// dir ("" for memory only).
func compileIn(ctx context.Context, dir string, module []byte, cfg wazero.RuntimeConfig) (*Compiled, error) {
	var cc wazero.CompilationCache
	if dir == "" {
		cc = wazero.NewCompilationCache()
	} else {
		var err error
		if cc, err = wazero.NewCompilationCacheWithDir(dir); err != nil {
			return nil, err
		}
	}
	rt := wazero.NewRuntimeWithConfig(ctx, cfg.WithCompilationCache(cc))
	mod, err := rt.CompileModule(ctx, module)
	if err != nil {
		bg := context.WithoutCancel(ctx)
		_ = rt.Close(bg)
		_ = cc.Close(bg)
		return nil, err
	}
	return &Compiled{rt: rt, mod: mod, cc: cc}, nil
}

// corrupt evicts a damaged or tampered entry and counts it.
func (c *Cache) corrupt(key, mdir string, why error) {
	c.log.Warn("wasm cache entry corrupt; evicted and recompiled", "key", key, "err", why)
	_ = removeFiles(mdir)
	c.deleteRecord(key, func(s *counters) { s.Corrupt++ })
}

// Close stops the cache from accepting new compiles and waits for the
// records of earlier loads to be written. Compiled modules it returned
// stay valid until their own Close. It does not close db.
func (c *Cache) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.settle()
	return nil
}

// background runs f on its own goroutine, counted in pending.
func (c *Cache) background(f func()) {
	c.bgMu.Lock()
	c.pending++
	c.bgMu.Unlock()
	go func() {
		defer func() {
			if r := recover(); r != nil {
				// A record is bookkeeping: losing one must not take the
				// host down.
				c.log.Error("wasm cache: record a hit", "panic", r)
			}
			c.bgMu.Lock()
			if c.pending--; c.pending == 0 {
				c.settled.Broadcast()
			}
			c.bgMu.Unlock()
		}()
		f()
	}()
}

// settle waits until no background record is pending.
func (c *Cache) settle() {
	c.bgMu.Lock()
	for c.pending > 0 {
		c.settled.Wait()
	}
	c.bgMu.Unlock()
}

// recordHit records a hit on the entry in mdir, under the entry's lock,
// unless the entry was evicted meanwhile (then only the counters move).
func (c *Cache) recordHit(rec entry, took time.Duration, mdir string) {
	unlock, err := lockEntry(mdir, true)
	if err == nil {
		defer unlock()
		if names, err := listFiles(mdir); err == nil && len(names) > 0 {
			c.record(rec, took, true, mdir)
			return
		}
	}
	c.count(func(s *counters) { s.Hits++; s.LoadNanos += int64(took) })
}

// wazeroVersion is the wazero module version this binary was built with.
func wazeroVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/tetratelabs/wazero" {
				if d.Replace != nil {
					return d.Replace.Path + "@" + d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "unknown"
}
