package stream_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"time"

	"github.com/riptide-go/riptide/stream"
)

func ExampleNDJSON() {
	// A source of results and errors, as a crawl would yield them.
	pages := func(yield func(string, error) bool) {
		_ = yield("https://example.com/", nil) &&
			yield("", errors.New("fetch https://example.com/404: status 404"))
	}
	events := stream.Events(pages,
		func(url string) stream.Event { return stream.NewResult(map[string]string{"url": url}) },
		nil)

	clock := func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	_ = stream.NDJSON(context.Background(), os.Stdout, events,
		stream.WithRequestID("req-1"), stream.WithClock(clock))
	// Output:
	// {"type":"start","id":1,"timestamp":"2026-11-23T12:00:00Z","request_id":"req-1"}
	// {"type":"result","id":2,"timestamp":"2026-11-23T12:00:00Z","request_id":"req-1","result":{"url":"https://example.com/"}}
	// {"type":"error","id":3,"timestamp":"2026-11-23T12:00:00Z","request_id":"req-1","error_type":"internal","message":"fetch https://example.com/404: status 404","retryable":false}
	// {"type":"summary","id":4,"timestamp":"2026-11-23T12:00:00Z","request_id":"req-1","total":2,"succeeded":1,"errors":1,"bytes":0,"cache_hits":0,"duration_ms":0,"p50_ms":0,"p95_ms":0}
}

func ExampleSSE() {
	clock := func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	events := []stream.Event{
		stream.NewStart(stream.Start{Op: "crawl", Total: 2}),
		stream.NewResult("page one"),
		stream.NewResult("page two"),
		stream.NewSummary(stream.Summary{Total: 2, Succeeded: 2}),
	}
	// The client saw events 1 and 2 before it reconnected.
	req := httptest.NewRequest(http.MethodGet, "/crawl/sse", nil)
	req.Header.Set("Last-Event-ID", "2")
	rec := httptest.NewRecorder()
	_ = stream.SSE(req.Context(), rec, req, slices.Values(events), stream.WithClock(clock))
	fmt.Print(rec.Body.String())
	// Output:
	// id: 3
	// event: result
	// data: {"type":"result","id":3,"timestamp":"2026-11-23T12:00:00Z","result":"page two"}
	//
	// id: 4
	// event: summary
	// data: {"type":"summary","id":4,"timestamp":"2026-11-23T12:00:00Z","total":2,"succeeded":2,"errors":0,"bytes":0,"cache_hits":0,"duration_ms":0,"p50_ms":0,"p95_ms":0}
}

func ExampleChan() {
	pages := func(yield func(string, error) bool) {
		for _, p := range []string{"a", "b", "c"} {
			if !yield(p, nil) {
				return
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends Chan's goroutine if the loop below stops early
	for item := range stream.Chan(ctx, pages, 1) {
		fmt.Println(item.Value, item.Err)
	}
	// Output:
	// a <nil>
	// b <nil>
	// c <nil>
}
