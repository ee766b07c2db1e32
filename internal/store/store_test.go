package store_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/internal/testenv"
)

// helperEnv names the role of a re-executed test binary.
const helperEnv = "RIPTIDE_STORE_HELPER"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestHelperProcess is not a test: it is the body of the subprocesses the
// tests below start by re-executing the test binary.
//
//	lock <path>:   open the store, print "locked", hold it until stdin closes
//	mutant <path>: open the store, read every bucket, write a key, print
//	               a JSON mutantResult
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(helperEnv)
	if role == "" {
		t.Skip("helper process only")
	}
	path := os.Getenv(helperEnv + "_PATH")
	switch role {
	case "lock":
		db, err := store.Open(path, store.Options{})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		fmt.Println("locked")
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = db.Close()
	case "mutant":
		res := openReadWrite(path)
		_ = json.NewEncoder(os.Stdout).Encode(res)
	default:
		if f := helperRoles[role]; f != nil {
			_ = json.NewEncoder(os.Stdout).Encode(f(path))
		}
	}
	os.Exit(0)
}

// helperRoles holds helper roles defined by platform-specific tests.
var helperRoles = map[string]func(path string) any{}

type mutantResult struct {
	Opened      bool   `json:"opened"`
	Quarantined bool   `json:"quarantined"`
	Keys        int    `json:"keys"`
	ReadErr     string `json:"read_err,omitempty"`
	WriteErr    string `json:"write_err,omitempty"`
	OpenErr     string `json:"open_err,omitempty"`
}

func openReadWrite(path string) mutantResult {
	var res mutantResult
	db, err := store.Open(path, store.Options{LockTimeout: 5 * time.Second})
	if err != nil {
		res.OpenErr = err.Error()
		return res
	}
	defer db.Close()
	res.Opened = true
	res.Quarantined = db.Quarantined() != ""
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return walk(b, &res.Keys)
		})
	})
	if err != nil {
		res.ReadErr = err.Error()
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("probe"))
		if err != nil {
			return err
		}
		return b.Put([]byte("written"), []byte("yes"))
	})
	if err != nil {
		res.WriteErr = err.Error()
	}
	return res
}

func walk(b *bolt.Bucket, keys *int) error {
	return b.ForEach(func(k, v []byte) error {
		*keys++
		if v == nil {
			if child := b.Bucket(k); child != nil {
				return walk(child, keys)
			}
		}
		return nil
	})
}

// helper starts the test binary as a helper process.
func helper(t *testing.T, ctx context.Context, role, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+role, helperEnv+"_PATH="+path, "GORACE=halt_on_error=1 atexit_sleep_ms=0")
	return cmd
}

func TestOpen_LockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	cmd := helper(t, context.Background(), "lock", path)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	const lockTimeout = 300 * time.Millisecond
	start := time.Now()
	db, err := store.Open(path, store.Options{LockTimeout: lockTimeout})
	waited := time.Since(start)
	require.ErrorIs(t, err, store.ErrLocked)
	assert.Nil(t, db)
	t.Logf("ErrLocked after %s (lock timeout %s, over by %s)", waited, lockTimeout, waited-lockTimeout)
	assert.GreaterOrEqual(t, waited, lockTimeout-10*time.Millisecond)
	assert.Less(t, waited, lockTimeout+5*time.Second, "Open must give up near the lock timeout")
	testenv.Figure(t, "store_lock", "timeout_ms", lockTimeout.Milliseconds(), "waited_ms", waited.Milliseconds())

	require.NoError(t, stdin.Close())
	require.NoError(t, cmd.Wait())

	// Released: the lock can now be taken.
	db, err = store.Open(path, store.Options{LockTimeout: lockTimeout})
	require.NoError(t, err)
	require.NoError(t, db.Close())
}

func TestOpen_LockedInSameProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	first, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	defer first.Close()

	_, err = store.Open(path, store.Options{LockTimeout: 100 * time.Millisecond})
	require.ErrorIs(t, err, store.ErrLocked)
}

