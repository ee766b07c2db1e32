package interrupt_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide/extract/wasm/internal/interrupt"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(closing{m})
}

// closing runs the tests, then closes the shared runtimes before goleak
// looks for goroutines left behind.
type closing struct{ m *testing.M }

func (c closing) Run() int {
	defer closeShared()
	return c.m.Run()
}

// features are the WebAssembly features the test runtimes enable: the
// 2.0 set plus the tail call proposal, which the rewriter decodes and
// wazero runs.
const features = api.CoreFeaturesV2 | experimental.CoreFeaturesTailCall

func runtimeConfig() wazero.RuntimeConfig {
	return wazero.NewRuntimeConfig().WithCloseOnContextDone(false).WithCoreFeatures(features)
}

// compiler is one runtime shared by the tests that only compile modules.
var compiler struct {
	once sync.Once
	rt   wazero.Runtime
}

func compileRuntime() wazero.Runtime {
	compiler.once.Do(func() {
		compiler.rt = wazero.NewRuntimeWithConfig(context.Background(), runtimeConfig())
	})
	return compiler.rt
}

// compiles reports whether wazero compiles module.
func compiles(module []byte) error {
	ctx := context.Background()
	c, err := compileRuntime().CompileModule(ctx, module)
	if err != nil {
		return err
	}
	return c.Close(ctx)
}

func closeShared() {
	ctx := context.Background()
	if compiler.rt != nil {
		_ = compiler.rt.Close(ctx)
	}
	if guest.rt != nil {
		_ = guest.rt.Close(ctx)
	}
}

// checker counts the calls to the check import; once its context is done
// it aborts the guest by panicking with the context's error, which wazero
// returns from the guest call.
type checker struct{ calls atomic.Int64 }

func (c *checker) check(ctx context.Context, _ api.Module, stack []uint64) {
	c.calls.Add(1)
	if err := ctx.Err(); err != nil {
		panic(err)
	}
	stack[0] = interrupt.Interval
}

// instantiateCheck adds a host module named module that exports the
// check function of c to rt.
func instantiateCheck(ctx context.Context, rt wazero.Runtime, module string, c *checker) error {
	_, err := rt.NewHostModuleBuilder(module).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(c.check), nil, []api.ValueType{api.ValueTypeI32}).
		Export(interrupt.ImportName).
		Instantiate(ctx)
	return err
}

// env is the "env" host module the test modules may import:
//
//	env.add1(i32) i32      returns its argument plus one
//	env.base               an immutable i32 global, 1000
//
// wazero host modules export only functions, so env is a small wasm module.
func env() []byte {
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
	add1 := m.fn(0, nil, get(0), i32c(1), i32Add)
	m.globals = [][]byte{global(i32, false, i32c(1000))}
	m.exports = [][]byte{export("add1", kFunc, add1), export("base", kGlobal, 0)}
	return m.bytes()
}

// newRuntime returns a runtime with env and the check module instantiated.
func newRuntime(t testing.TB, c *checker) wazero.Runtime {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, runtimeConfig())
	t.Cleanup(func() { _ = rt.Close(ctx) })
	if err := instantiateCheck(ctx, rt, interrupt.ImportModule, c); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.InstantiateWithConfig(ctx, env(), wazero.NewModuleConfig().WithName("env")); err != nil {
		t.Fatal(err)
	}
	return rt
}
