package stream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// results yields n result events, sleeping delay before each and stopping
// early when ctx ends; it counts what it yielded in *yielded when non-nil.
func results(ctx context.Context, n int, delay time.Duration, yielded *int) iter.Seq[Event] {
	return func(yield func(Event) bool) {
		for i := range n {
			if delay > 0 {
				select {
				case <-time.After(delay):
				case <-ctx.Done():
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			if yielded != nil {
				*yielded++
			}
			if !yield(NewResult(map[string]int{"n": i})) {
				return
			}
		}
	}
}

// parseLines decodes NDJSON output, failing on any line that is not a full
// JSON event.
func parseLines(t testing.TB, out []byte) []Event {
	t.Helper()
	if len(out) > 0 {
		require.Equal(t, byte('\n'), out[len(out)-1], "output ends mid-line")
	}
	var evs []Event
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var ev Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), "line %q", sc.Text())
		evs = append(evs, ev)
	}
	require.NoError(t, sc.Err())
	return evs
}

// sseEvent is one parsed SSE block.
type sseEvent struct {
	id, event, data string
	comment         bool
}

// readSSE parses SSE blocks from r until EOF or until stop returns true.
func readSSE(t testing.TB, r *bufio.Reader, stop func(sseEvent) bool) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return out
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			out = append(out, cur)
			if stop != nil && stop(cur) {
				return out
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, ":"):
			cur.comment = true
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		case strings.HasPrefix(line, "retry: "):
		default:
			t.Errorf("unexpected SSE line %q", line)
		}
	}
}

func types(evs []Event) []Type {
	ts := make([]Type, len(evs))
	for i, e := range evs {
		ts[i] = e.Type
	}
	return ts
}
