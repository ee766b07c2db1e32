package wasm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm"
	"github.com/riptide-go/riptide/extract/wasm/internal/wasmbin"
	"github.com/riptide-go/riptide/internal/testenv"
)

// A request over bigRequest bytes triggers a hostile guest's bad path; a
// small one gets a good response, which shows the Engine recovered with a
// fresh instance.
const bigRequest = 1000

var (
	bigHTML   = []byte("<html><body><p>" + strings.Repeat("hostile ", 250) + "</p></body></html>")
	smallHTML = []byte("<p>ok</p>")
)

// bad wraps a hostile body so it runs only for big requests.
func bad(body []byte) []byte {
	return wasmbin.IfParamOver(1, bigRequest, wasmbin.I64, body, wasmbin.Packed(offDoc, uint32(len(fixDoc))))
}

const testTimeout = 150 * time.Millisecond

// TestHostileExtract runs guests that misbehave inside riptide_extract or
// riptide_alloc. Each gives a typed error, and the next extraction on the
// same Engine succeeds.
func TestHostileExtract(t *testing.T) {
	cases := []struct {
		name  string
		spec  guestSpec
		want  []error
		fault bool
	}{
		{"infinite loop", guestSpec{extract: bad(wasmbin.Cat(wasmbin.Loop, wasmbin.Unreachable))},
			[]error{wasm.ErrTimeout, context.DeadlineExceeded}, true},
		{"memory.grow until it fails", guestSpec{extract: bad(wasmbin.Cat(wasmbin.GrowUntilFail(16), wasmbin.Packed(offErr, uint32(len(fixErr)))))},
			[]error{extract.ErrResourceLimit}, false},
		{"huge pointer", guestSpec{extract: bad(wasmbin.Packed(0xffff0000, 64))},
			[]error{wasm.ErrBadPointer}, true},
		{"huge length", guestSpec{extract: bad(wasmbin.Packed(offDoc, 0x7fffffff))},
			[]error{wasm.ErrBadPointer}, true},
		{"length past memory end", guestSpec{extract: bad(wasmbin.Packed(2*65536-8, 64))},
			[]error{wasm.ErrBadPointer}, true},
		{"null response", guestSpec{extract: bad(wasmbin.I64Const(0))},
			[]error{wasm.ErrBadPointer}, true},
		{"unreachable", guestSpec{extract: bad(wasmbin.Unreachable)},
			[]error{wasm.ErrTrap}, true},
		// Stack overflow or the deadline, whichever comes first.
		{"unbounded recursion", guestSpec{extract: bad(wasmbin.Cat(wasmbin.LocalGet(0), wasmbin.LocalGet(1), wasmbin.Call(4)))},
			nil, true},
		{"garbage response", guestSpec{extract: bad(wasmbin.Packed(offGarbage, uint32(len(fixGarbage))))},
			[]error{wasm.ErrBadResponse}, true},
		{"alloc out of bounds", guestSpec{alloc: wasmbin.IfParamOver(0, bigRequest, wasmbin.I32, wasmbin.I32Const(-65536), wasmbin.I32Const(offAlloc))},
			[]error{wasm.ErrBadPointer}, true},
		{"alloc loops", guestSpec{alloc: wasmbin.IfParamOver(0, bigRequest, wasmbin.I32, wasmbin.Cat(wasmbin.Loop, wasmbin.Unreachable), wasmbin.I32Const(offAlloc))},
			[]error{wasm.ErrTimeout}, true},
	}
	var maxOverrun, recursion time.Duration
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e, err := wasm.New(ctx, wasm.Module(guest(tc.spec)),
				wasm.WithMemoryLimit(4<<20), wasm.WithTimeout(testTimeout),
				wasm.WithRecycle(0, 1<<20), wasm.WithPool(1, 2))
			require.NoError(t, err)
			defer func() { require.NoError(t, e.Close(ctx)) }()

			start := time.Now()
			doc, err := e.Extract(ctx, extract.Input{HTML: bigHTML})
			took := time.Since(start)
			require.Error(t, err)
			assert.Nil(t, doc)
			for _, w := range tc.want {
				assert.ErrorIs(t, err, w)
			}
			if tc.want == nil {
				assert.True(t, errors.Is(err, wasm.ErrTrap) || errors.Is(err, wasm.ErrTimeout), err)
			}
			switch {
			case tc.want == nil:
				// Recursion without a loop is only stopped by a stack
				// overflow or at its next loop header (wazero #2533);
				// reported apart from the loop overrun.
				recursion = took
			case errors.Is(err, wasm.ErrTimeout):
				maxOverrun = max(maxOverrun, took-testTimeout)
				assert.Less(t, took, testTimeout+time.Second, "timeout enforced")
			}
			t.Logf("%s (%s): %v", tc.name, took.Round(time.Millisecond), err)

			doc, err = e.Extract(ctx, extract.Input{HTML: smallHTML})
			require.NoError(t, err, "the next extraction gets a healthy instance")
			assert.Equal(t, "tiny guest", doc.Text)
			s := e.Stats()
			if tc.fault {
				assert.Equal(t, int64(1), s.Faults)
			} else {
				assert.Equal(t, int64(1), s.GuestErrors)
			}
		})
	}
	n := len(cases) + len(hostileLoadCases())
	testenv.Figure(t, "wasm_hostile", "count", n, "panics", 0, "max_overrun_ms", maxOverrun.Milliseconds(), "recursion_stop_ms", recursion.Milliseconds())
}

