//go:build wasip1

package main

import "unsafe"

// live keeps every buffer handed to the host reachable until it is freed.
var live = map[uintptr][]byte{}

//go:wasmexport riptide_abi_version
func abiVersion() int32 { return 1 }

//go:wasmexport riptide_info
func riptideInfo() int64 { return pack(info) }

//go:wasmexport riptide_alloc
func riptideAlloc(size int32) int32 {
	if size <= 0 {
		return 0
	}
	b := make([]byte, size)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	live[p] = b
	return int32(p)
}

//go:wasmexport riptide_free
func riptideFree(ptr, _ int32) { delete(live, uintptr(ptr)) }

//go:wasmexport riptide_extract
func riptideExtract(ptr, size int32) int64 {
	buf := live[uintptr(ptr)]
	delete(live, uintptr(ptr)) // the request buffer is ours now
	if int(size) > len(buf) || size < 0 {
		size = 0
	}
	return pack(handle(buf[:size]))
}

func pack(b []byte) int64 {
	return int64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))<<32 | int64(len(b))
}
