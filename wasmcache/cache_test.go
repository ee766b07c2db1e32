package wasmcache_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/wasmcache"
)

// compile compiles mod through c, checks it runs, closes it and returns
// whether it was a hit.
func compile(t *testing.T, c *wasmcache.Cache, mod []byte, want int32) bool {
	t.Helper()
	ctx := context.Background()
	m, err := c.Compile(ctx, mod, wasmcache.CompileOptions{Runtime: wazero.NewRuntimeConfig().WithCloseOnContextDone(true), ABIVersion: 1})
	require.NoError(t, err)
	defer func() { require.NoError(t, m.Close(ctx)) }()
	inst, err := m.Runtime().InstantiateModule(ctx, m.Module(), wazero.NewModuleConfig())
	require.NoError(t, err)
	res, err := inst.ExportedFunction("f").Call(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(uint32(want)), res[0])
	return m.Hit()
}

// codeFiles lists the compiled-code files of the cache's entries.
func codeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(p) != "entry.json" && filepath.Base(p) != ".lock" {
			out = append(out, p)
		}
		return err
	}))
	return out
}

func TestMissThenHit(t *testing.T) {
	for _, withDB := range []bool{true, false} {
		t.Run(map[bool]string{true: "indexed", false: "dir-only"}[withDB], func(t *testing.T) {
			dir := privateDir(t)
			var db *store.DB
			if withDB {
				db = openDB(t)
			}
			c, err := openCache(t, dir, db, wasmcache.Options{})
			require.NoError(t, err)
			assert.False(t, compile(t, c, tinyModule(7), 7), "first compile is a miss")
			assert.True(t, compile(t, c, tinyModule(7), 7), "second compile is a hit")

			// A new Cache on the same directory (a new process) hits too.
			c2, err := openCache(t, dir, db, wasmcache.Options{})
			require.NoError(t, err)
			assert.True(t, compile(t, c2, tinyModule(7), 7))

			s := c2.Stats()
			assert.Equal(t, 1, s.Entries)
			assert.Positive(t, s.Bytes)
			assert.Equal(t, withDB, s.Indexed)
			if withDB {
				assert.Equal(t, int64(2), s.Hits)
				assert.Equal(t, int64(1), s.Misses)
				assert.InDelta(t, 2.0/3, s.HitRate, 1e-9)
				assert.Positive(t, s.AvgCompile)
				assert.Positive(t, s.AvgLoad)
			} else {
				assert.Equal(t, int64(1), s.Hits, "dir-only counters are per Cache")
			}
		})
	}
}

func TestKeyBindsABIVersion(t *testing.T) {
	c, err := openCache(t, privateDir(t), nil, wasmcache.Options{})
	require.NoError(t, err)
	mod := tinyModule(1)
	assert.NotEqual(t, c.Key(mod, 1), c.Key(mod, 2))
	assert.NotEqual(t, c.Key(mod, 1), c.Key(tinyModule(2), 1))
	assert.Equal(t, c.Key(mod, 1), c.Key(tinyModule(1), 1))
}

