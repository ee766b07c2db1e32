//go:build unix

package wasm

import (
	"math"
	"sync"
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// mmapMemory backs guest linear memories with address space reserved at
// their limit, outside the Go heap: memory.grow then never moves or copies
// the memory (wazero's default grows a Go slice, which copies the whole
// memory at each step, tens of milliseconds once a guest's heap is
// large), the kernel backs pages as the guest touches them, and closing
// the instance gives them all back at once.
//
// The mapping must outlive every access: the engine uses it only for
// guests it can stop at their next check (fuel interruption), and Close
// waits for them to stop before it closes the runtime.
var mmapMemory experimental.MemoryAllocator = experimental.MemoryAllocatorFunc(func(capacity, max uint64) experimental.LinearMemory {
	if max > 0 && max <= math.MaxInt/4 {
		b, err := syscall.Mmap(-1, 0, int(max), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
		if err == nil {
			return &mmapLinear{buf: b}
		}
	}
	// No room to reserve (a 32-bit host, a ulimit): a slice that grows,
	// as wazero's default.
	return &sliceLinear{buf: make([]byte, 0, capacity), max: max}
})

type mmapLinear struct {
	once sync.Once
	buf  []byte
}

// Reallocate returns the first size bytes of the reservation, nil past it.
func (m *mmapLinear) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	return m.buf[:size:size]
}

// Free unmaps the reservation.
func (m *mmapLinear) Free() {
	m.once.Do(func() { _ = syscall.Munmap(m.buf) })
}

// sliceLinear is a linear memory in a Go slice, copied when it grows.
type sliceLinear struct {
	buf []byte
	max uint64
}

func (m *sliceLinear) Reallocate(size uint64) []byte {
	if size > m.max {
		return nil
	}
	if size > uint64(cap(m.buf)) {
		b := make([]byte, size, min(max(size, uint64(cap(m.buf))*2), m.max))
		copy(b, m.buf)
		m.buf = b
	}
	m.buf = m.buf[:size]
	return m.buf
}

func (m *sliceLinear) Free() { m.buf = nil }
