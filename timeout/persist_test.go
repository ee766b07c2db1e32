package timeout_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/timeout"
)

func openStore(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, db.Close()) })
	return db
}

// clock is a settable Now for persistence tests, which run outside a
// synctest bubble because they do file I/O.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func TestAdaptive_PersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	now := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	cfg := timeout.AdaptiveConfig{Min: time.Millisecond, Now: now.Now}

	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	cfg.Store = db
	a, err := timeout.NewAdaptive(cfg)
	require.NoError(t, err)
	for i := range 120 {
		a.Record(timeout.StageFetch, "https://kept.example/", success(time.Duration(100+i)*time.Millisecond))
	}
	for range 5 {
		a.Record(timeout.StageRender, "https://kept.example/", success(2*time.Second))
	}
	a.Record(timeout.StageFetch, "https://kept.example/", timeout.Outcome{Duration: time.Second, TimedOut: true, Err: context.DeadlineExceeded})
	want := a.Profiles()
	require.NoError(t, a.Close())
	require.NoError(t, a.Close(), "Close is idempotent")
	require.NoError(t, db.Close())

	// Reopen the file: the profiles come back as they were.
	db = openStore(t, path)
	cfg.Store = db
	b := newAdaptive(t, cfg)
	assert.Equal(t, want, b.Profiles())
	assert.Equal(t, a.Budget(timeout.StageFetch, "https://kept.example/"), b.Budget(timeout.StageFetch, "https://kept.example/"))
	assert.Equal(t, 3*time.Second, b.Budget(timeout.StageRender, "https://kept.example/"))
	assert.Zero(t, b.Stats().StoreErrors)

	// The stored value is snake_case JSON keyed by "stage|domain".
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte(timeout.Bucket)).Get([]byte("fetch|kept.example"))
		require.NotNil(t, v)
		var m map[string]any
		require.NoError(t, json.Unmarshal(v, &m))
		assert.Len(t, m["samples_ns"], 100)
		assert.Contains(t, m, "success_ema")
		assert.EqualValues(t, 121, m["requests"])
		assert.EqualValues(t, 1, m["timeouts"])
		return nil
	}))
}

func TestAdaptive_TTLDropsOldProfiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	now := &clock{t: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
	db := openStore(t, path)
	cfg := timeout.AdaptiveConfig{Now: now.Now, Store: db}
	a, err := timeout.NewAdaptive(cfg)
	require.NoError(t, err)
	for range 5 {
		a.Record(timeout.StageFetch, "https://old.example/", success(8*time.Second))
	}
	now.t = now.t.Add(20 * 24 * time.Hour)
	for range 5 {
		a.Record(timeout.StageFetch, "https://recent.example/", success(8*time.Second))
	}
	require.NoError(t, a.Close())

	now.t = now.t.Add(15 * 24 * time.Hour) // old: 35 days, recent: 15 days
	b := newAdaptive(t, cfg)
	ps := b.Profiles()
	require.Len(t, ps, 1)
	assert.Equal(t, "recent.example", ps[0].Domain)
	assert.Equal(t, 30*time.Second, b.Budget(timeout.StageFetch, "https://old.example/"))
	// Dropped from the file too.
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		assert.Nil(t, tx.Bucket([]byte(timeout.Bucket)).Get([]byte("fetch|old.example")))
		return nil
	}))
}

func TestAdaptive_FlushesInBatches(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), store.FileName))
	a := newAdaptive(t, timeout.AdaptiveConfig{Store: db, FlushEvery: 10, FlushInterval: time.Hour})
	stored := func() int {
		n := 0
		_ = db.View(func(tx *bolt.Tx) error {
			if b := tx.Bucket([]byte(timeout.Bucket)); b != nil {
				n = b.Stats().KeyN
			}
			return nil
		})
		return n
	}
	for i := range 9 {
		a.Record(timeout.StageFetch, "https://h"+string(rune('a'+i))+".example/", success(time.Second))
	}
	assert.Zero(t, stored(), "no write before FlushEvery records")
	a.Record(timeout.StageFetch, "https://hz.example/", success(time.Second))
	assert.Eventually(t, func() bool { return stored() == 10 }, 5*time.Second, 5*time.Millisecond)
}

