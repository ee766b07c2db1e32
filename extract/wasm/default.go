package wasm

import (
	_ "embed"
	"slices"
)

//go:generate go run gen_default.go -o default.wasm

// defaultModule is the native engine built for wasip1 from ./guest.
//
//go:embed default.wasm
var defaultModule []byte

// DefaultModule returns a copy of the embedded default guest module: the
// native extraction engine compiled to WebAssembly. [New] uses it when no
// [Module] option is given.
func DefaultModule() []byte { return slices.Clone(defaultModule) }
