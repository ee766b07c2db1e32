package interrupt_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/riptide-go/riptide/extract/wasm/internal/wasmbin"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/riptide-go/riptide/extract/wasm/internal/interrupt"
)

// invocation is a call of an exported function.
type invocation struct {
	name string
	args []uint64
}

func inv(name string, args ...uint64) invocation { return invocation{name, args} }

// outcome is what a call returned: its results, or the first line of its
// error (the rest is a stack trace, whose function indices differ).
type outcome struct {
	Results []uint64
	Err     string
}

// runCase is a module, the calls to make, and the least number of check
// calls the instrumented module must make.
type runCase struct {
	name      string
	module    func() []byte
	calls     []invocation
	minChecks int64
}

func runCases() []runCase {
	return []runCase{
		{name: "loop", module: loopModule, calls: []invocation{inv("sum", 0), inv("sum", 10), inv("sum", 1_000_000)}, minChecks: 100},
		{name: "nested loops", module: nestedLoopModule, calls: []invocation{inv("grid", 3), inv("grid", 1000)}, minChecks: 100},
		{name: "loop first", module: loopFirstModule, calls: []invocation{inv("countdown", 1), inv("countdown", 1_000_000)}, minChecks: 99},
		{name: "shifted calls", module: chainModule, calls: []invocation{inv("chain", 5), inv("f130", 1), inv("add1", 1)}},
		{name: "tail calls", module: tailCallModule, calls: []invocation{inv("down", 1_000_000), inv("down2", 100_000)}, minChecks: 109},
		{name: "element segments", module: elementModule, calls: []invocation{
			inv("init"), inv("at", 0), inv("at", 1), inv("at", 2), inv("at", 3), inv("at", 4),
			inv("at", 5), inv("at", 6), inv("at", 7), inv("at", 8),
		}},
		{name: "exports and start", module: startModule, calls: []invocation{inv("get"), inv("add1", 1), inv("start"), inv("get")}},
		{name: "ref.func in globals", module: globalsModule, calls: []invocation{inv("use"), inv("isnull")}},
		{name: "name section", module: namedModule, calls: []invocation{inv("double", 21), inv("add1", 1)}},
		{name: "multi-value", module: multiValueModule, calls: []invocation{inv("down", 30_001), inv("pair")}, minChecks: 3},
		{name: "bulk memory and references", module: bulkModule, calls: []invocation{inv("run"), inv("run")}},
		{name: "trap", module: trapModule, calls: []invocation{inv("trap")}},
	}
}

// TestInstrumentRuns runs each module and its instrumented copy in wazero:
// same results, and the copy calls the check import.
func TestInstrumentRuns(t *testing.T) {
	for _, tc := range runCases() {
		t.Run(tc.name, func(t *testing.T) {
			orig := tc.module()
			require.NoError(t, compiles(orig), "the test module itself is valid")
			out, err := interrupt.Instrument(orig)
			require.NoError(t, err)
			assert.False(t, interrupt.Instrumented(orig))
			assert.True(t, interrupt.Instrumented(out))

			var before, after checker
			want := run(t, orig, &before, tc.calls)
			got := run(t, out, &after, tc.calls)
			assert.Equal(t, want, got)
			assert.Zero(t, before.calls.Load())
			assert.GreaterOrEqual(t, after.calls.Load(), tc.minChecks, "check calls")
		})
	}
}

// run instantiates module in a fresh runtime and makes the calls.
func run(t *testing.T, module []byte, c *checker, calls []invocation) []outcome {
	t.Helper()
	ctx := context.Background()
	rt := newRuntime(t, c)
	m, err := rt.InstantiateWithConfig(ctx, module, wazero.NewModuleConfig().WithName("guest"))
	require.NoError(t, err)
	var outs []outcome
	for _, call := range calls {
		fn := m.ExportedFunction(call.name)
		require.NotNil(t, fn, call.name)
		res, err := fn.Call(ctx, call.args...)
		o := outcome{Results: res}
		if err != nil {
			o.Err, _, _ = strings.Cut(err.Error(), "\n")
		}
		outs = append(outs, o)
	}
	return outs
}

