//go:build ignore

// gen_default builds the default guest module reproducibly, and rewrites
// it for fuel interruption (package internal/interrupt), so that loading
// it costs no rewrite:
//
//	go run gen_default.go [-o default.wasm] [-raw]
//
// -raw leaves the rewrite out, for benchmarks of its cost.
//
// It is run by go generate and by TestDefaultModuleUpToDate, so both use
// exactly the same toolchain flags.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/riptide-go/riptide/extract/wasm/internal/interrupt"
)

func main() {
	out := flag.String("o", "default.wasm", "output file")
	raw := flag.Bool("raw", false, "skip the interruption rewrite (for benchmarks)")
	flag.Parse()
	abs, err := filepath.Abs(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command("go", "build",
		"-buildmode=c-shared", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=", "-o", abs, "./guest")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=", "GOWASM=")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen_default:", err)
		os.Exit(1)
	}
	if *raw {
		return
	}
	if err := instrument(abs); err != nil {
		fmt.Fprintln(os.Stderr, "gen_default:", err)
		os.Exit(1)
	}
}

func instrument(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := interrupt.Instrument(b)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}
