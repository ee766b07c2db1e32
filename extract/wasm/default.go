package wasm

import (
	_ "embed"
	"encoding/hex"
	"slices"
	"strings"
)

//go:generate go run gen_default.go -o default.wasm

// defaultModule is the native engine built for wasip1 from ./guest.
//
//go:embed default.wasm
var defaultModule []byte

// defaultModuleSHA256 is the hex SHA-256 of defaultModule, written by go
// generate with it.
//
//go:embed default.wasm.sha256
var defaultModuleSHA256 string

// defaultSum returns the digest of the embedded default module.
func defaultSum() *[32]byte {
	var sum [32]byte
	if n, err := hex.Decode(sum[:], []byte(strings.TrimSpace(defaultModuleSHA256))); err != nil || n != len(sum) {
		return nil // the cache then hashes the module itself
	}
	return &sum
}

// isDefault reports whether module is the embedded default module itself
// (not a copy).
func isDefault(module []byte) bool {
	return len(module) == len(defaultModule) && len(module) > 0 && &module[0] == &defaultModule[0]
}

// DefaultModule returns a copy of the embedded default guest module: the
// native extraction engine compiled to WebAssembly. [New] uses it when no
// [Module] option is given.
func DefaultModule() []byte { return slices.Clone(defaultModule) }
