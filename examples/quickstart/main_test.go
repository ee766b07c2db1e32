package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestQuickstart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out))

	var lines []line
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l line
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "line %q", sc.Text())
		lines = append(lines, l)
	}
	require.Len(t, lines, 5)
	first := lines[0]
	assert.Empty(t, first.Error)
	assert.Equal(t, 200, first.Status)
	assert.Equal(t, "How rip currents form, and how to escape one", first.Title)
	assert.Contains(t, first.Excerpt, "rip current")
	assert.Greater(t, first.Words, 100)
	assert.Empty(t, lines[3].Error, "the redirect is followed")
	assert.Contains(t, lines[4].Error, "robots", "robots.txt disallows /private/")
}
