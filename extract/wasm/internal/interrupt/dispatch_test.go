package interrupt_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/extract/wasm/internal/interrupt"
	"github.com/riptide-go/riptide/extract/wasm/internal/wasmbin"
)

// Functions in the shape Go compiles every function to: a loop whose body
// opens a block per region, dispatches on a local through a br_table, and
// whose jumps set that local and branch to the loop.

// brTable is br_table labels... default.
func brTable(labels ...uint32) []byte {
	b := wasmbin.U32([]byte{0x0e}, uint32(len(labels)-1))
	for _, l := range labels {
		b = wasmbin.U32(b, l)
	}
	return b
}

// dispatchLoop is "loop; block x n; local.get x; br_table table; end;
// region 1; end; ... region n; end": regions[i] is the code of region
// i+1, which table label i selects. Code in region r (1-based) is nested
// in the loop and n-r blocks, so a branch to the loop from region r's
// top level is br (n-r).
func dispatchLoop(x uint32, table []uint32, regions ...[]byte) []byte {
	n := len(regions)
	b := []byte{0x03, void}
	for range n {
		b = append(b, 0x02, void)
	}
	b = cat(b, get(x), brTable(table...), end)
	for i, r := range regions {
		b = cat(b, r)
		if i < n-1 {
			b = cat(b, end)
		}
	}
	return cat(b, end)
}

// jump is Go's jump to region k: set the dispatch local, branch to the
// loop, depth labels out.
func jump(x uint32, k int32, depth uint32) []byte { return cat(i32c(k), set(x), br(depth)) }

// Locals of the sum functions: 0 the parameter i, 1 the dispatch local,
// 2 the sum.
const (
	li, lx, lacc = 0, 1, 2
)

// sumDispatch returns sum(i..1) in three regions: set-up, the loop's
// test and body (a forward jump out, a backward jump to itself), and the
// return. back is the instruction sequence that jumps from the end of
// region 2 to its top; the honest one is jump(lx, 1, 1).
func sumDispatch(back []byte) []byte {
	return dispatchLoop(lx, []uint32{0, 1, 2, 0},
		cat(i32c(0), set(lacc)), // region 1
		cat( // region 2: open are the loop and one block
			get(li), i32Eqz, ifElse(void, jump(lx, 2, 2), nil),
			get(lacc), get(li), i32Add, set(lacc),
			get(li), i32c(1), i32Sub, set(li),
			back,
		),
		cat(get(lacc), ret), // region 3
	)
}

func dispatchModule(back []byte) func() []byte {
	return func() []byte {
		m := newMod()
		m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
		m.fn(0, []byte{i32, i32}, sumDispatch(back), unreachable)
		m.exports = [][]byte{export("sum", kFunc, 0)}
		return m.bytes()
	}
}

// TestDispatchRuns: dispatch loops give the same results instrumented,
// and the check still runs on every iteration.
func TestDispatchRuns(t *testing.T) {
	orig := dispatchModule(jump(lx, 1, 1))()
	require.NoError(t, compiles(orig))
	out, err := interrupt.Instrument(orig)
	require.NoError(t, err)
	calls := []invocation{inv("sum", 0), inv("sum", 1), inv("sum", 10), inv("sum", 100_000)}
	var before, after checker
	assert.Equal(t, run(t, orig, &before, calls), run(t, out, &after, calls))
	assert.Equal(t, []uint64{5050}, run(t, out, &after, []invocation{inv("sum", 100)})[0].Results)
	assert.GreaterOrEqual(t, after.calls.Load(), int64(100_000/interrupt.Interval))
}

// TestDispatchCounts: the forward jump goes without a check, the jump
// back gets one, and the loop has none at its head.
func TestDispatchCounts(t *testing.T) {
	_, c, err := interrupt.Stats(dispatchModule(jump(lx, 1, 1))())
	require.NoError(t, err)
	assert.Equal(t, interrupt.Counts{Backs: 1, Dispatches: 1, Forward: 1}, c)
}

// TestDispatchStops: every way of branching back to a dispatch loop is
// checked, so an endless loop built with any of them is stopped. Each
// variant loops forever (sum of 2^32-1 numbers, or a jump that never
// reaches the return).
func TestDispatchStops(t *testing.T) {
	forever := uint64(0xffffffff)
	cases := []struct {
		name string
		back []byte
	}{
		{"jump to the own region", jump(lx, 1, 1)},
		{"jump to an earlier region", jump(lx, 0, 1)},
		{"index past the table: the default, an earlier region", jump(lx, 100, 1)},
		{"negative index: the default", jump(lx, -1, 1)},
		{"br_if", cat(i32c(1), set(lx), i32c(1), brIf(1))},
		{"br_table to the loop", cat(i32c(1), set(lx), i32c(0), brTable(1, 1))},
		{"br_table mixing the loop and a block", cat(i32c(1), set(lx), i32c(5), brTable(0, 1))},
		{"another local set last", cat(i32c(1), set(lx), i32c(7), set(lacc), br(1))},
		{"constant not right before the set", cat(i32c(1), i32c(5), drop, set(lx), br(1))},
		{"dispatch local set from a computation", cat(get(li), i32c(0), i32Mul, i32c(1), i32Add, set(lx), br(1))},
		{"from inside a block", cat(block(void, i32c(1), set(lx), br(2)))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mod := dispatchModule(tc.back)()
			require.NoError(t, compiles(mod))
			_, c, err := interrupt.Stats(mod)
			require.NoError(t, err)
			assert.Equal(t, 1, c.Dispatches)
			assert.Equal(t, 1, c.Backs, "the branch back is checked")
			testStops(t, mod, "sum", forever)
		})
	}
}

