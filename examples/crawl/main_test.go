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

	"github.com/riptide-go/riptide/stream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCrawl(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out))

	var evs []stream.Event
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var ev stream.Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), "line %q", sc.Text())
		evs = append(evs, ev)
	}
	require.NotEmpty(t, evs)
	assert.Equal(t, stream.TypeStart, evs[0].Type)
	last := evs[len(evs)-1]
	require.Equal(t, stream.TypeSummary, last.Type)
	assert.Equal(t, 60, last.Summary.Succeeded)
	assert.Zero(t, last.Summary.Errors)
}