func TestEvictLRU(t *testing.T) {
	dir := privateDir(t)
	db := openDB(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	probe, err := openCache(t, privateDir(t), nil, wasmcache.Options{})
	require.NoError(t, err)
	compile(t, probe, tinyModule(0), 0)
	one := probe.Stats().Bytes
	require.Positive(t, one)

	c, err := openCache(t, dir, db, wasmcache.Options{MaxBytes: 2*one + one/2, Now: clock})
	require.NoError(t, err)
	for i := range int32(3) {
		compile(t, c, tinyModule(i), i)
		now = now.Add(time.Minute)
		if i == 1 {
			// Touch module 0 so module 1 becomes the least recently used.
			assert.True(t, compile(t, c, tinyModule(0), 0))
			now = now.Add(time.Minute)
		}
	}
	s := c.Stats()
	assert.Equal(t, 2, s.Entries)
	assert.Equal(t, int64(1), s.Evictions)
	assert.True(t, compile(t, c, tinyModule(0), 0), "recently used entry kept")
	assert.True(t, compile(t, c, tinyModule(2), 2), "newest entry kept")
	assert.False(t, compile(t, c, tinyModule(1), 1), "least recently used entry evicted")
}

func TestEvictTTL(t *testing.T) {
	dir := privateDir(t)
	db := openDB(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c, err := openCache(t, dir, db, wasmcache.Options{Now: clock})
	require.NoError(t, err)
	compile(t, c, tinyModule(3), 3)

	now = now.Add(29 * 24 * time.Hour)
	require.NoError(t, c.Close())
	c, err = openCache(t, dir, db, wasmcache.Options{Now: clock})
	require.NoError(t, err)
	assert.Equal(t, 1, c.Stats().Entries, "within the TTL")
	assert.True(t, compile(t, c, tinyModule(3), 3))

	now = now.Add(wasmcache.DefaultTTL + time.Hour)
	require.NoError(t, c.Close())
	c, err = openCache(t, dir, db, wasmcache.Options{Now: clock})
	require.NoError(t, err)
	s := c.Stats()
	assert.Equal(t, 0, s.Entries, "expired at Open")
	assert.Equal(t, int64(1), s.Evictions)
}

// TestCorruptEntry damages a cached entry in several ways; each is
// detected before the code runs, evicted, counted and recompiled.
func TestCorruptEntry(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string, c *wasmcache.Cache)
	}{
		{"flipped byte", func(t *testing.T, dir string, _ *wasmcache.Cache) {
			f := codeFiles(t, dir)[0]
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			b[len(b)/2] ^= 0x40
			require.NoError(t, os.WriteFile(f, b, 0o600))
		}},
		{"truncated", func(t *testing.T, dir string, _ *wasmcache.Cache) {
			f := codeFiles(t, dir)[0]
			require.NoError(t, os.Truncate(f, 10))
		}},
		{"swapped with another entry", func(t *testing.T, dir string, c *wasmcache.Cache) {
			compile(t, c, tinyModule(99), 99)
			files := codeFiles(t, dir)
			require.Len(t, files, 2)
			a, err := os.ReadFile(files[0])
			require.NoError(t, err)
			b, err := os.ReadFile(files[1])
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(files[0], b, 0o600))
			require.NoError(t, os.WriteFile(files[1], a, 0o600))
		}},
		{"tampered module hash in record", func(t *testing.T, dir string, c *wasmcache.Cache) {
			// Both the store record and entry.json are rewritten as an
			// attacker would: the module hash no longer matches the bytes.
			rec := filepath.Join(dir, c.Key(tinyModule(5), 1), "entry.json")
			b, err := os.ReadFile(rec)
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(b, &m))
			m["module_sha256"] = strings.Repeat("0", 64)
			b, _ = json.Marshal(m)
			require.NoError(t, os.WriteFile(rec, b, 0o600))
		}},
		{"unrecorded file", func(t *testing.T, dir string, _ *wasmcache.Cache) {
			f := codeFiles(t, dir)[0]
			require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(f), "planted"), []byte("x"), 0o600))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := privateDir(t)
			// dir-only mode, so the record that is checked is entry.json.
			c, err := openCache(t, dir, nil, wasmcache.Options{})
			require.NoError(t, err)
			compile(t, c, tinyModule(5), 5)
			tc.damage(t, dir, c)
			hit := compile(t, c, tinyModule(5), 5)
			if tc.name == "unrecorded file" {
				// The planted file is removed; the real entry still verifies.
				assert.True(t, hit)
				assert.Equal(t, int64(0), c.Stats().Corrupt)
				assert.Len(t, codeFiles(t, dir), 1)
				return
			}
			assert.False(t, hit, "damaged entry must not be used")
			assert.Equal(t, int64(1), c.Stats().Corrupt)
			assert.True(t, compile(t, c, tinyModule(5), 5), "recompiled entry is used again")
		})
	}
}

// TestCorruptMiddle damages a byte in the middle of a code file larger
// than the two ends its fingerprint reads: by default wazero's checksum
// refuses it at load, with FullVerify the digest does before; either way
// the entry is evicted, counted and recompiled.
func TestCorruptMiddle(t *testing.T) {
	for _, full := range []bool{false, true} {
		t.Run(map[bool]string{false: "fingerprint", true: "full"}[full], func(t *testing.T) {
			dir := privateDir(t)
			c, err := openCache(t, dir, openDB(t), wasmcache.Options{FullVerify: full})
			require.NoError(t, err)
			mod := bigModule(8, 6000)
			compile(t, c, mod, 8)
			f := codeFiles(t, dir)[0]
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			require.Greater(t, len(b), 4<<17, "code file too small for the test")
			b[len(b)/2] ^= 0x40
			require.NoError(t, os.WriteFile(f, b, 0o600))
			assert.False(t, compile(t, c, mod, 8), "damaged entry must not be used")
			assert.Equal(t, int64(1), c.Stats().Corrupt)
			assert.True(t, compile(t, c, mod, 8), "recompiled entry is used again")
		})
	}
}