func TestOpen_Options(t *testing.T) {
	cases := []struct {
		name    string
		path    func(dir string) string
		wantErr bool
	}{
		{"empty path", func(string) string { return "" }, true},
		{"nested directory is created", func(dir string) string { return filepath.Join(dir, "a", "b", store.FileName) }, false},
		{"path is a directory", func(dir string) string { return dir }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.Open(tc.path(t.TempDir()), store.Options{LockTimeout: 100 * time.Millisecond})
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.NoError(t, db.Close())
		})
	}
}

func TestDB_CloseIdempotent(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { assert.NoError(t, db.Close()) })
	}
	wg.Wait()
	assert.ErrorIs(t, db.View(func(*bolt.Tx) error { return nil }), store.ErrClosed)
	assert.ErrorIs(t, db.Update(func(*bolt.Tx) error { return nil }), store.ErrClosed)
	assert.ErrorIs(t, db.Check(context.Background()), store.ErrClosed)
}

func TestDB_OpenTx(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	require.NoError(t, err)
	defer db.Close()
	err = db.View(func(*bolt.Tx) error {
		assert.Equal(t, 1, db.OpenTx())
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 0, db.OpenTx())
}

func TestDB_Check(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	writeSample(t, path, 2000)
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	defer db.Close()

	require.NoError(t, db.Check(context.Background()))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, db.Check(ctx), context.Canceled)
	assert.Equal(t, 0, db.OpenTx())
	assert.False(t, db.Corrupt())
}

func TestDB_Quota(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	const quota = 256 << 10
	db, err := store.Open(path, store.Options{MaxSize: quota})
	require.NoError(t, err)

	val := make([]byte, 4<<10)
	var written int
	var werr error
	for i := range 1000 {
		werr = db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("data"))
			if err != nil {
				return err
			}
			return b.Put(fmt.Appendf(nil, "k%05d", i), val)
		})
		if werr != nil {
			break
		}
		written++
	}
	require.ErrorIs(t, werr, store.ErrReadOnly)
	assert.True(t, db.ReadOnly())
	t.Logf("quota %d B reached after %d writes of %d B", quota, written, len(val))

	// Later writes fail fast; reads still work.
	assert.ErrorIs(t, db.Update(func(*bolt.Tx) error { return nil }), store.ErrReadOnly)
	var n int
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte("data")).Stats().KeyN
		return nil
	}))
	assert.Equal(t, written, n)
	require.NoError(t, db.Close())

	// Reopening with the same quota still serves reads.
	db, err = store.Open(path, store.Options{MaxSize: quota})
	require.NoError(t, err)
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, written, tx.Bucket([]byte("data")).Stats().KeyN)
		return nil
	}))
	require.NoError(t, db.Close())

	// A bigger quota accepts writes again.
	db, err = store.Open(path, store.Options{MaxSize: 64 << 20})
	require.NoError(t, err)
	defer db.Close()
	assert.False(t, db.ReadOnly())
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("data")).Put([]byte("more"), val)
	}))
}

func TestOpen_QuarantinesCorruptFile(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, path string)
	}{
		{"garbage", func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("not a bbolt file ", 2000)), 0o600))
		}},
		{"both meta pages zeroed", func(t *testing.T, path string) {
			zeroRange(t, path, 0, 2*4096)
		}},
		{"truncated", func(t *testing.T, path string) {
			require.NoError(t, os.Truncate(path, 5*4096+123))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), store.FileName)
			writeSample(t, path, 3000)
			tc.mutate(t, path)

			db, err := store.Open(path, store.Options{})
			require.NoError(t, err)
			defer db.Close()
			moved := db.Quarantined()
			require.NotEmpty(t, moved)
			assert.True(t, strings.HasPrefix(filepath.Base(moved), store.FileName+".corrupt-"), moved)
			assert.FileExists(t, moved)
			require.NoError(t, db.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucket([]byte("fresh"))
				if err != nil {
					return err
				}
				return b.Put([]byte("k"), []byte("v"))
			}))
			require.NoError(t, db.Check(context.Background()))
		})
	}
}

func TestOpen_KeepsNewestQuarantinedFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	for range 5 {
		require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("x", 10000)), 0o600))
		db, err := store.Open(path, store.Options{})
		require.NoError(t, err)
		require.NotEmpty(t, db.Quarantined())
		require.NoError(t, db.Close())
	}
	old, err := filepath.Glob(path + ".corrupt-*")
	require.NoError(t, err)
	assert.Len(t, old, 3)
}

// TestOpen_Mutants opens 200 damaged copies of a real store file, each in
// its own subprocess, so that a fault or a runtime throw inside bbolt is
// counted instead of killing the test.
func TestOpen_Mutants(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 200 subprocesses")
	}
	dir := t.TempDir()
	golden := filepath.Join(dir, "golden.db")
	writeSample(t, golden, 5000)
	orig, err := os.ReadFile(golden)
	require.NoError(t, err)
	t.Logf("golden file: %d bytes", len(orig))

	const count = 200
	type outcome struct {
		kind   string
		res    mutantResult
		crash  string
		output string
	}
	results := make([]outcome, count)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= count {
					return
				}
				rng := rand.New(rand.NewPCG(uint64(i), 0x5eed))
				kind, data := mutate(rng, i, orig)
				path := filepath.Join(dir, fmt.Sprintf("m%03d", i), store.FileName)
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					results[i] = outcome{kind: kind, crash: err.Error()}
					continue
				}
				if err := os.WriteFile(path, data, 0o600); err != nil {
					results[i] = outcome{kind: kind, crash: err.Error()}
					continue
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				out, err := helper(t, ctx, "mutant", path).Output()
				cancel()
				o := outcome{kind: kind, output: string(out)}
				if err != nil {
					o.crash = err.Error()
					var ee *exec.ExitError
					if errors.As(err, &ee) {
						o.output += string(ee.Stderr)
					}
				} else if jerr := json.Unmarshal(out, &o.res); jerr != nil {
					o.crash = "bad helper output: " + jerr.Error()
				}
				results[i] = o
				_ = os.RemoveAll(filepath.Dir(path))
			}
		})
	}
	wg.Wait()

	var crashes, opened, quarantined, readErrs, writeErrs int
	byKind := map[string][2]int{}
	for i, o := range results {
		k := byKind[o.kind]
		switch {
		case o.crash != "":
			crashes++
			t.Errorf("mutant %d (%s): helper crashed: %s\n%s", i, o.kind, o.crash, tail(o.output, 2000))
		case !o.res.Opened:
			t.Errorf("mutant %d (%s): not opened: %s", i, o.kind, o.res.OpenErr)
		case o.res.Quarantined:
			quarantined++
			k[1]++
			assert.Empty(t, o.res.ReadErr, "mutant %d: a rebuilt store must read", i)
			assert.Empty(t, o.res.WriteErr, "mutant %d: a rebuilt store must write", i)
		default:
			opened++
			k[0]++
			if o.res.ReadErr != "" {
				readErrs++
				t.Logf("mutant %d (%s): opened, read error: %s", i, o.kind, o.res.ReadErr)
			}
			if o.res.WriteErr != "" {
				writeErrs++
				t.Logf("mutant %d (%s): opened, write error: %s", i, o.kind, o.res.WriteErr)
			}
		}
		byKind[o.kind] = k
	}
	for kind, k := range byKind {
		t.Logf("%-22s opened %3d  quarantined %3d", kind, k[0], k[1])
	}
	assert.Zero(t, crashes, "host crashes")
	testenv.Figure(t, "store_mutants", "count", count, "host_crashes", crashes,
		"opened", opened, "quarantined", quarantined, "read_errors", readErrs, "write_errors", writeErrs)
}

