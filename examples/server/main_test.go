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

func TestServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out))

	var types []stream.Type
	var last stream.Event
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var ev stream.Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), "line %q", sc.Text())
		types = append(types, ev.Type)
		last = ev
	}
	require.NotEmpty(t, types)
	assert.Equal(t, stream.TypeStart, types[0])
	require.Equal(t, stream.TypeSummary, last.Type)
	assert.Equal(t, 12, last.Summary.Total)
	assert.Equal(t, 11, last.Summary.Succeeded)
	assert.Equal(t, 1, last.Summary.Errors, "the /broken seed")
}
