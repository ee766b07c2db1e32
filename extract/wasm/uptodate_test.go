package wasm_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/riptide-go/riptide/extract/wasm"
)

// TestDefaultModuleUpToDate rebuilds the default guest exactly as go
// generate does and fails when the embedded default.wasm differs: the
// native engine (or the guest) changed and the module was not rebuilt.
func TestDefaultModuleUpToDate(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goBin); err != nil {
			t.Skip("no go toolchain found (PATH or GOROOT); cannot check default.wasm")
		}
	}
	out := filepath.Join(t.TempDir(), "default.wasm")
	cmd := exec.Command(goBin, "run", "gen_default.go", "-o", out)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(goBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rebuild of the default module failed: %v\n%s", err, b)
	}
	built, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, wasm.DefaultModule()) {
		t.Fatalf("extract/wasm/default.wasm is stale (embedded %d bytes, rebuilt %d bytes): "+
			"the native engine or the guest changed. Run: go generate ./extract/wasm", len(wasm.DefaultModule()), len(built))
	}
}

// TestDefaultModuleDigest: the digest embedded with the default module,
// which the cache uses as the module's key, is the module's SHA-256.
func TestDefaultModuleDigest(t *testing.T) {
	sum := sha256.Sum256(wasm.DefaultModule())
	if got, want := strings.TrimSpace(wasm.DefaultModuleSHA256()), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("default.wasm.sha256 says %s, the module's digest is %s. Run: go generate ./extract/wasm", got, want)
	}
}
