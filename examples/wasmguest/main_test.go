package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	want := `guest h2-sections 1.0.0, modes [article], interruption fuel
{
  "title": "Tide tables explained",
  "markdown": "## What a tide table shows\n\nHigh and low water times, with heights, for one harbour.\n\n## Reading the heights\n\nHeights are given above chart datum, the lowest predicted tide.",
  "word_count": 28
}
`
	assert.Equal(t, want, out.String())
}

// TestGuestUpToDate rebuilds the guest as go generate does and compares it
// with the embedded guest.wasm.
func TestGuestUpToDate(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	out := filepath.Join(t.TempDir(), "guest.wasm")
	cmd := exec.Command(goBin, "build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", out, "./guest")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	built, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(built, guestWasm), "guest.wasm is stale: run go generate ./examples/wasmguest")
}
