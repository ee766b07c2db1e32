package stream

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var fixedTime = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return fixedTime }

func TestNDJSONFraming(t *testing.T) {
	cases := []struct {
		name   string
		events []Event
		want   []Type
	}{
		{"full stream", []Event{NewStart(Start{Op: "crawl"}), NewResult(1), NewError(ErrorEvent{ErrorType: "fetch", URL: "u"}),
			NewProgress(Progress{Completed: 2}), NewSummary(Summary{Total: 2})},
			[]Type{TypeStart, TypeResult, TypeError, TypeProgress, TypeSummary}},
		{"start and summary added", []Event{NewResult(1), NewResult(2)},
			[]Type{TypeStart, TypeResult, TypeResult, TypeSummary}},
		{"empty source", nil, []Type{TypeStart, TypeSummary}},
		{"fatal error ends the stream", []Event{NewResult(1), NewError(ErrorEvent{ErrorType: "closed", Fatal: true}), NewResult(2)},
			[]Type{TypeStart, TypeResult, TypeError}},
		{"events after summary are dropped", []Event{NewSummary(Summary{}), NewResult(2)},
			[]Type{TypeStart, TypeSummary}},
		{"error without payload", []Event{{Type: TypeError}},
			[]Type{TypeStart, TypeError, TypeSummary}},
		{"unencodable result becomes an error", []Event{NewResult(math.NaN()), NewResult(1)},
			[]Type{TypeStart, TypeError, TypeResult, TypeSummary}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := NDJSON(context.Background(), &buf, slices.Values(tc.events), WithRequestID("r1"), WithClock(fixedClock))
			require.NoError(t, err)
			evs := parseLines(t, buf.Bytes())
			assert.Equal(t, tc.want, types(evs))
			for i, ev := range evs {
				assert.Equal(t, int64(i+1), ev.ID, "ids count from 1")
				assert.Equal(t, "r1", ev.RequestID)
				assert.Equal(t, fixedTime, ev.Time)
			}
		})
	}
}

func TestNDJSONComputesSummaryWhenSourceHasNone(t *testing.T) {
	var buf bytes.Buffer
	src := []Event{NewResult(1), NewError(ErrorEvent{ErrorType: "fetch"}), NewResult(2)}
	require.NoError(t, NDJSON(context.Background(), &buf, slices.Values(src)))
	evs := parseLines(t, buf.Bytes())
	last := evs[len(evs)-1]
	require.Equal(t, TypeSummary, last.Type)
	assert.Equal(t, 3, last.Summary.Total)
	assert.Equal(t, 2, last.Summary.Succeeded)
	assert.Equal(t, 1, last.Summary.Errors)
}

// TestNDJSONCancelAtRandomPoints cancels 200 streams at random moments: the
// output must stay whole lines and end with a summary or a fatal error, and
// no goroutine may survive (goleak in TestMain).
func TestNDJSONCancelAtRandomPoints(t *testing.T) {
	runs := 200
	if testing.Short() {
		runs = 40
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var canceled, completed int
	var stops []time.Duration
	for range runs {
		ctx, cancelCtx := context.WithCancel(context.Background())
		var canceledAt atomic.Int64
		cancel := func() {
			canceledAt.CompareAndSwap(0, time.Now().UnixNano())
			cancelCtx()
		}
		// Cancel either at a random moment or right after a random event
		// (k > 20: never, the stream completes).
		after := time.Duration(rng.IntN(2000)) * time.Microsecond
		timer := time.AfterFunc(after, cancel)
		if rng.IntN(2) == 0 {
			timer.Stop()
		}
		k := rng.IntN(25)
		src := func(yield func(Event) bool) {
			i := 0
			for ev := range results(ctx, 20, 0, nil) {
				if !yield(ev) {
					return
				}
				if i++; i == k {
					cancel()
				}
			}
		}
		var buf bytes.Buffer
		err := NDJSON(ctx, &buf, src)
		returned := time.Now()
		timer.Stop()
		if at := canceledAt.Load(); at != 0 && err != nil {
			stops = append(stops, returned.Sub(time.Unix(0, at)))
		}
		cancel()
		evs := parseLines(t, buf.Bytes())
		require.NotEmpty(t, evs)
		assert.Equal(t, TypeStart, evs[0].Type)
		last := evs[len(evs)-1]
		switch {
		case last.Type == TypeSummary:
			require.NoError(t, err)
			completed++
		case last.Type == TypeError && last.Error.Fatal:
			require.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, "canceled", last.Error.ErrorType)
			canceled++
		default:
			t.Fatalf("stream ended with %+v", last)
		}
	}
	leaks := 0
	if err := goleak.Find(); err != nil {
		leaks = 1
		t.Errorf("goroutines left: %v", err)
	}
	slices.Sort(stops)
	var p99 time.Duration
	if len(stops) > 0 {
		p99 = stops[min(len(stops)-1, len(stops)*99/100)]
	}
	testenv.Figure(t, "cancel", "path", "stream_ndjson", "runs", runs, "leaked", leaks,
		"canceled", canceled, "completed", completed, "partial_lines", 0, "missing_final_event", 0,
		"stop_p99_ms", float64(p99)/float64(time.Millisecond))
}

func TestNDJSONDeadlineEndsWithTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	var buf bytes.Buffer
	err := NDJSON(ctx, &buf, results(ctx, 1000, 5*time.Millisecond, nil))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	evs := parseLines(t, buf.Bytes())
	last := evs[len(evs)-1]
	require.Equal(t, TypeError, last.Type)
	assert.Equal(t, "timeout", last.Error.ErrorType)
	assert.True(t, last.Error.Retryable)
}

func TestNDJSONOverHTTPWithClientDisconnect(t *testing.T) {
	var handlerErr atomic.Pointer[error]
	done := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		err := NDJSON(r.Context(), w, results(r.Context(), 1_000_000, time.Millisecond, nil), WithRequest(r))
		handlerErr.Store(&err)
	}))
	var open atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	assert.Equal(t, "application/x-ndjson", resp.Header.Get("Content-Type"))
	br := bufio.NewReader(resp.Body)
	for range 3 {
		line, err := br.ReadBytes('\n')
		require.NoError(t, err)
		var ev Event
		require.NoError(t, json.Unmarshal(line, &ev))
	}
	cancel()
	resp.Body.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not stop after the client left")
	}
	require.Error(t, *handlerErr.Load())
	http.DefaultClient.CloseIdleConnections()
	waitOpen := time.Now().Add(5 * time.Second)
	for open.Load() != 0 && time.Now().Before(waitOpen) {
		time.Sleep(time.Millisecond)
	}
	assert.Equal(t, int64(0), open.Load(), "server connections left open")
}

func TestGzipRoundTripFlushesPerEvent(t *testing.T) {
	next := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src := func(yield func(Event) bool) {
			for i := range 3 {
				if !yield(NewResult(i)) {
					return
				}
				select { // the client must see event i before i+1 exists
				case <-next:
				case <-r.Context().Done():
					return
				}
			}
		}
		_ = NDJSON(r.Context(), w, src, WithRequest(r))
	}))
	defer srv.Close()

	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Accept-Encoding", "gzip") // set by hand: no transparent decoding
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	zr, err := gzip.NewReader(resp.Body)
	require.NoError(t, err)
	br := bufio.NewReader(zr)
	var got []Type
	for i := range 3 {
		line, err := br.ReadBytes('\n') // start, then result i
		require.NoError(t, err)
		var ev Event
		require.NoError(t, json.Unmarshal(line, &ev))
		got = append(got, ev.Type)
		if ev.Type == TypeStart {
			line, err = br.ReadBytes('\n')
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(line, &ev))
			got = append(got, ev.Type)
		}
		assert.JSONEq(t, strings.TrimSpace(string(mustJSON(i))), string(ev.Result.(json.RawMessage)))
		next <- struct{}{}
	}
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	evs := parseLines(t, rest)
	assert.Equal(t, []Type{TypeStart, TypeResult, TypeResult, TypeResult, TypeSummary}, append(got, types(evs)...))
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestAcceptsGzip(t *testing.T) {
	cases := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"br, gzip;q=0.5", true},
		{"GZIP", true},
		{"gzip;q=0", false},
		{"identity", false},
		{"*", true},
		{"deflate, gzip ; q=0.0", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, acceptsGzip([]string{tc.header}), tc.header)
	}
}

