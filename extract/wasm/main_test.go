package wasm_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/riptide-go/riptide/extract/wasm"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(loadChildEnv); dir != "" {
		os.Exit(loadChild(dir))
	}
	code := m.Run()
	closeShared()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// The default module takes about a second of CPU to compile, so the tests
// of this package share one Engine built from it.
var shared struct {
	once sync.Once
	e    *wasm.Engine
	err  error
}

func defaultEngine(t testing.TB) *wasm.Engine {
	t.Helper()
	shared.once.Do(func() {
		// A generous timeout: these tests check results, not time limits,
		// and CI machines can be slow.
		shared.e, shared.err = wasm.New(context.Background(), wasm.WithPool(1, 4), wasm.WithTimeout(time.Minute))
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.e
}

func closeShared() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, e := range []*wasm.Engine{shared.e} {
		if e != nil {
			_ = e.Close(ctx)
		}
	}
	if benchCompiled.dir != "" {
		_ = os.RemoveAll(benchCompiled.dir)
	}
}