// TestCheckCount: fuel starts at Interval and each check takes one, so
// after N checks (loop iterations plus function entries) the guest has
// called the host (N-1)/Interval times.
func TestCheckCount(t *testing.T) {
	out, err := interrupt.Instrument(loopModule())
	require.NoError(t, err)
	for _, n := range []uint64{0, 9_998, 9_999, 19_998, 19_999, 1_000_000} {
		var c checker
		outs := run(t, out, &c, []invocation{inv("sum", n)})
		require.Empty(t, outs[0].Err)
		checks := int64(n) + 1 // the loop header n+1 times; the loop comes first: no entry check
		assert.Equal(t, (checks-1)/interrupt.Interval, c.calls.Load(), "n=%d", n)
	}
}

func TestChecksInserted(t *testing.T) {
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32}), functype(nil, nil)}
	m.globals = [][]byte{global(i32, true, i32c(0))}
	m.mems = [][]byte{memory(1)}
	const callee = 0
	m.fn(1, nil) // the callee
	// No call: no entry check, whatever comes first.
	m.fn(0, nil, get(0))
	m.fn(0, nil, i32c(1), ifElse(void, nil, nil), loop(void), get(0))
	// A call, but the loop first: no entry check.
	m.fn(0, nil, loop(void, call(callee)), get(0))
	m.fn(0, []byte{i32}, block(void, loop(void, loop(void))), call(callee), get(0))
	// Go's shape: frame set-up, blocks, then the loop: no entry check.
	m.fn(0, []byte{i32, i64}, gget(0), set(1), i64c(1<<40), set(2),
		get(1), i32c(8), i32Sub, gset(0), get(1), get(1), i32Store,
		block(void, get(0), block(0, loop(void, call(callee))), drop), get(0))
	// A call, and before the loop a call, a branch, a return, an if, a
	// trap, memory.grow: an entry check each.
	for _, prefix := range [][]byte{
		call(callee), cat(i32c(0), brIf(0)), br(0), cat(i32c(0), ret), cat(i32c(1), ifElse(void, nil, nil)),
		unreachable, cat(i32c(1), memoryGrow, drop),
	} {
		m.fn(0, nil, block(void, prefix, loop(void)), call(callee), get(0))
	}
	// A long prefix (Go's functions open a block per resume point).
	long := make([][]byte, 0, 500)
	for range 500 {
		long = append(long, []byte{0x02, void}) // block
	}
	m.fn(0, nil, cat(long...), loop(void, call(callee)), bytes.Repeat(end, 500), get(0))
	// Calls through a table and tail calls count as calls.
	m.tables = [][]byte{table(1)}
	m.fn(0, nil, i32c(0), callIndirect(1, 0), get(0))
	m.fn(0, nil, get(0), returnCall(callee+1))
	m.fn(0, nil, get(0), i32c(0), returnCallIndirect(0, 0))
	require.NoError(t, compiles(m.bytes()), "the test module itself is valid")
	_, c, err := interrupt.Stats(m.bytes())
	require.NoError(t, err)
	assert.Equal(t, 1+1+2+1+7+1, c.Loops)
	assert.Equal(t, 7+3, c.Entries)
}

// TestStopsRecursionLoopFirst: a function whose entry check is left out
// because its loop comes first is still stopped when it recurses without
// iterating (the loop's check counts each call).
func TestStopsRecursionLoopFirst(t *testing.T) {
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
	m.fn(0, nil, block(i32, loop(i32,
		get(0), i32c(2), i32LtU, ifElse(void, cat(get(0), ret), nil),
		get(0), i32c(1), i32Sub, call(0),
		get(0), i32c(2), i32Sub, call(0),
		i32Add,
	)))
	m.exports = [][]byte{export("fib", kFunc, 0)}
	_, c, err := interrupt.Stats(m.bytes())
	require.NoError(t, err)
	require.Equal(t, 1, c.Loops)
	require.Zero(t, c.Entries, "the loop comes first")
	testStops(t, m.bytes(), "fib", 40)
}

// TestStopsInfiniteLoop: once the context is cancelled, the next check
// aborts the guest.
func TestStopsInfiniteLoop(t *testing.T) {
	m := newMod()
	m.types = [][]byte{functype(nil, nil)}
	m.fn(0, nil, loop(void, br(0)))
	m.exports = [][]byte{export("spin", kFunc, 0)}
	testStops(t, m.bytes(), "spin")
}

// TestStopsRecursion: exponential recursion without a loop, through
// call_indirect and a direct call, is stopped by the entry checks.
func TestStopsRecursion(t *testing.T) {
	testStops(t, fibModule(), "fib", 40)
}

