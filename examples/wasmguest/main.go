// Command wasmguest runs a custom extraction guest, written in Go and
// compiled to WebAssembly (./guest), through riptide's WASM engine, and
// prints the resulting document as JSON.
//
// The guest keeps only a page's <h2> sections. A prebuilt copy,
// guest.wasm, is embedded; rebuild it after changing the guest with
//
//	go generate ./examples/wasmguest
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm"
)

//go:generate env GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 GOFLAGS= go build -buildmode=c-shared -trimpath -buildvcs=false "-ldflags=-s -w -buildid=" -o guest.wasm ./guest

//go:embed guest.wasm
var guestWasm []byte

//go:embed page.html
var page []byte

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, w io.Writer) error {
	e, err := wasm.New(ctx, wasm.Module(guestWasm), wasm.WithPool(1, 1))
	if err != nil {
		return err
	}
	defer e.Close(ctx)
	info := e.Info()
	fmt.Fprintf(w, "guest %s %s, modes %v, interruption %s\n", info.Name, info.Version, info.Modes, info.Interruption)

	doc, err := e.Extract(ctx, extract.Input{URL: "https://harbour.example/tides", HTML: page})
	if err != nil {
		return err
	}
	out := struct {
		Title     string `json:"title"`
		Markdown  string `json:"markdown"`
		WordCount int    `json:"word_count"`
	}{doc.Title, doc.Markdown, doc.WordCount}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
