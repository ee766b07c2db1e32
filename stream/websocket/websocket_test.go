package websocket

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/stream"
)

func pages(ctx context.Context, n int, delay time.Duration) iter.Seq[stream.Event] {
	return func(yield func(stream.Event) bool) {
		if !yield(stream.NewStart(stream.Start{Op: "crawl", Total: n})) {
			return
		}
		for i := range n {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return
			}
			if !yield(stream.NewResult(map[string]int{"page": i})) {
				return
			}
		}
		_ = yield(stream.NewSummary(stream.Summary{Total: n, Succeeded: n}))
	}
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func readAll(t *testing.T, c *websocket.Conn) []stream.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var evs []stream.Event
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			require.Equal(t, websocket.StatusNormalClosure, websocket.CloseStatus(err), "closed with %v", err)
			return evs
		}
		require.Equal(t, websocket.MessageText, typ)
		var ev stream.Event
		require.NoError(t, json.Unmarshal(b, &ev))
		evs = append(evs, ev)
	}
}

func TestHandlerRoundTrip(t *testing.T) {
	cases := []struct {
		name    string
		query   string
		wantIDs []int64
	}{
		{"whole stream", "", []int64{1, 2, 3, 4, 5}},
		{"resumed", "?last_event_id=3", []int64{4, 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(Handler(func(ctx context.Context, r *http.Request) iter.Seq[stream.Event] {
				return pages(ctx, 3, time.Millisecond)
			}, nil, stream.WithRequestID("ws-1")))
			defer srv.Close()

			c := dial(t, srv.URL+tc.query)
			evs := readAll(t, c)
			var ids []int64
			for _, ev := range evs {
				ids = append(ids, ev.ID)
				assert.Equal(t, "ws-1", ev.RequestID)
			}
			assert.Equal(t, tc.wantIDs, ids)
			assert.Equal(t, stream.TypeSummary, evs[len(evs)-1].Type)
		})
	}
}

func TestServeEndsWhenClientLeaves(t *testing.T) {
	errc := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if !assert.NoError(t, err) {
			return
		}
		ctx := conn.CloseRead(r.Context())
		errc <- Serve(ctx, conn, pages(ctx, 1_000_000, time.Millisecond))
	}))
	defer srv.Close()

	c := dial(t, srv.URL)
	_, _, err := c.Read(context.Background())
	require.NoError(t, err)
	require.NoError(t, c.Close(websocket.StatusNormalClosure, "bye"))
	select {
	case err := <-errc:
		require.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not end after the client left")
	}
}

// TestSlowClientIsCut streams large messages to a client that never reads:
// the write deadline must close the connection.
func TestSlowClientIsCut(t *testing.T) {
	big := strings.Repeat("x", 256<<10)
	errc := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if !assert.NoError(t, err) {
			return
		}
		ctx := conn.CloseRead(r.Context())
		src := func(yield func(stream.Event) bool) {
			for ctx.Err() == nil {
				if !yield(stream.NewResult(big)) {
					return
				}
			}
		}
		errc <- Serve(ctx, conn, src, stream.WithWriteTimeout(100*time.Millisecond), stream.WithBuffer(2))
	}))
	defer srv.Close()

	_ = dial(t, srv.URL) // never reads
	select {
	case err := <-errc:
		require.ErrorIs(t, err, stream.ErrWrite)
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled client was not cut")
	}
}

// TestUnresponsiveClientFailsKeepAlive: a client that does not read never
// answers pings, so the keep-alive ends the stream.
func TestUnresponsiveClientFailsKeepAlive(t *testing.T) {
	errc := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if !assert.NoError(t, err) {
			return
		}
		ctx := conn.CloseRead(r.Context())
		idle := func(yield func(stream.Event) bool) { <-ctx.Done() }
		errc <- Serve(ctx, conn, idle,
			stream.WithKeepAlive(20*time.Millisecond), stream.WithWriteTimeout(50*time.Millisecond))
	}))
	defer srv.Close()

	_ = dial(t, srv.URL) // never reads, so never pongs
	select {
	case err := <-errc:
		require.ErrorIs(t, err, stream.ErrWrite)
		assert.True(t, errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "ping"), "%v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("keep-alive did not detect a dead client")
	}
}

func TestKeepAliveKeepsReadingClient(t *testing.T) {
	srv := httptest.NewServer(Handler(func(ctx context.Context, r *http.Request) iter.Seq[stream.Event] {
		return pages(ctx, 2, 60*time.Millisecond)
	}, nil, stream.WithKeepAlive(10*time.Millisecond), stream.WithWriteTimeout(time.Second)))
	defer srv.Close()
	c := dial(t, srv.URL)
	evs := readAll(t, c) // reading answers the pings
	require.Len(t, evs, 4)
	assert.Equal(t, stream.TypeSummary, evs[3].Type)
}