func TestSSEFramingAndResume(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src := []Event{NewStart(Start{Op: "crawl"}), NewResult("a"), NewResult("b"), NewResult("c"), NewSummary(Summary{Total: 3})}
		_ = SSE(r.Context(), w, r, slices.Values(src), WithRetry(2*time.Second))
	}))
	defer srv.Close()

	get := func(lastID string) []sseEvent {
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		assert.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
		return readSSE(t, bufio.NewReader(resp.Body), nil)
	}

	all := get("")
	require.Len(t, all, 6) // the retry hint, then five events
	var ids, names []string
	for _, e := range all[1:] {
		ids = append(ids, e.id)
		names = append(names, e.event)
		var ev Event
		require.NoError(t, json.Unmarshal([]byte(e.data), &ev))
		assert.Equal(t, e.event, string(ev.Type))
	}
	assert.Equal(t, []string{"1", "2", "3", "4", "5"}, ids)
	assert.Equal(t, []string{"start", "result", "result", "result", "summary"}, names)

	resumed := get("3")
	var rids []string
	for _, e := range resumed[1:] {
		rids = append(rids, e.id+":"+e.event)
	}
	assert.Equal(t, []string{"4:result", "5:summary"}, rids)

	// A resume past the end still gets the final event.
	end := get("99")
	require.Len(t, end, 2)
	assert.Equal(t, "summary", end[1].event)
}

func TestSSEKeepAlive(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = SSE(r.Context(), w, r, results(r.Context(), 2, 60*time.Millisecond, nil), WithKeepAlive(10*time.Millisecond))
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	evs := readSSE(t, bufio.NewReader(resp.Body), nil)
	pings := 0
	for _, e := range evs {
		if e.comment {
			pings++
		}
	}
	assert.GreaterOrEqual(t, pings, 3, "keep-alive comments while the source is idle")
	assert.Equal(t, "summary", evs[len(evs)-1].event)
}

// TestSlowConsumerIsBounded streams large events to a client that never
// reads: the source must be held back (bounded buffer plus socket buffers)
// and the write deadline must end the stream.
func TestSlowConsumerIsBounded(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	var yielded atomic.Int64
	errc := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src := func(yield func(Event) bool) {
			for r.Context().Err() == nil {
				yielded.Add(1)
				if !yield(NewResult(big)) {
					return
				}
			}
		}
		errc <- NDJSON(r.Context(), w, src, WithWriteTimeout(100*time.Millisecond), WithBuffer(4))
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()

	var werr error
	select {
	case werr = <-errc:
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled client did not end the stream")
	}
	require.ErrorIs(t, werr, ErrWrite)
	n := yielded.Load()
	testenv.Figure(t, "stream_slow_consumer", "event_kib", 64, "buffer", 4, "events_produced", n,
		"ended_by", "write_deadline")
	// Socket buffers on loopback hold a few MiB; the stream adds 4 events.
	assert.Less(t, n, int64(400))
	srv.Client().CloseIdleConnections()
}

func TestWriteErrorStopsSource(t *testing.T) {
	var yielded int
	w := &failingWriter{after: 2}
	err := NDJSON(context.Background(), w, results(context.Background(), 1000, 0, &yielded), WithBuffer(1))
	require.ErrorIs(t, err, ErrWrite)
	assert.Less(t, yielded, 10)
}

type failingWriter struct{ after int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after == 0 {
		return 0, errors.New("broken pipe")
	}
	f.after--
	return len(p), nil
}

func TestChanDeliversAndCloses(t *testing.T) {
	seq := func(yield func(int, error) bool) {
		for i := range 5 {
			var err error
			if i == 3 {
				err = errors.New("three")
			}
			if !yield(i, err) {
				return
			}
		}
	}
	var got []Item[int]
	for it := range Chan(context.Background(), iter.Seq2[int, error](seq), 2) {
		got = append(got, it)
	}
	require.Len(t, got, 5)
	assert.EqualError(t, got[3].Err, "three")
	assert.Equal(t, 4, got[4].Value)
}

func TestChanEndsWhenConsumerCancels(t *testing.T) {
	stopped := make(chan struct{})
	seq := func(yield func(int, error) bool) {
		defer close(stopped)
		for i := 0; ; i++ {
			if !yield(i, nil) {
				return
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := Chan(ctx, seq, 0)
	<-ch
	<-ch
	cancel() // the consumer stops reading: it must cancel
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Chan's goroutine did not end after cancel")
	}
	for range ch { // drained and closed
	}
}

func TestEventsMapsResultsAndErrors(t *testing.T) {
	seq := func(yield func(string, error) bool) {
		_ = yield("a", nil) && yield("", context.DeadlineExceeded) && yield("", errors.New("boom"))
	}
	evs := slices.Collect(Events(seq, func(s string) Event { return NewResult(s) }, nil))
	require.Len(t, evs, 3)
	assert.Equal(t, "a", evs[0].Result)
	assert.Equal(t, "timeout", evs[1].Error.ErrorType)
	assert.True(t, evs[1].Error.Retryable)
	assert.Equal(t, "internal", evs[2].Error.ErrorType)
	assert.Equal(t, "boom", evs[2].Error.Message)
}
