//go:build ignore

// gen_default builds the default guest module reproducibly, merges its
// data segments (package internal/dataseg) and rewrites it for fuel
// interruption (package internal/interrupt), so that loading it costs no
// rewrite:
//
//	go run gen_default.go [-o default.wasm] [-raw]
//
// -raw leaves the interruption rewrite out, for benchmarks of its cost.
//
// It is run by go generate and by TestDefaultModuleUpToDate, so both use
// exactly the same toolchain flags.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/riptide-go/riptide/extract/wasm/internal/dataseg"
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
		"-buildmode=c-shared", "-trimpath", "-buildvcs=false", "-tags=riptide_utf8only",
		"-ldflags=-s -w -buildid=", "-o", abs, "./guest")
	// GOWASM enables two WebAssembly 2.0 features that every wazero
	// runtime has: sign extension and non-trapping float-to-int
	// conversion, each one instruction instead of a sequence (2% faster).
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=", "GOWASM=satconv,signext")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen_default:", err)
		os.Exit(1)
	}
	if err := rewrite(abs, *raw); err != nil {
		fmt.Fprintln(os.Stderr, "gen_default:", err)
		os.Exit(1)
	}
}

// rewrite merges the module's data segments (package internal/dataseg)
// and, unless raw, instruments it for fuel interruption; it writes the
// module's SHA-256 next to it.
func rewrite(path string, raw bool) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if b, err = dataseg.Merge(b, dataseg.DefaultGap); err != nil {
		return err
	}
	if !raw {
		if b, err = interrupt.Instrument(b); err != nil {
			return err
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	// The digest goes with the module, so that loading the embedded
	// module need not hash its 6 MB first (TestDefaultModuleDigest keeps
	// the two in step).
	sum := sha256.Sum256(b)
	return os.WriteFile(path+".sha256", []byte(hex.EncodeToString(sum[:])+"\n"), 0o644)
}
