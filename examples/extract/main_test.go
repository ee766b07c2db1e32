package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/riptidetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestExtractExample(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, site.URL("/articles/tide-tables.html"), riptide.AllowPrivateNetworks()))
	assert.Contains(t, out.String(), "# Reading a tide table without guessing")
	assert.Contains(t, out.String(), "```python")

	err := run(context.Background(), &out, site.URL("/")) // private address refused by default
	assert.ErrorIs(t, err, riptide.ErrBlocked)
}