type loadCase struct {
	name string
	mod  []byte
	want error
	msg  string
}

func hostileLoadCases() []loadCase {
	return []loadCase{
		{"missing riptide_extract", guest(guestSpec{omit: "riptide_extract"}), wasm.ErrMissingExport, "riptide_extract"},
		{"missing riptide_alloc", guest(guestSpec{omit: "riptide_alloc"}), wasm.ErrMissingExport, "riptide_alloc"},
		{"missing memory", guest(guestSpec{omit: "memory"}), wasm.ErrMissingExport, "memory"},
		{"wrong abi version", guest(guestSpec{abi: 2}), wasm.ErrABIVersion, "speaks 2"},
		{"trap in start function", guest(guestSpec{start: wasmbin.Unreachable}), wasm.ErrInstantiate, "unreachable"},
		{"loop in start function", guest(guestSpec{start: wasmbin.Loop}), wasm.ErrTimeout, "start function"},
		{"loop in start section", guest(guestSpec{startSection: wasmbin.Loop}), wasm.ErrTimeout, "start function"},
		{"info out of bounds", guest(guestSpec{info: wasmbin.Packed(0xfff00000, 10)}), wasm.ErrBadPointer, "riptide_info"},
		{"memory over the limit", guest(guestSpec{pages: 128}), wasm.ErrCompile, "over limit"},
		{"not wasm", []byte("\x00asm\x01\x00\x00\x00garbage"), wasm.ErrCompile, ""},
	}
}

// TestHostileLoad runs modules that New must refuse with a clear error.
func TestHostileLoad(t *testing.T) {
	for _, tc := range hostileLoadCases() {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e, err := wasm.New(ctx, wasm.Module(tc.mod), wasm.WithMemoryLimit(4<<20), wasm.WithTimeout(testTimeout))
			if e != nil {
				_ = e.Close(ctx)
			}
			require.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.msg)
			t.Logf("%s: %v", tc.name, err)
		})
	}
}

// TestHostHealthyAfterHostile: after the hostile guests, the default module
// still extracts in this process.
func TestHostHealthyAfterHostile(t *testing.T) {
	in := extract.Input{HTML: []byte("<html><body><article><h1>Title</h1><p>Still fine.</p></article></body></html>")}
	want, err := (&extract.Native{}).Extract(context.Background(), in)
	require.NoError(t, err)
	doc, err := defaultEngine(t).Extract(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, want.Text, doc.Text)
}
