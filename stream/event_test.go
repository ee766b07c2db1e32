package stream

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEventJSONIsFlatAndRoundTrips(t *testing.T) {
	ts := time.Date(2026, 11, 23, 12, 0, 0, 5, time.UTC)
	cases := []struct {
		name string
		ev   Event
		want string
	}{
		{"start", Event{Type: TypeStart, ID: 1, Time: ts, RequestID: "r1", Start: &Start{Op: "crawl", Total: 3}},
			`{"type":"start","id":1,"timestamp":"2026-11-23T12:00:00.000000005Z","request_id":"r1","op":"crawl","total":3}`},
		{"result", Event{Type: TypeResult, ID: 2, Result: json.RawMessage(`{"url":"https://a.example/","title":"A"}`)},
			`{"type":"result","id":2,"result":{"url":"https://a.example/","title":"A"}}`},
		{"error", Event{Type: TypeError, ID: 3, Error: &ErrorEvent{ErrorType: "timeout", Message: "deadline",
			Code: "fetch_timeout", URL: "https://b.example/", Retryable: true, Context: map[string]any{"attempt": 2.0}}},
			`{"type":"error","id":3,"error_type":"timeout","message":"deadline","code":"fetch_timeout","url":"https://b.example/","retryable":true,"context":{"attempt":2}}`},
		{"fatal error", Event{Type: TypeError, ID: 4, Error: &ErrorEvent{ErrorType: "canceled", Message: "context canceled", Fatal: true}},
			`{"type":"error","id":4,"error_type":"canceled","message":"context canceled","retryable":false,"fatal":true}`},
		{"progress", Event{Type: TypeProgress, ID: 5, Progress: &Progress{Completed: 2, Failed: 1, Total: 9, ElapsedMS: 12.5}},
			`{"type":"progress","id":5,"completed":2,"failed":1,"total":9,"elapsed_ms":12.5}`},
		{"summary", Event{Type: TypeSummary, ID: 6, Summary: &Summary{Total: 3, Succeeded: 2, Errors: 1,
			ByStatus: map[string]int{"200": 2}, ByEngine: map[string]int{"static": 2}, Bytes: 10, CacheHits: 1,
			DurationMS: 30, P50MS: 10, P95MS: 20}},
			`{"type":"summary","id":6,"total":3,"succeeded":2,"errors":1,"by_status":{"200":2},"by_engine":{"static":2},"bytes":10,"cache_hits":1,"duration_ms":30,"p50_ms":10,"p95_ms":20}`},
		{"request id is escaped", Event{Type: TypeStart, ID: 7, RequestID: "a\"b\n", Start: &Start{}},
			`{"type":"start","id":7,"request_id":"a\"b\n"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.ev)
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(b))
			assert.NotContains(t, string(b), "\n")

			var back Event
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, tc.ev, back)
		})
	}
}

func TestEventJSONRejectsBadEvents(t *testing.T) {
	_, err := json.Marshal(Event{Type: "bogus"})
	require.Error(t, err)
	_, err = json.Marshal(NewResult(math.Inf(1)))
	require.Error(t, err)
	var e Event
	require.Error(t, json.Unmarshal([]byte(`{"type":"bogus"}`), &e))
}

func TestTallySummarizes(t *testing.T) {
	var tl Tally
	for i := range 100 {
		tl.Add(Outcome{Status: 200, Engine: "static", Bytes: 10, Duration: time.Duration(i+1) * time.Millisecond, CacheHit: i%2 == 0})
	}
	tl.Add(Outcome{Failed: true, Status: 503, Engine: "headless"})
	s := tl.Summary(time.Second)
	assert.Equal(t, 101, s.Total)
	assert.Equal(t, 100, s.Succeeded)
	assert.Equal(t, 1, s.Errors)
	assert.Equal(t, map[string]int{"200": 100, "503": 1}, s.ByStatus)
	assert.Equal(t, map[string]int{"static": 100, "headless": 1}, s.ByEngine)
	assert.Equal(t, int64(1000), s.Bytes)
	assert.Equal(t, 50, s.CacheHits)
	assert.Equal(t, 50.0, s.P50MS)
	assert.Equal(t, 95.0, s.P95MS)
	assert.Equal(t, 1000.0, s.DurationMS)
}

func TestTallyBoundsSamples(t *testing.T) {
	var tl Tally
	for range 10 * tallySamples {
		tl.Add(Outcome{Duration: time.Millisecond})
	}
	assert.Len(t, tl.durations, tallySamples)
	assert.Equal(t, 1.0, tl.Summary(0).P95MS)
}
