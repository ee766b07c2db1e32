//go:build !unix

package wasm

import "github.com/tetratelabs/wazero/experimental"

// mmapMemory is nil where address space cannot be reserved portably:
// wazero's default (a Go slice that grows) backs linear memories.
var mmapMemory experimental.MemoryAllocator