// mutate returns a damaged copy of orig, cycling through the kinds of
// damage.
func mutate(rng *rand.Rand, i int, orig []byte) (string, []byte) {
	const page = 4096
	b := append([]byte(nil), orig...)
	switch i % 8 {
	case 0, 1:
		n := 1 + rng.IntN(16)
		for range n {
			off := 2*page + rng.IntN(len(b)-2*page)
			b[off] ^= 1 << rng.IntN(8)
		}
		return "bit flips in data", b
	case 2:
		clear(b[:page])
		return "meta 0 zeroed", b
	case 3:
		clear(b[page : 2*page])
		return "meta 1 zeroed", b
	case 4:
		clear(b[:2*page])
		return "both metas zeroed", b
	case 5:
		return "truncated", b[:rng.IntN(len(b))]
	case 6:
		off := rng.IntN(len(b))
		n := min(1+rng.IntN(3*page), len(b)-off)
		for j := range n {
			b[off+j] = byte(rng.Uint32())
		}
		return "random garbage range", b
	default:
		// Flip bits in one page header or element table, where bbolt
		// reads ids, counts and offsets.
		p := 2 + rng.IntN(len(b)/page-2)
		for range 1 + rng.IntN(4) {
			off := p*page + rng.IntN(16+8*16)
			b[off] ^= 1 << rng.IntN(8)
		}
		return "page header bit flips", b
	}
}

// writeSample builds a store file with several buckets (one nested, some
// small enough to be inline), keys values of varied sizes (some spanning
// overflow pages), and some deleted keys so the freelist is not empty.
func writeSample(t *testing.T, path string, keys int) {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	buckets := []string{"timeout_profiles", "wasm_index", "results", "decisions"}
	for start := 0; start < keys; start += 500 {
		require.NoError(t, db.Update(func(tx *bolt.Tx) error {
			for i := start; i < min(start+500, keys); i++ {
				b, err := tx.CreateBucketIfNotExists([]byte(buckets[i%len(buckets)]))
				if err != nil {
					return err
				}
				size := 10 + rng.IntN(200)
				if i%97 == 0 {
					size = 9000 + rng.IntN(5000)
				}
				v := make([]byte, size)
				for j := range v {
					v[j] = byte(rng.Uint32())
				}
				if err := b.Put(fmt.Appendf(nil, "key-%06d", i), v); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		outer, err := tx.CreateBucketIfNotExists([]byte("sessions"))
		if err != nil {
			return err
		}
		for i := range 20 {
			inner, err := outer.CreateBucketIfNotExists(fmt.Appendf(nil, "tenant-%02d", i))
			if err != nil {
				return err
			}
			if err := inner.Put([]byte("cookie"), []byte("v")); err != nil {
				return err
			}
		}
		b := tx.Bucket([]byte("results"))
		for i := 0; i < keys; i += 7 {
			if err := b.Delete(fmt.Appendf(nil, "key-%06d", i)); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, db.Close())
}

func zeroRange(t *testing.T, path string, off, n int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt(make([]byte, n), off)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// A check cut short by Options.CheckTimeout leaves the file in use and
// says so in the log.
func TestOpen_CheckTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	writeSample(t, path, 2000)
	var logs strings.Builder
	db, err := store.Open(path, store.Options{CheckTimeout: time.Nanosecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	defer db.Close()
	assert.Empty(t, db.Quarantined())
	assert.Contains(t, logs.String(), "check did not finish")
	require.NoError(t, db.Check(t.Context()))
}

// TestDB_ConcurrentUse mixes readers, writers, checks and a Close racing
// them; run it with -race.
func TestDB_ConcurrentUse(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 50 {
				var err error
				switch i % 3 {
				case 0:
					err = db.Update(func(tx *bolt.Tx) error {
						b, err := tx.CreateBucketIfNotExists([]byte("c"))
						if err != nil {
							return err
						}
						return b.Put(fmt.Appendf(nil, "%d-%d", g, i), []byte("v"))
					})
				case 1:
					err = db.View(func(tx *bolt.Tx) error {
						if b := tx.Bucket([]byte("c")); b != nil {
							_ = b.Get([]byte("0-0"))
						}
						return nil
					})
				default:
					if i%9 == 2 {
						err = db.Check(context.Background())
					}
				}
				if err != nil && !errors.Is(err, store.ErrClosed) {
					t.Errorf("unexpected error: %v", err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		time.Sleep(5 * time.Millisecond)
		assert.NoError(t, db.Close())
	})
	wg.Wait()
	assert.False(t, db.Corrupt())
}