func testStops(t *testing.T, module []byte, name string, args ...uint64) {
	out, err := interrupt.Instrument(module)
	require.NoError(t, err)
	var c checker
	rt := newRuntime(t, &c)
	m, err := rt.Instantiate(context.Background(), out)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	timer := time.AfterFunc(50*time.Millisecond, func() {
		cancelled <- time.Now()
		cancel()
	})
	defer timer.Stop()
	_, err = m.ExportedFunction(name).Call(ctx, args...)
	stopped := time.Now()
	require.Error(t, err, "the guest was stopped")
	assert.ErrorIs(t, err, context.Canceled)
	at := <-cancelled
	t.Logf("stopped %v after the cancel", stopped.Sub(at))
	assert.Less(t, stopped.Sub(at), 100*time.Millisecond, "time from cancel to return")
	assert.Positive(t, c.calls.Load())
}

func TestNameSection(t *testing.T) {
	orig := namedModule()
	out, err := interrupt.Instrument(orig)
	require.NoError(t, err)
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, runtimeConfig())
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, out)
	require.NoError(t, err)

	assert.Equal(t, "named", cm.Name())
	double := cm.ExportedFunctions()["double"]
	require.NotNil(t, double)
	assert.Equal(t, "double", double.Name())
	assert.Equal(t, []string{"x"}, double.ParamNames())
	imported := map[string]string{}
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		imported[mod+"."+name] = f.Name()
	}
	assert.Equal(t, map[string]string{"env.add1": "add1", "riptide_interrupt.check": "riptide_interrupt.check"}, imported)
	assert.Contains(t, string(out), string(producers), "other custom sections are kept")
	assert.NotContains(t, string(out), "typename", "unknown name subsections are dropped")
}

