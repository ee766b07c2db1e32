package wasmcache_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tetratelabs/wazero"

	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/wasmcache"
)

func ExampleCache_Compile() {
	ctx := context.Background()
	root, _ := os.MkdirTemp("", "wasmcache-example")
	defer os.RemoveAll(root)
	db, err := store.Open(filepath.Join(root, store.FileName), store.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	cache, err := wasmcache.Open(filepath.Join(root, "wasm"), db, wasmcache.Options{})
	if err != nil {
		panic(err)
	}
	for range 2 {
		m, err := cache.Compile(ctx, tinyModule(42), wasmcache.CompileOptions{Runtime: wazero.NewRuntimeConfig()})
		if err != nil {
			panic(err)
		}
		fmt.Println("hit:", m.Hit())
		_ = m.Close(ctx)
	}
	s := cache.Stats()
	fmt.Println("entries:", s.Entries, "hits:", s.Hits, "misses:", s.Misses)
	// Output:
	// hit: false
	// hit: true
	// entries: 1 hits: 1 misses: 1
}
