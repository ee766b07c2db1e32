package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRenderExample(t *testing.T) {
	chrome := testenv.ChromePath(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	shot := filepath.Join(t.TempDir(), "shot.png")
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, shot, chrome))
	assert.Contains(t, out.String(), "action 0 wait_css ok=true")
	assert.Contains(t, out.String(), "action 2 script ok=true value=4")
	b, err := os.ReadFile(shot)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, []byte("\x89PNG")))
}