// TestAddsSections: a module without type, import or global sections gets
// them, in the right order.
func TestAddsSections(t *testing.T) {
	for _, tc := range []struct {
		name   string
		module []byte
	}{
		{"empty", newMod().bytes()},
		{"custom only", cat(newMod().bytes(), producers)},
		{"memory and data", func() []byte {
			m := newMod()
			m.mems = [][]byte{memory(1)}
			m.datas = [][]byte{cat([]byte{0}, i32c(0), end, str(nil, "x"))}
			m.custom = [][]byte{producers}
			return m.bytes()
		}()},
		{"no globals", loopModule()},
		// wazero refuses an empty custom section at the very end; the
		// added sections go before it, so it stays there.
		{"empty custom section at the end", []byte("\x00asm\x01\x00\x00\x00\x00\x04\x03abc")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := interrupt.Instrument(tc.module)
			require.NoError(t, err)
			require.Equal(t, compiles(tc.module) == nil, compiles(out) == nil)
			if compiles(out) != nil {
				return
			}
			assert.True(t, interrupt.Instrumented(out))
			if bytes.HasSuffix(tc.module, producers) {
				assert.True(t, bytes.HasSuffix(out, producers), "trailing custom sections stay last")
			}
			var c checker
			rt := newRuntime(t, &c)
			_, err = rt.Instantiate(context.Background(), out)
			require.NoError(t, err)
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, tc := range runCases() {
		a, err := interrupt.Instrument(tc.module())
		require.NoError(t, err)
		b, err := interrupt.Instrument(tc.module())
		require.NoError(t, err)
		assert.Equal(t, a, b, tc.name)
	}
}

// TestInputUnchanged: Instrument does not write to its argument.
func TestInputUnchanged(t *testing.T) {
	in := chainModule()
	keep := append([]byte(nil), in...)
	_, err := interrupt.Instrument(in)
	require.NoError(t, err)
	assert.Equal(t, keep, in)
}

func TestTwiceRefused(t *testing.T) {
	out, err := interrupt.Instrument(loopModule())
	require.NoError(t, err)
	_, err = interrupt.Instrument(out)
	assert.ErrorIs(t, err, interrupt.ErrInvalid)
	assert.False(t, errors.Is(err, interrupt.ErrUnsupported))
}

// Test modules.

func loopModule() []byte {
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
	m.fn(0, []byte{i32, i32}, // acc, i
		block(void, loop(void,
			get(0), get(2), i32Eq, brIf(1),
			get(1), get(2), i32Add, set(1),
			get(2), i32c(1), i32Add, set(2),
			br(0),
		)),
		get(1),
	)
	m.exports = [][]byte{export("sum", kFunc, 0)}
	return m.bytes()
}

func nestedLoopModule() []byte {
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
	m.fn(0, []byte{i32, i32, i32}, // i, j, acc
		block(void, loop(void,
			get(1), get(0), i32Eq, brIf(1),
			i32c(0), set(2),
			block(void, loop(void,
				get(2), get(0), i32Eq, brIf(1),
				get(3), i32c(1), i32Add, set(3),
				get(2), i32c(1), i32Add, set(2),
				br(0),
			)),
			get(1), i32c(1), i32Add, set(1),
			br(0),
		)),
		get(3),
	)
	m.exports = [][]byte{export("grid", kFunc, 0)}
	return m.bytes()
}

func loopFirstModule() []byte {
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
	m.fn(0, nil, loop(void, get(0), i32c(1), i32Sub, tee(0), brIf(0)), get(0))
	m.exports = [][]byte{export("countdown", kFunc, 0)}
	return m.bytes()
}

// chainModule: 140 functions, each adding one (through the imported
// env.add1) to the next one's result, so that calls cross index 127,
// where the shifted index needs one more LEB128 byte.
func chainModule() []byte {
	const n = 140
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
	m.imports = [][]byte{importFunc("env", "add1", 0), importGlobal("env", "base", i32, false)}
	for j := uint32(0); j < n; j++ {
		if j < n-1 {
			m.fn(0, nil, get(0), call(1+j+1), call(0))
		} else {
			m.fn(0, nil, get(0), gget(0), i32Add)
		}
	}
	m.exports = [][]byte{export("chain", kFunc, 1), export("f130", kFunc, 131), export("add1", kFunc, 0)}
	return m.bytes()
}

func tailCallModule() []byte {
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
	m.imports = [][]byte{importFunc("env", "add1", 0)}
	m.tables = [][]byte{table(1)}
	m.fn(0, nil, // 1: down
		get(0), i32Eqz, ifElse(void, cat(i32c(42), ret), nil),
		get(0), i32c(1), i32Sub, returnCall(1))
	m.fn(0, nil, // 2: down2, through the table
		get(0), i32Eqz, ifElse(void, cat(i32c(7), ret), nil),
		get(0), i32c(1), i32Sub, i32c(0), returnCallIndirect(0, 0))
	m.elems = [][]byte{cat([]byte{0}, i32c(0), end, wasmbin.U32(nil, 1), wasmbin.U32(nil, 2))}
	m.exports = [][]byte{export("down", kFunc, 1), export("down2", kFunc, 2)}
	return m.bytes()
}

// elementModule fills a table through every form of element segment and
// calls through it.
func elementModule() []byte {
	m := newMod()
	m.types = [][]byte{
		functype(nil, []byte{i32}),
		functype([]byte{i32}, []byte{i32}),
		functype(nil, nil),
	}
	m.imports = [][]byte{importFunc("env", "add1", 1)}
	m.tables = [][]byte{table(8)}
	var c [8]uint32
	for k := range c {
		c[k] = 1 + m.fn(0, nil, i32c(int32(100+k)), call(0))
	}
	init := 1 + m.fn(2, nil,
		i32c(5), i32c(0), i32c(1), fc(12, 4, 0), fc(13, 4), // table.init from passive funcs, elem.drop
		i32c(6), i32c(0), i32c(1), fc(12, 5, 0), // table.init from passive expressions
		i32c(7), refFunc(c[7]), []byte{0x26, 0x00}, // table.set of a declared function
	)
	at := 1 + m.fn(1, nil, get(0), callIndirect(0, 0))
	refExpr := func(f uint32) []byte { return cat(refFunc(f), end) }
	m.elems = [][]byte{
		cat([]byte{0}, i32c(0), end, wasmbin.U32(nil, 1), wasmbin.U32(nil, c[0])),
		cat([]byte{2, 0}, i32c(1), end, []byte{0}, wasmbin.U32(nil, 1), wasmbin.U32(nil, c[1])),
		cat([]byte{4}, i32c(2), end, wasmbin.U32(nil, 1), refExpr(c[2])),
		cat([]byte{6, 0}, i32c(3), end, []byte{funcref}, wasmbin.U32(nil, 2), refExpr(c[3]), refExpr(c[4])),
		cat([]byte{1, 0}, wasmbin.U32(nil, 1), wasmbin.U32(nil, c[5])),
		cat([]byte{5, funcref}, wasmbin.U32(nil, 2), refExpr(c[6]), []byte{0xd0, funcref, 0x0b}),
		cat([]byte{3, 0}, wasmbin.U32(nil, 1), wasmbin.U32(nil, c[7])),
		cat([]byte{7, funcref}, wasmbin.U32(nil, 1), refExpr(c[6])),
	}
	m.exports = [][]byte{export("init", kFunc, init), export("at", kFunc, at)}
	return m.bytes()
}

func startModule() []byte {
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32}), functype(nil, nil), functype(nil, []byte{i32})}
	m.imports = [][]byte{importFunc("env", "add1", 0)}
	m.globals = [][]byte{global(i32, true, i32c(0))}
	m.fn(0, nil, get(0))                                                   // 1: unused
	start := 1 + m.fn(1, nil, gget(0), i32c(41), i32Add, call(0), gset(0)) // 2
	get := 1 + m.fn(2, nil, gget(0))                                       // 3
	m.start = int(start)
	m.exports = [][]byte{
		export("get", kFunc, get), export("start", kFunc, start),
		export("add1", kFunc, 0), export("g", kGlobal, 0),
	}
	return m.bytes()
}