func TestAdaptive_FlushesOnInterval(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), store.FileName))
	a := newAdaptive(t, timeout.AdaptiveConfig{Store: db, FlushInterval: 20 * time.Millisecond})
	a.Record(timeout.StageFetch, "https://tick.example/", success(time.Second))
	assert.Eventually(t, func() bool {
		found := false
		_ = db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(timeout.Bucket))
			found = b != nil && b.Get([]byte("fetch|tick.example")) != nil
			return nil
		})
		return found
	}, 5*time.Second, 5*time.Millisecond)
}

// Store failures never reach Budget or Record: they are counted and
// logged once, and learning goes on in memory.
func TestAdaptive_StoreErrorsDegrade(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	require.NoError(t, err)
	var logs bytes.Buffer
	a, err := timeout.NewAdaptive(timeout.AdaptiveConfig{Store: db, Min: time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	require.NoError(t, db.Close()) // every later write fails

	for range 5 {
		a.Record(timeout.StageFetch, "https://mem.example/", success(time.Second))
	}
	assert.Equal(t, 1500*time.Millisecond, a.Budget(timeout.StageFetch, "https://mem.example/"))
	require.ErrorIs(t, a.Flush(), store.ErrClosed)
	require.ErrorIs(t, a.Flush(), store.ErrClosed, "unsaved profiles are kept for the next flush")
	assert.Equal(t, int64(2), a.Stats().StoreErrors)
	require.ErrorIs(t, a.Close(), store.ErrClosed, "Close reports its failed final flush")
	assert.Equal(t, 1, strings.Count(logs.String(), "store error"), logs.String())
}

func TestAdaptive_ReadOnlyStore(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{MaxSize: 64 << 10})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, db.Close()) })
	a, err := timeout.NewAdaptive(timeout.AdaptiveConfig{Store: db, FlushInterval: time.Hour})
	require.NoError(t, err)
	defer func() { assert.ErrorIs(t, a.Close(), store.ErrReadOnly) }()
	for i := range 2000 {
		a.Record(timeout.StageFetch, "https://h"+strings.Repeat("x", i%50)+".example/"+string(rune(i)), success(time.Second))
		if i%100 == 0 {
			_ = a.Flush()
		}
	}
	_ = a.Flush()
	assert.True(t, db.ReadOnly())
	assert.Positive(t, a.Stats().StoreErrors)
	assert.Equal(t, int64(2000), a.Stats().Requests)
}

// A store locked by another process gives store.ErrLocked within the lock
// timeout; the policy then runs without persistence.
func TestAdaptive_StoreLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=lock", helperEnv+"_PATH="+path, "GORACE=halt_on_error=1 atexit_sleep_ms=0")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		_ = stdin.Close()
		assert.NoError(t, cmd.Wait())
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	const lockTimeout = 250 * time.Millisecond
	start := time.Now()
	_, err = store.Open(path, store.Options{LockTimeout: lockTimeout})
	waited := time.Since(start)
	require.ErrorIs(t, err, store.ErrLocked)
	t.Logf("store.ErrLocked after %s (lock timeout %s)", waited, lockTimeout)
	assert.Less(t, waited, lockTimeout+5*time.Second)

	a := newAdaptive(t, timeout.AdaptiveConfig{}) // no store: in memory
	a.Record(timeout.StageFetch, "https://x.example/", success(time.Second))
	assert.Len(t, a.Profiles(), 1)
}

// A corrupt store file is quarantined and rebuilt; the policy starts
// empty on the fresh file and persists again.
func TestAdaptive_CorruptStoreRebuilt(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	a, err := timeout.NewAdaptive(timeout.AdaptiveConfig{Store: db})
	require.NoError(t, err)
	for range 5 {
		a.Record(timeout.StageFetch, "https://c.example/", success(time.Second))
	}
	require.NoError(t, a.Close())
	require.NoError(t, db.Close())
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt(bytes.Repeat([]byte{0xA5}, 8192), 0) // both meta pages
	require.NoError(t, err)
	require.NoError(t, f.Close())

	db = openStore(t, path)
	require.NotEmpty(t, db.Quarantined())
	b := newAdaptive(t, timeout.AdaptiveConfig{Store: db})
	assert.Empty(t, b.Profiles())
	assert.Zero(t, b.Stats().StoreErrors)
	b.Record(timeout.StageFetch, "https://c.example/", success(time.Second))
	require.NoError(t, b.Flush())
}