func TestCorruptEntryIndexed(t *testing.T) {
	// With the store, the digests in the store are the reference: a file
	// rewritten together with entry.json is still caught.
	dir := privateDir(t)
	db := openDB(t)
	c, err := openCache(t, dir, db, wasmcache.Options{})
	require.NoError(t, err)
	compile(t, c, tinyModule(6), 6)
	f := codeFiles(t, dir)[0]
	b, err := os.ReadFile(f)
	require.NoError(t, err)
	b[len(b)-3] ^= 1
	require.NoError(t, os.WriteFile(f, b, 0o600))
	rec := filepath.Join(dir, c.Key(tinyModule(6), 1), "entry.json")
	require.NoError(t, os.Remove(rec))
	assert.False(t, compile(t, c, tinyModule(6), 6))
	s := c.Stats()
	assert.Equal(t, int64(1), s.Corrupt)
	assert.Equal(t, 1, s.Entries)
}

func TestInsecureDir(t *testing.T) {
	cases := []struct {
		name string
		mode os.FileMode
		ok   bool
	}{
		{"private", 0o700, true},
		{"group readable", 0o750, false},
		{"world writable", 0o777, false},
		{"other readable", 0o701, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "c")
			require.NoError(t, os.Mkdir(dir, 0o700))
			require.NoError(t, os.Chmod(dir, tc.mode))
			_, err := openCache(t, dir, nil, wasmcache.Options{})
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, wasmcache.ErrInsecureDir)
			}
		})
	}
	t.Run("not a directory", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "f")
		require.NoError(t, os.WriteFile(f, nil, 0o600))
		_, err := openCache(t, f, nil, wasmcache.Options{})
		assert.Error(t, err)
	})
	t.Run("created private", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new", "cache")
		_, err := openCache(t, dir, nil, wasmcache.Options{})
		require.NoError(t, err)
		fi, err := os.Stat(dir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	})
}

func TestInvalidModule(t *testing.T) {
	dir := privateDir(t)
	c, err := openCache(t, dir, openDB(t), wasmcache.Options{})
	require.NoError(t, err)
	_, err = c.Compile(context.Background(), []byte("\x00asm\x01\x00\x00\x00\xff"), wasmcache.CompileOptions{})
	require.ErrorIs(t, err, wasmcache.ErrCompile)
	assert.Equal(t, 0, c.Stats().Entries, "nothing cached for an invalid module")
}

func TestCompileCanceled(t *testing.T) {
	c, err := openCache(t, privateDir(t), nil, wasmcache.Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Compile(ctx, tinyModule(1), wasmcache.CompileOptions{})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestClosed(t *testing.T) {
	c, err := openCache(t, privateDir(t), nil, wasmcache.Options{})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	_, err = c.Compile(context.Background(), tinyModule(1), wasmcache.CompileOptions{})
	assert.ErrorIs(t, err, wasmcache.ErrClosed)
}

// TestConcurrentCompile: many goroutines ask for the same module at once;
// it is compiled once and the others load it from disk.
func TestConcurrentCompile(t *testing.T) {
	c, err := openCache(t, privateDir(t), openDB(t), wasmcache.Options{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() { compile(t, c, tinyModule(42), 42) })
	}
	wg.Wait()
	s := c.Stats()
	assert.Equal(t, int64(1), s.Misses)
	assert.Equal(t, int64(15), s.Hits)
	assert.Equal(t, 1, s.Entries)
}

// TestTwoProcesses: a second process (this test binary re-executed) uses
// the same directory without the store while this one holds it; both
// compile the same modules at the same time and every later load hits.
func TestTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := privateDir(t)
	db := openDB(t)
	c, err := openCache(t, dir, db, wasmcache.Options{})
	require.NoError(t, err)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	for i := range int32(4) {
		compile(t, c, tinyModule(i), i)
	}
	require.NoError(t, cmd.Wait(), out.String())
	for i := range int32(4) {
		assert.True(t, compile(t, c, tinyModule(i), i), "module %d", i)
	}
	assert.Equal(t, 4, c.Stats().Entries)
	assert.Equal(t, int64(0), c.Stats().Corrupt)
}

func TestWriteStats(t *testing.T) {
	s := wasmcache.Stats{Dir: "/c", Indexed: true, Entries: 2, Bytes: 3 << 20, Hits: 3, Misses: 1, HitRate: 0.75,
		AvgLoad: 34 * time.Millisecond, AvgCompile: 800 * time.Millisecond, Evictions: 1, Corrupt: 0}
	cases := []struct {
		name   string
		asJSON bool
		want   []string
	}{
		{"text", false, []string{"entries      2", "size         3.0 MiB", "hit rate     75.0%", "avg load     34ms", "avg compile  800ms"}},
		{"json", true, []string{`"entries":2`, `"hit_rate":0.75`, `"avg_load_ns":34000000`, `"corrupt":0`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, wasmcache.WriteStats(&b, s, tc.asJSON))
			for _, w := range tc.want {
				assert.Contains(t, b.String(), w)
			}
			if tc.asJSON {
				var back wasmcache.Stats
				require.NoError(t, json.Unmarshal(b.Bytes(), &back))
				assert.Equal(t, s, back)
			}
		})
	}
}