func globalsModule() []byte {
	m := newMod()
	m.types = [][]byte{functype(nil, []byte{i32})}
	m.imports = [][]byte{
		importGlobal("env", "base", i32, false),
		importFunc("env", "add1", 1), // type 1 is added below
	}
	m.types = append(m.types, functype([]byte{i32}, []byte{i32}))
	m.tables = [][]byte{table(2)}
	a := 1 + m.fn(0, nil, gget(2), gget(3), i32Add)
	m.globals = [][]byte{
		global(funcref, false, refFunc(a)),            // 1
		global(i32, false, gget(0)),                   // 2
		global(i32, false, i32c(5)),                   // 3
		global(funcref, false, []byte{0xd0, funcref}), // 4
	}
	use := 1 + m.fn(0, nil, i32c(0), gget(1), []byte{0x26, 0x00}, i32c(0), callIndirect(0, 0), call(0))
	isnull := 1 + m.fn(0, nil, gget(4), []byte{0xd1})
	m.exports = [][]byte{export("use", kFunc, use), export("isnull", kFunc, isnull)}
	return m.bytes()
}

// TestExtendedConstGlobal: a global initialised by an extended constant
// expression (global.get, i32.const, i32.add) is carried over unchanged.
// The runtime the engine pins does not run that proposal, so the check is
// on the bytes.
func TestExtendedConstGlobal(t *testing.T) {
	m := newMod()
	m.types = [][]byte{functype(nil, []byte{i32})}
	m.imports = [][]byte{importGlobal("env", "base", i32, false)}
	ext := global(i32, false, gget(0), i32c(5), i32Add)
	m.globals = [][]byte{ext}
	f := m.fn(0, nil, gget(1))
	m.exports = [][]byte{export("get", kFunc, f)}
	out, err := interrupt.Instrument(m.bytes())
	require.NoError(t, err)
	assert.True(t, interrupt.Instrumented(out))
	assert.Contains(t, string(out), string(ext), "the extended constant expression is kept")

	// Any other instruction in a global's initialiser is not rewritten
	// (the engine then leaves the module to wazero's own checks).
	m.globals = [][]byte{global(i32, false, gget(0), i32c(5), []byte{0x6d})} // i32.div_s
	_, err = interrupt.Instrument(m.bytes())
	assert.ErrorIs(t, err, interrupt.ErrUnsupported)
}

// producers is a custom section that Instrument keeps as it is.
var producers = customSection("producers", str(wasmbin.U32(nil, 1), "language"))

func namedModule() []byte {
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
	m.imports = [][]byte{importFunc("env", "add1", 0)}
	double := 1 + m.fn(0, nil, get(0), get(0), i32Add)
	m.exports = [][]byte{export("double", kFunc, double), export("add1", kFunc, 0)}
	sub := func(id byte, content []byte) []byte {
		return cat([]byte{id}, wasmbin.U32(nil, uint32(len(content))), content)
	}
	names := cat(
		sub(0, str(nil, "named")),
		sub(1, cat(wasmbin.U32(nil, 2), wasmbin.U32(nil, 0), str(nil, "add1"), wasmbin.U32(nil, double), str(nil, "double"))),
		sub(2, cat(wasmbin.U32(nil, 1), wasmbin.U32(nil, double), wasmbin.U32(nil, 1), wasmbin.U32(nil, 0), str(nil, "x"))),
		sub(4, cat(wasmbin.U32(nil, 1), wasmbin.U32(nil, 0), str(nil, "typename"))),
	)
	m.custom = [][]byte{producers, customSection("name", names)}
	return m.bytes()
}

