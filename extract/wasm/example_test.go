package wasm_test

import (
	"context"
	"fmt"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm"
)

func ExampleNew() {
	ctx := context.Background()
	// The embedded default module: the native engine compiled to wasm.
	e, err := wasm.New(ctx, wasm.WithPool(1, 2))
	if err != nil {
		panic(err)
	}
	defer e.Close(ctx)
	info := e.Info()
	fmt.Println(info.Name, "abi", info.ABIVersion)

	_, err = e.Extract(ctx, extract.Input{HTML: []byte("<p>hello</p>"), Options: extract.Options{Mode: "unknown"}})
	fmt.Println(err != nil)
	// Output:
	// riptide-native abi 1
	// true
}
