package interrupt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/riptide-go/riptide/extract/wasm/internal/interrupt"
)

// defaultModule is the engine's default guest, built by the Go toolchain.
const defaultModule = "../../default.wasm"

// earlierImport is the import module name that readDefault gives the
// check import of a default module that is already instrumented: as long
// as ImportModule, so that nothing else in the module moves.
const earlierImport = "riptide_interrupX"

// loadDefault returns the default guest. The engine stores it already
// instrumented, when it is generated; loadDefault then renames its check
// import to earlierImport, which makes it a plain module to Instrument:
// the same Go-compiled code, whose earlier checks now call an ordinary
// import.
func loadDefault() ([]byte, error) {
	in, err := os.ReadFile(defaultModule)
	if err != nil || !interrupt.Instrumented(in) {
		return in, err
	}
	if _, err := interrupt.Instrument(in); !errors.Is(err, interrupt.ErrInvalid) {
		return nil, fmt.Errorf("instrumenting an instrumented module: got %v, want ErrInvalid", err)
	}
	imp := func(module string) []byte {
		b := append([]byte{byte(len(module))}, module...)
		return append(append(b, byte(len(interrupt.ImportName))), interrupt.ImportName+"\x00"...)
	}
	if n := bytes.Count(in, imp(interrupt.ImportModule)); n != 1 {
		return nil, fmt.Errorf("%d imports of the check function", n)
	}
	in = bytes.Replace(in, imp(interrupt.ImportModule), imp(earlierImport), 1)
	if interrupt.Instrumented(in) {
		return nil, errors.New("renaming the check import failed")
	}
	return in, nil
}

func readDefault(tb testing.TB) []byte {
	tb.Helper()
	in, err := loadDefault()
	require.NoError(tb, err)
	return in
}

// guest is the instrumented default guest, compiled once per test binary
// (about a second and a half, much more under the race detector).
var guest struct {
	once     sync.Once
	in, out  []byte
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	checks   checker
	earlier  checker // the checks of an already instrumented default guest
	err      error
}

func defaultGuest(t *testing.T) {
	t.Helper()
	guest.once.Do(func() {
		ctx := context.Background()
		if guest.in, guest.err = loadDefault(); guest.err != nil {
			return
		}
		if guest.out, guest.err = interrupt.Instrument(guest.in); guest.err != nil {
			return
		}
		guest.rt = wazero.NewRuntimeWithConfig(ctx, runtimeConfig())
		if _, guest.err = wasi_snapshot_preview1.Instantiate(ctx, guest.rt); guest.err != nil {
			return
		}
		if guest.err = instantiateCheck(ctx, guest.rt, interrupt.ImportModule, &guest.checks); guest.err != nil {
			return
		}
		if guest.err = instantiateCheck(ctx, guest.rt, earlierImport, &guest.earlier); guest.err != nil {
			return
		}
		guest.compiled, guest.err = guest.rt.CompileModule(ctx, guest.out)
	})
	require.NoError(t, guest.err)
}

// TestDefaultGuest: the instrumented default guest compiles, starts and
// answers, calling the check import on the way.
func TestDefaultGuest(t *testing.T) {
	defaultGuest(t)
	assert.True(t, interrupt.Instrumented(guest.out))
	assert.False(t, interrupt.Instrumented(guest.in))

	ctx := context.Background()
	m, err := guest.rt.InstantiateModule(ctx, guest.compiled, wazero.NewModuleConfig().WithStartFunctions())
	require.NoError(t, err)
	defer m.Close(ctx)
	_, err = m.ExportedFunction("_initialize").Call(ctx)
	require.NoError(t, err)
	res, err := m.ExportedFunction("riptide_abi_version").Call(ctx)
	require.NoError(t, err)
	assert.Equal(t, []uint64{1}, res)

	res, err = m.ExportedFunction("riptide_info").Call(ctx)
	require.NoError(t, err)
	info, ok := m.Memory().Read(uint32(res[0]>>32), uint32(res[0]))
	require.True(t, ok)
	var v struct{ Name string }
	require.NoError(t, json.Unmarshal(info, &v), "%q", info)
	assert.NotEmpty(t, v.Name)
	assert.Positive(t, guest.checks.calls.Load(), "the Go runtime's start-up runs long enough to refill")
}

func TestDefaultGuestDeterministic(t *testing.T) {
	defaultGuest(t)
	again, err := interrupt.Instrument(guest.in)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(guest.out, again))
}

func TestDefaultGuestTwice(t *testing.T) {
	defaultGuest(t)
	_, err := interrupt.Instrument(guest.out)
	assert.ErrorIs(t, err, interrupt.ErrInvalid)
}

// TestDefaultGuestChecks counts the checks inserted in the default guest.
func TestDefaultGuestChecks(t *testing.T) {
	in := readDefault(t)
	out, c, err := interrupt.Stats(in)
	require.NoError(t, err)
	t.Logf("default guest: %d bytes -> %d bytes, %d loop checks, %d entry checks, %d dispatch loops, %d branches back to them checked, %d forward unchecked",
		len(in), len(out), c.Loops, c.Entries, c.Dispatches, c.Backs, c.Forward)
	assert.Positive(t, c.Loops)
	assert.Positive(t, c.Entries)
	assert.Positive(t, c.Dispatches, "Go compiles every function to a dispatch loop")
	assert.Positive(t, c.Backs)
	assert.Greater(t, c.Forward, c.Backs, "most of Go's jumps go forward")
}

func BenchmarkInstrument(b *testing.B) {
	in := readDefault(b)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := interrupt.Instrument(in); err != nil {
			b.Fatal(err)
		}
	}
}
