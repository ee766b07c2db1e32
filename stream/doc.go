// Package stream carries results to clients as they complete: event types,
// NDJSON and Server-Sent Events writers, and an iterator-to-channel adapter.
//
// # Events
//
// A stream is an iter.Seq[[Event]]. Its events are, in order: one start
// event, any number of result, error and progress events, and one final
// event, either a summary or a fatal error. Each event encodes as one flat
// JSON object with snake_case keys (see [Event]). The package does not know
// the result type: callers put any JSON-encodable value in Event.Result, and
// [Events] maps an iter.Seq2[T, error] to events.
//
// # Writers
//
// [NDJSON] and [SSE] write a stream to an io.Writer or http.ResponseWriter.
// They never write a partial line (each event is encoded in full first),
// flush after each event (gzip included), bound each write with a deadline,
// and always end the stream with a summary or a fatal error event, even when
// the context is canceled. They read the source on a goroutine so that
// keep-alives and cancellation are served while the source is busy, and
// return only once the source has returned.
//
// # Backpressure
//
// Between the source and the client sit at most WithBuffer events; when
// they are full the source waits at its next yield. A client that reads
// nothing for WithWriteTimeout ends the stream with an error wrapping
// [ErrWrite], which bounds the memory a slow consumer can hold.
//
// Package stream/websocket carries the same events over WebSocket.
package stream
