package dataseg_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/riptide-go/riptide/extract/wasm/internal/dataseg"
	"github.com/riptide-go/riptide/extract/wasm/internal/wasmbin"
	"github.com/riptide-go/riptide/internal/leb128"
)

// module is a one-page memory, exported as "memory", with segs.
func module(segs ...wasmbin.Data) []byte {
	m := wasmbin.Module{
		Memory:  &wasmbin.Memory{Min: 1},
		Exports: []wasmbin.Export{{Name: "memory", Kind: wasmbin.KindMemory}},
		Data:    segs,
	}
	return m.Bytes()
}

// memory instantiates mod in wazero and returns its initial memory.
func memory(t *testing.T, mod []byte) []byte {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	inst, err := rt.InstantiateWithConfig(ctx, mod, wazero.NewModuleConfig().WithStartFunctions())
	require.NoError(t, err)
	mem := inst.ExportedMemory("memory")
	b, ok := mem.Read(0, mem.Size())
	require.True(t, ok)
	return bytes.Clone(b)
}

func TestMergeGapRule(t *testing.T) {
	in := module(
		wasmbin.Data{Offset: 100, Bytes: []byte("abcd")},
		wasmbin.Data{Offset: 136, Bytes: []byte("efgh")}, // 32 zeros after the first
		wasmbin.Data{Offset: 10, Bytes: []byte("xy")},    // out of order
		wasmbin.Data{Offset: 200, Bytes: []byte("z")},    // 60 zeros after the second
	)
	for _, tc := range []struct {
		gap     int
		offsets []uint32
	}{
		{-1, []uint32{10, 100, 136, 200}},
		{0, []uint32{10, 100, 136, 200}},
		{31, []uint32{10, 100, 136, 200}},
		{32, []uint32{10, 100, 200}},
		{60, []uint32{10, 100}},
		{88, []uint32{10}},
	} {
		out, err := dataseg.Merge(in, tc.gap)
		require.NoError(t, err)
		offsets, data, err := dataseg.Segments(out)
		require.NoError(t, err)
		assert.Equal(t, tc.offsets, offsets, "gap %d", tc.gap)
		if tc.gap == 32 {
			assert.Equal(t, "abcd"+string(make([]byte, 32))+"efgh", string(data[1]))
		}
		assert.Equal(t, memory(t, in), memory(t, out), "gap %d: the initial memory changed", tc.gap)
	}
	again := module(wasmbin.Data{Offset: 100, Bytes: []byte("abcd")}, wasmbin.Data{Offset: 136, Bytes: []byte("efgh")})
	orig := bytes.Clone(again)
	_, err := dataseg.Merge(again, 64)
	require.NoError(t, err)
	assert.Equal(t, orig, again, "the input is not modified")
}

// TestMergeRandom: random segment layouts keep their initial memory, and
// no two segments of the output are within the gap.
func TestMergeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		var segs []wasmbin.Data
		off := uint32(r.IntN(64))
		for range 1 + r.IntN(40) {
			b := make([]byte, r.IntN(24))
			for i := range b {
				b[i] = byte(1 + r.IntN(255))
			}
			segs = append(segs, wasmbin.Data{Offset: off, Bytes: b})
			off += uint32(len(b) + r.IntN(80))
		}
		r.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
		in := module(segs...)
		gap := r.IntN(48)
		out, err := dataseg.Merge(in, gap)
		require.NoError(t, err)
		require.Equal(t, memory(t, in), memory(t, out))
		offsets, data, err := dataseg.Segments(out)
		require.NoError(t, err)
		for i := 1; i < len(offsets); i++ {
			end := offsets[i-1] + uint32(len(data[i-1]))
			assert.Greater(t, int(offsets[i]-end), gap, "segments %d and %d should have been merged", i-1, i)
		}
	}
}

// TestDataCount: the data count section follows the new number of
// segments (wazero refuses the module when it does not).
func TestDataCount(t *testing.T) {
	in := module(wasmbin.Data{Offset: 0, Bytes: []byte("ab")}, wasmbin.Data{Offset: 4, Bytes: []byte("cd")})
	i := len(module()) // the data section comes last
	withCount := bytes.Clone(in[:i])
	withCount = append(withCount, 12, 1, 2) // data count: 2
	withCount = append(withCount, in[i:]...)
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	_, err := rt.CompileModule(ctx, withCount)
	require.NoError(t, err, "the fixture is valid")

	out, err := dataseg.Merge(withCount, 8)
	require.NoError(t, err)
	_, err = rt.CompileModule(ctx, out)
	require.NoError(t, err)
	assert.Contains(t, string(out), "\x0c\x01\x01", "data count 1")
	assert.Equal(t, memory(t, withCount), memory(t, out))
}

func TestUnsupported(t *testing.T) {
	seg := func(flag byte, expr ...byte) []byte {
		body := append([]byte{1, flag}, expr...)
		body = append(body, 1, 'x')
		return body
	}
	withData := func(body []byte) []byte {
		m := module()
		m = append(m, 11)
		m = leb128.AppendU32(m, uint32(len(body)))
		return append(m, body...)
	}
	for name, mod := range map[string][]byte{
		"overlap":         module(wasmbin.Data{Offset: 0, Bytes: []byte("abcd")}, wasmbin.Data{Offset: 2, Bytes: []byte("xy")}),
		"passive":         withData([]byte{1, 1, 1, 'x'}),
		"memory index":    withData(seg(2, 0, 0x41, 0, 0x0b)),
		"global offset":   withData(seg(0, 0x23, 0, 0x0b)),
		"extended offset": withData(seg(0, 0x41, 1, 0x41, 2, 0x6a, 0x0b)),
	} {
		_, err := dataseg.Merge(mod, 32)
		assert.ErrorIs(t, err, dataseg.ErrUnsupported, name)
	}
}

