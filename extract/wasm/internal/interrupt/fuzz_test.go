package interrupt_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/riptide-go/riptide/extract/wasm/internal/interrupt"
)

// FuzzInstrument: Instrument never panics, fails only with its two
// errors, is deterministic, and its output is valid for wazero exactly
// when its input is.
func FuzzInstrument(f *testing.F) {
	for _, tc := range runCases() {
		f.Add(tc.module())
	}
	for _, tc := range bad() {
		f.Add(tc.module)
	}
	f.Add(env())
	f.Add(dispatchModule(jump(lx, 1, 1))())
	f.Add(dispatchModule(cat(i32c(1), set(lx), i32c(5), brTable(0, 1)))())
	for _, s := range samples() {
		m := newMod()
		m.types = [][]byte{functype(nil, nil), functype([]byte{i32}, []byte{i32})}
		m.imports = [][]byte{importFunc("env", "f", 0)}
		m.tables = [][]byte{table(1)}
		m.mems = [][]byte{memory(1)}
		m.globals = [][]byte{global(i32, true, i32c(0))}
		m.fn(0, nil, s.in)
		f.Add(m.bytes())
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := interrupt.Instrument(in)
		if err != nil {
			if !errors.Is(err, interrupt.ErrInvalid) && !errors.Is(err, interrupt.ErrUnsupported) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if !interrupt.Instrumented(out) {
			t.Fatal("output does not import the check function")
		}
		again, _ := interrupt.Instrument(in)
		if !bytes.Equal(out, again) {
			t.Fatal("not deterministic")
		}
		inErr, outErr := compiles(in), compiles(out)
		if inErr == nil && outErr != nil {
			t.Fatalf("wazero compiles the original but not the output: %v", outErr)
		}
		// The rewrite never repairs a module: if it did, it would have
		// read the input differently from wazero.
		if inErr != nil && outErr == nil {
			t.Fatalf("wazero compiles the output but not the original: %v", inErr)
		}
	})
}