func TestReadOnlyStore(t *testing.T) {
	// A store that went read-only does not stop the cache.
	dir := privateDir(t)
	db := openDB(t)
	require.NoError(t, db.Close())
	c, err := openCache(t, dir, db, wasmcache.Options{})
	if err != nil {
		assert.True(t, errors.Is(err, store.ErrClosed), err)
		return
	}
	assert.False(t, compile(t, c, tinyModule(1), 1))
	assert.True(t, compile(t, c, tinyModule(1), 1))
}

// openCache is wasmcache.Open with the cache closed (its pending records
// written) before the test's directories are removed.
func openCache(t *testing.T, dir string, db *store.DB, opts wasmcache.Options) (*wasmcache.Cache, error) {
	t.Helper()
	c, err := wasmcache.Open(dir, db, opts)
	if c != nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	return c, err
}

// TestHitRecordedBeforeClose: a hit's record is written after Compile
// returns; Close waits for it, so the store holds every hit once the
// cache is closed.
func TestHitRecordedBeforeClose(t *testing.T) {
	dir := privateDir(t)
	path := filepath.Join(t.TempDir(), store.FileName)
	open := func() (*store.DB, *wasmcache.Cache) {
		db, err := store.Open(path, store.Options{})
		require.NoError(t, err)
		c, err := wasmcache.Open(dir, db, wasmcache.Options{})
		require.NoError(t, err)
		return db, c
	}
	db, c := open()
	assert.False(t, compile(t, c, tinyModule(7), 7))
	for range 3 {
		assert.True(t, compile(t, c, tinyModule(7), 7))
	}
	require.NoError(t, c.Close())
	require.NoError(t, db.Close())

	db, c = open()
	assert.Equal(t, int64(3), c.Stats().Hits, "hits stored by the first cache")
	require.NoError(t, c.Close())
	require.NoError(t, db.Close())
}

// TestModuleSHA256: a digest the caller gives is the key (no hashing), and
// a wrong one never loads code compiled from other bytes.
func TestModuleSHA256(t *testing.T) {
	ctx := context.Background()
	dir := privateDir(t)
	c, err := openCache(t, dir, openDB(t), wasmcache.Options{})
	require.NoError(t, err)
	run := func(mod []byte, sum *[32]byte) (int32, bool, string) {
		m, err := c.Compile(ctx, mod, wasmcache.CompileOptions{ABIVersion: 1, ModuleSHA256: sum})
		require.NoError(t, err)
		defer m.Close(ctx)
		inst, err := m.Runtime().InstantiateModule(ctx, m.Module(), wazero.NewModuleConfig())
		require.NoError(t, err)
		res, err := inst.ExportedFunction("f").Call(ctx)
		require.NoError(t, err)
		return int32(res[0]), m.Hit(), m.Key()
	}
	a, b := tinyModule(11), tinyModule(12)
	sumA := sha256.Sum256(a)
	v, hit, keyA := run(a, nil)
	assert.Equal(t, int32(11), v)
	assert.False(t, hit)
	v, hit, key := run(a, &sumA)
	assert.Equal(t, int32(11), v)
	assert.True(t, hit, "the right digest finds the entry")
	assert.Equal(t, keyA, key)

	// b under a's digest: filed under a's key, but its own code runs.
	v, _, key = run(b, &sumA)
	assert.Equal(t, int32(12), v, "code compiled from other bytes was loaded")
	assert.Equal(t, keyA, key)
	v, _, _ = run(a, nil)
	assert.Equal(t, int32(11), v)
}