func multiValueModule() []byte {
	m := newMod()
	m.types = [][]byte{
		functype([]byte{i32}, []byte{i32}),
		functype(nil, []byte{i32, i32}),
		functype(nil, []byte{i32}),
	}
	down := m.fn(0, []byte{i32},
		get(0), []byte{0x03, 0x00}, // loop (type 0): (i32) -> (i32)
		i32c(1), i32Sub, tee(1), get(1), brIf(0),
		end)
	pair := m.fn(2, nil, []byte{0x02, 0x01}, i32c(3), i32c(4), end, i32Add) // block (type 1)
	m.exports = [][]byte{export("down", kFunc, down), export("pair", kFunc, pair)}
	return m.bytes()
}

// bulkModule uses bulk memory, table and reference instructions, the
// saturating conversions, sign extension, typed select and locals of
// every type.
func bulkModule() []byte {
	m := newMod()
	m.types = [][]byte{functype(nil, []byte{i32})}
	m.tables = [][]byte{table(2)}
	m.mems = [][]byte{memory(1)}
	m.dataCount = true
	m.datas = [][]byte{
		cat([]byte{0}, i32c(0), end, str(nil, "hello")),
		cat([]byte{1}, str(nil, "world")),
		cat([]byte{2, 0}, i32c(16), end, str(nil, "!!!!")),
	}
	f32 := func(v float32) []byte {
		b := math.Float32bits(v)
		return []byte{0x43, byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24)}
	}
	m.fn(0, []byte{i32, i64, 0x7d, 0x7c, funcref, 0x6f},
		i32c(8), i32c(0), i32c(5), fc(8, 1, 0), fc(9, 1), // memory.init, data.drop
		i32c(32), i32c(0), i32c(8), fc(10, 0, 0), // memory.copy
		i32c(40), i32c(0x41), i32c(4), fc(11, 0), // memory.fill
		i32c(32), i32Load, i32c(36), i32Load, i32Add, i32c(40), i32Load, i32Add,
		i32c(16), []byte{0x2d, 0x00, 0x00}, i32Add, // i32.load8_u
		i32c(0xff), []byte{0xc0}, i32Add, // i32.extend8_s
		f32(1e10), fc(0), i32Add, // i32.trunc_sat_f32_s
		i32c(1), i32c(2), get(0), []byte{0x1c, 0x01, i32}, i32Add, // typed select
		[]byte{0x3f, 0x00}, i32Add, // memory.size
		[]byte{0xd0, funcref}, i32c(1), fc(15, 0), i32Add, // table.grow
		fc(16, 0), i32Add, // table.size
		i32c(0), []byte{0xd0, funcref}, i32c(1), fc(17, 0), // table.fill
		i32c(1), i32c(0), i32c(1), fc(14, 0, 0), // table.copy
		i32c(1), []byte{0x25, 0x00}, []byte{0xd1}, i32Add, // table.get, ref.is_null
		get(1), i64c(1), i64Add, []byte{0xa7}, i32Add, // i32.wrap_i64
	)
	m.exports = [][]byte{export("run", kFunc, 0)}
	return m.bytes()
}

func trapModule() []byte {
	m := newMod()
	m.types = [][]byte{functype(nil, nil)}
	m.fn(0, nil, []byte{0x00})
	m.exports = [][]byte{export("trap", kFunc, 0)}
	return m.bytes()
}

// fibModule: fib(n) through two functions that call each other, one
// directly and one through a table, without a loop.
func fibModule() []byte {
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
	m.imports = [][]byte{importFunc("env", "add1", 0)}
	m.tables = [][]byte{table(1)}
	fib := func(next []byte) []byte {
		return cat(
			get(0), i32c(2), i32LtU, ifElse(void, cat(get(0), ret), nil),
			get(0), i32c(1), i32Sub, next,
			get(0), i32c(2), i32Sub, next,
			i32Add,
		)
	}
	a := 1 + m.fn(0, nil, fib(cat(i32c(0), callIndirect(0, 0))))
	b := 1 + m.fn(0, nil, fib(call(a)))
	m.elems = [][]byte{cat([]byte{0}, i32c(0), end, wasmbin.U32(nil, 1), wasmbin.U32(nil, b))}
	m.exports = [][]byte{export("fib", kFunc, a)}
	return m.bytes()
}