// TestDispatchForwardOnly: a dispatch loop whose jumps all go forward
// runs a bounded number of instructions and has no check at all.
func TestDispatchForwardOnly(t *testing.T) {
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
	m.fn(0, []byte{i32, i32}, dispatchLoop(lx, []uint32{0, 1, 2, 0},
		cat(get(li), ifElse(void, jump(lx, 2, 3), nil), i32c(10), set(lacc)),
		cat(get(lacc), i32c(1), i32Add, set(lacc), jump(lx, 2, 1)),
		cat(get(lacc), ret),
	), unreachable)
	m.exports = [][]byte{export("f", kFunc, 0)}
	mod := m.bytes()
	_, c, err := interrupt.Stats(mod)
	require.NoError(t, err)
	assert.Equal(t, interrupt.Counts{Dispatches: 1, Forward: 2}, c)
	out, err := interrupt.Instrument(mod)
	require.NoError(t, err)
	var k checker
	assert.Equal(t, []outcome{{Results: []uint64{11}}, {Results: []uint64{0}}}, run(t, out, &k, []invocation{inv("f", 0), inv("f", 1)}))
}

// TestDispatchRecursion: a function in the dispatch shape that calls
// itself gets an entry check, since its loop has none at its head:
// exponential recursion without a single jump back is stopped.
func TestDispatchRecursion(t *testing.T) {
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
	m.fn(0, []byte{i32, i32}, dispatchLoop(lx, []uint32{0, 1, 0},
		cat(get(li), i32c(2), i32LtU, ifElse(void, jump(lx, 1, 2), nil),
			get(li), i32c(1), i32Sub, call(0),
			get(li), i32c(2), i32Sub, call(0),
			i32Add, ret),
		cat(get(li), ret),
	), unreachable)
	m.exports = [][]byte{export("fib", kFunc, 0)}
	mod := m.bytes()
	require.NoError(t, compiles(mod))
	_, c, err := interrupt.Stats(mod)
	require.NoError(t, err)
	assert.Equal(t, interrupt.Counts{Entries: 1, Dispatches: 1, Forward: 1}, c)
	out, err := interrupt.Instrument(mod)
	require.NoError(t, err)
	var k checker
	assert.Equal(t, []uint64{55}, run(t, out, &k, []invocation{inv("fib", 10)})[0].Results)
	testStops(t, mod, "fib", 50)
}

// TestDispatchNested: a dispatch loop inside another one is checked at
// its head like any loop, and a loop that is almost a dispatch loop (a
// label out of its blocks, a block with a type, no br_table) is one.
func TestDispatchNested(t *testing.T) {
	inner := dispatchLoop(3, []uint32{0, 1, 0},
		cat(i32c(1), set(3)),
		cat(i32c(0), set(3), br(0)), // region 2 of the inner loop, back to region 1: the head check counts it
	)
	m := newMod()
	m.types = [][]byte{functype([]byte{i32}, []byte{i32})}
	m.fn(0, []byte{i32, i32, i32}, dispatchLoop(lx, []uint32{0, 0}, cat(inner)), unreachable)
	// Not dispatch loops: a label that leaves the blocks, a typed block,
	// a block without the br_table.
	m.fn(0, []byte{i32}, cat([]byte{0x03, void, 0x02, void}, get(lx), brTable(0, 1), end, br(0), end), unreachable)
	m.fn(0, []byte{i32}, cat([]byte{0x03, void, 0x02, i32}, i32c(0), end, drop, i32c(0), set(lx), br(0), end), unreachable)
	m.fn(0, []byte{i32}, cat([]byte{0x03, void, 0x02, void}, get(lx), drop, end, i32c(0), set(lx), br(0), end), unreachable)
	m.exports = [][]byte{export("nested", kFunc, 0), export("label", kFunc, 1), export("typed", kFunc, 2), export("nobr", kFunc, 3)}
	mod := m.bytes()
	require.NoError(t, compiles(mod))
	_, c, err := interrupt.Stats(mod)
	require.NoError(t, err)
	assert.Equal(t, interrupt.Counts{Loops: 4, Dispatches: 1}, c)
	for _, name := range []string{"nested", "label", "typed", "nobr"} {
		t.Run(name, func(t *testing.T) { testStops(t, mod, name, 0) })
	}
}
