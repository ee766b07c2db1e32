package wasmcache_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/riptide-go/riptide/internal/leb128"
	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/wasmcache"
)

// childEnv makes the test binary act as a second process sharing a cache
// directory (see TestTwoProcesses).
const childEnv = "WASMCACHE_TEST_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(child(dir))
	}
	goleak.VerifyTestMain(m)
}

// child compiles the shared test modules in dir without the store, as a
// second process does while the first holds the store file.
func child(dir string) int {
	c, err := wasmcache.Open(dir, nil, wasmcache.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := range 4 {
		m, err := c.Compile(context.Background(), tinyModule(int32(i)), wasmcache.CompileOptions{ABIVersion: 1})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		_ = m.Close(context.Background())
	}
	_ = c.Close() // writes the hits' records
	return 0
}

// tinyModule is a valid module exporting f() i32 returning v; different v
// give different modules (and keys).
func tinyModule(v int32) []byte {
	body := []byte{0x00, 0x41}
	body = leb128.AppendS64(body, int64(v))
	body = append(body, 0x0b)
	code := append([]byte{0x01, byte(len(body))}, body...)
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
		1, 5, 1, 0x60, 0, 1, 0x7f, // type () -> i32
		3, 2, 1, 0, // one function of type 0
		7, 5, 1, 1, 'f', 0, 0, // export "f"
		10, byte(len(code))}
	return append(out, code...)
}

// openDB opens a store file in a temporary directory, closed at cleanup.
func openDB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// privateDir returns a fresh 0700 directory.
func privateDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "wasm")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// bigModule is tinyModule(v) with n-1 more functions, so that its compiled
// code is larger than the two ends a fingerprint reads.
func bigModule(v int32, n int) []byte {
	var code []byte
	code = uleb(code, uint32(n))
	for i := range n {
		body := []byte{0x00, 0x41}
		body = leb128.AppendS64(body, int64(v))
		for range min(i, 1) * 16 {
			body = append(body, 0x41, 0x01, 0x6a) // i32.const 1; i32.add
		}
		body = append(body, 0x0b)
		code = uleb(code, uint32(len(body)))
		code = append(code, body...)
	}
	funcs := uleb(nil, uint32(n))
	for range n {
		funcs = append(funcs, 0)
	}
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
		1, 5, 1, 0x60, 0, 1, 0x7f, // type () -> i32
		3}
	out = uleb(out, uint32(len(funcs)))
	out = append(out, funcs...)
	out = append(out, 7, 5, 1, 1, 'f', 0, 0, 10)
	out = uleb(out, uint32(len(code)))
	return append(out, code...)
}

func uleb(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
