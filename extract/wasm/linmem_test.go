//go:build unix

package wasm

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMmapMemory: a reserved linear memory grows in place, keeps what it
// holds, refuses to pass its reservation, and frees once.
func TestMmapMemory(t *testing.T) {
	const max = 16 << 20
	mem := mmapMemory.Allocate(0, max)
	_, ok := mem.(*mmapLinear)
	require.True(t, ok, "reserved with mmap")
	b := mem.Reallocate(64 << 10)
	require.Len(t, b, 64<<10)
	b[0], b[len(b)-1] = 1, 2
	grown := mem.Reallocate(8 << 20)
	require.Len(t, grown, 8<<20)
	assert.Equal(t, unsafe.SliceData(b), unsafe.SliceData(grown), "grown in place")
	assert.Equal(t, byte(1), grown[0])
	assert.Equal(t, byte(2), grown[64<<10-1])
	assert.Zero(t, grown[8<<20-1], "new pages are zero")
	assert.Len(t, mem.Reallocate(max), max)
	assert.Nil(t, mem.Reallocate(max+1), "past the reservation")
	mem.Free()
	mem.Free()
}

// TestSliceMemory: the fallback grows by copying, up to its maximum.
func TestSliceMemory(t *testing.T) {
	mem := &sliceLinear{max: 1 << 20}
	b := mem.Reallocate(64 << 10)
	require.Len(t, b, 64<<10)
	b[100] = 7
	grown := mem.Reallocate(512 << 10)
	require.Len(t, grown, 512<<10)
	assert.Equal(t, byte(7), grown[100])
	assert.Nil(t, mem.Reallocate(1<<20+1))
	assert.Len(t, mem.Reallocate(1<<20), 1<<20)
	mem.Free()
}
