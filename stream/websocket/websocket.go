// Package websocket carries a [stream] of events over WebSocket, using
// github.com/coder/websocket: one JSON event per text message, with the
// same start and final events, numbering, resume and backpressure rules as
// the NDJSON and SSE writers (see [stream.Write]).
//
// # Keep-alive and slow clients
//
// After stream.WithKeepAlive of silence the server pings the client and
// waits for its pong, within stream.WithWriteTimeout; a client that does
// not answer ends the stream. Writes block while the client's socket is
// full; a write that does not finish within stream.WithWriteTimeout closes
// the connection, so a slow client holds at most stream.WithBuffer events
// plus the socket buffers.
package websocket

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"strconv"

	"github.com/coder/websocket"

	"github.com/riptide-go/riptide/stream"
)

// Serve writes events to conn as text messages, following the rules of
// [stream.Write], then closes conn: with a normal closure when the stream
// ended, at once when a write failed. Serve reads conn itself (through
// conn.CloseRead) to answer pings and notice the client leaving, which ends
// the stream like a canceled ctx; the caller must not read from conn.
//
// Serve returns only after events has returned, so events must stop when
// the client leaves. A hijacked request's context does not end then; build
// events with the context conn.CloseRead returns:
//
//	ctx := conn.CloseRead(r.Context())
//	err := websocket.Serve(ctx, conn, client.CrawlEvents(ctx, req))
func Serve(ctx context.Context, conn *websocket.Conn, events iter.Seq[stream.Event], opts ...stream.Option) error {
	ctx = conn.CloseRead(ctx)
	err := stream.Write(ctx, transport{conn}, events, opts...)
	switch {
	case err == nil:
		_ = conn.Close(websocket.StatusNormalClosure, "")
	case errors.Is(err, stream.ErrWrite):
		_ = conn.CloseNow()
	default:
		_ = conn.Close(websocket.StatusGoingAway, "stream ended")
	}
	return err
}

// Handler returns an http.Handler that upgrades each request with accept
// (nil for coder/websocket's defaults, which refuse cross-origin requests)
// and serves the events source returns for it. The
// context given to source ends when the client leaves; source must honour
// it. A "last_event_id" query parameter resumes the stream after that ID
// (stream.WithResumeAfter). Errors that end a stream are not reported: wrap
// source or use Serve to observe them.
func Handler(source func(ctx context.Context, r *http.Request) iter.Seq[stream.Event], accept *websocket.AcceptOptions, opts ...stream.Option) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, accept)
		if err != nil {
			return // Accept has answered the request
		}
		o := opts
		if id, err := strconv.ParseInt(r.URL.Query().Get("last_event_id"), 10, 64); err == nil && id > 0 {
			o = append([]stream.Option{stream.WithResumeAfter(id)}, opts...)
		}
		ctx := conn.CloseRead(r.Context())
		_ = Serve(ctx, conn, source(ctx, r), o...)
	})
}

// transport sends events as text messages and pings as keep-alives. A
// failure closes the connection at once, which ends the CloseRead context
// and so a source built on it.
type transport struct{ conn *websocket.Conn }

func (t transport) Send(ctx context.Context, _ *stream.Event, data []byte) error {
	return t.fail(t.conn.Write(ctx, websocket.MessageText, data))
}

func (t transport) KeepAlive(ctx context.Context) error { return t.fail(t.conn.Ping(ctx)) }

func (t transport) fail(err error) error {
	if err != nil {
		_ = t.conn.CloseNow()
	}
	return err
}
