//go:build wasip1

package main

import "unsafe"

// allocs keeps every buffer handed to the host reachable (the Go collector
// does not move objects, so a reachable buffer keeps its address). spare is
// the last request buffer, reused by the next riptide_alloc that fits.
var (
	allocs = map[uintptr][]byte{}
	spare  []byte
	g      guest
)

//go:wasmexport riptide_abi_version
func riptideABIVersion() int32 { return abiVersion }

//go:wasmexport riptide_alloc
func riptideAlloc(size int32) int32 {
	if size <= 0 {
		return 0
	}
	var b []byte
	if cap(spare) >= int(size) {
		b, spare = spare[:size], nil
	} else {
		b = make([]byte, size)
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	allocs[p] = b
	return int32(p)
}

//go:wasmexport riptide_free
func riptideFree(ptr, size int32) {
	p := uintptr(ptr)
	if b, ok := allocs[p]; ok {
		delete(allocs, p)
		if cap(b) > cap(spare) {
			spare = b[:0]
		}
	}
}

//go:wasmexport riptide_info
func riptideInfo() int64 { return pack(info) }

//go:wasmexport riptide_extract
func riptideExtract(ptr, size int32) int64 {
	p := uintptr(ptr)
	buf, ok := allocs[p]
	if !ok || int(size) > len(buf) || size < 0 {
		return pack(g.handle(nil))
	}
	out := g.handle(buf[:size])
	// The request buffer is consumed: keep it for the next riptide_alloc.
	riptideFree(ptr, size)
	return pack(out)
}

// pack returns ptr<<32 | len of b, which stays reachable in a global.
func pack(b []byte) int64 {
	if len(b) == 0 {
		return 0
	}
	return int64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))<<32 | int64(len(b))
}