// TestMalformed: every prefix of a module, and a few corruptions, give an
// error or an output that is as valid as the input; never a panic.
func TestMalformed(t *testing.T) {
	in := module(wasmbin.Data{Offset: 0, Bytes: []byte("ab")}, wasmbin.Data{Offset: 4, Bytes: []byte("cd")})
	for n := range len(in) {
		out, err := dataseg.Merge(in[:n], 8)
		if err == nil {
			assert.Equal(t, compiles(in[:n]), compiles(out), "prefix %d", n)
		} else {
			assert.ErrorIs(t, err, dataseg.ErrInvalid, "prefix %d", n)
		}
	}
	for name, mod := range map[string][]byte{
		"version 2":               []byte("\x00asm\x02\x00\x00\x00"),
		"data count, no segments": []byte("\x00asm\x01\x00\x00\x00\x0c\x01\x30"),
		"two data sections":       append(bytes.Clone(in), in[len(module()):]...),
		"data count too high":     []byte("\x00asm\x01\x00\x00\x00\x0c\x01\x02\x0b\x01\x00"),
	} {
		_, err := dataseg.Merge(mod, 8)
		assert.ErrorIs(t, err, dataseg.ErrInvalid, name)
	}
	bad := append(bytes.Clone(in), 0) // trailing byte after the data section
	bad[len(in)-1-5] = 0xff
	_, err := dataseg.Merge(bad, 8)
	assert.Error(t, err)
}

func compiles(mod []byte) bool {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	_, err := rt.CompileModule(ctx, mod)
	return err == nil
}

// FuzzMerge: whatever the input, Merge never panics, and what it returns
// differs from the input only in its data segments, which describe the
// same initial memory. The check is made on the bytes (no runtime), so a
// hostile input cannot make it slow.
func FuzzMerge(f *testing.F) {
	f.Add(module(wasmbin.Data{Offset: 0, Bytes: []byte("ab")}, wasmbin.Data{Offset: 4, Bytes: []byte("cd")}), 8)
	f.Add(module(wasmbin.Data{Offset: 9, Bytes: []byte("ab")}), 0)
	f.Fuzz(func(t *testing.T, mod []byte, gap int) {
		gap &= 0xff
		out, err := dataseg.Merge(mod, gap)
		if err != nil {
			return
		}
		if a, b := dataseg.OtherSections(mod), dataseg.OtherSections(out); !bytes.Equal(a, b) {
			t.Fatalf("sections other than data changed:\n% x\n% x", a, b)
		}
		o1, d1, err := dataseg.Segments(mod)
		if err != nil {
			t.Fatalf("Merge accepted segments Segments refuses: %v", err)
		}
		o2, d2, err := dataseg.Segments(out)
		if err != nil {
			t.Fatalf("output segments: %v", err)
		}
		if len(o2) > len(o1) {
			t.Fatalf("%d segments became %d", len(o1), len(o2))
		}
		want := map[uint64]byte{}
		for i, d := range d1 {
			for j, c := range d {
				want[uint64(o1[i])+uint64(j)] = c
			}
		}
		covered := 0
		for i, d := range d2 {
			for j, c := range d {
				at := uint64(o2[i]) + uint64(j)
				w, ok := want[at]
				if ok {
					covered++
				}
				if c != w {
					t.Fatalf("byte at %#x is %#x, want %#x", at, c, w)
				}
			}
		}
		if covered != len(want) {
			t.Fatalf("%d of %d initialised bytes kept", covered, len(want))
		}
	})
}

// TestDefaultGuest: the default guest's segments, split again at every
// run of 8 zero bytes (as the Go linker writes them), merge back into
// the same initial memory.
func TestDefaultGuest(t *testing.T) {
	mod, err := os.ReadFile("../../default.wasm")
	require.NoError(t, err)
	offsets, data, err := dataseg.Segments(mod)
	require.NoError(t, err)
	assert.Less(t, len(offsets), 1000, "the default guest is generated with its segments merged")

	var split []wasmbin.Data
	for i, d := range data {
		start := 0
		for j := 0; j <= len(d); {
			k := j
			for k < len(d) && d[k] == 0 {
				k++
			}
			if k == len(d) || k-j >= 8 {
				if j > start {
					split = append(split, wasmbin.Data{Offset: offsets[i] + uint32(start), Bytes: d[start:j]})
				}
				start = k
			}
			if k == j {
				j++
			} else {
				j = k
			}
		}
	}
	require.Greater(t, len(split), 10*len(offsets))
	in := module(split...)
	out, err := dataseg.Merge(in, 32)
	require.NoError(t, err)
	o2, d2, err := dataseg.Segments(out)
	require.NoError(t, err)
	assert.Equal(t, image(offsets, data), image(o2, d2))
	assert.LessOrEqual(t, len(o2), len(offsets))
}

// image applies segments to an empty memory, as instantiation does.
func image(offsets []uint32, data [][]byte) []byte {
	var m []byte
	for i, d := range data {
		end := int(offsets[i]) + len(d)
		if end > len(m) {
			m = append(m, make([]byte, end-len(m))...)
		}
		copy(m[offsets[i]:], d)
	}
	return m
}
