package stream

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"
)

// ErrWrite is wrapped by the error a writer returns when delivering an
// event to the client failed or passed its write deadline (a slow
// consumer).
var ErrWrite = errors.New("stream: write failed")

// Transport carries encoded events to one client: an HTTP response (see
// [NDJSON], [SSE]), a WebSocket, a file. [Write] calls its methods from one
// goroutine at a time.
type Transport interface {
	// Send delivers one event. data is its JSON encoding, complete, with
	// no newline. ctx carries the write deadline and stays valid for the
	// final event after the stream's context ends.
	Send(ctx context.Context, ev *Event, data []byte) error
	// KeepAlive runs after a silence of WithKeepAlive; it may do nothing.
	KeepAlive(ctx context.Context) error
}

// Write delivers events to t, in order, with the rules every writer
// shares:
//
//   - the stream starts with a start event (one is inserted when the
//     source does not begin with one);
//   - events without an ID are numbered after the highest ID seen, events
//     without a time or request ID get now and WithRequestID;
//   - each event is encoded in full before Send; an event that cannot be
//     encoded is replaced by an error event (error_type "internal");
//   - the stream ends with a summary or a fatal error event: when the source
//     ends without one, Write appends a summary counted from the events it
//     saw; when ctx ends first, it appends a fatal error event ("canceled"
//     or "timeout") and returns ctx.Err(); events after a final event are
//     not read;
//   - at most WithBuffer events wait between the source and a slow client.
//
// Write reads events on a goroutine, so that keep-alives and cancellation
// are served while the source is busy. If events panics, Write ends the
// stream with a fatal "internal" error event and panics with the same
// value on the caller's goroutine. events must honour ctx (or a
// context that ends with it): Write returns only after events has returned,
// and events sees yield return false once ctx ends or a Send fails. A
// failed Send ends the stream with no final event; the error wraps
// [ErrWrite].
func Write(ctx context.Context, t Transport, events iter.Seq[Event], opts ...Option) error {
	o := newOptions(opts)
	return run(ctx, t, o, events)
}

// seqState numbers, counts and encodes the events of one stream.
type seqState struct {
	o        options
	t        Transport
	begin    time.Time
	lastID   int64
	started  bool
	finished bool
	results  int
	errs     int
	buf      []byte
	base     context.Context // ctx without its cancellation, for deadlines
	panicked *sourcePanic    // set by the pump before it closes its channel
}

func run(ctx context.Context, t Transport, o options, events iter.Seq[Event]) error {
	s := &seqState{o: o, t: t, begin: o.now(), base: context.WithoutCancel(ctx)}

	pctx, stop := context.WithCancel(ctx)
	ch := make(chan Event, o.buffer)
	pumped := make(chan struct{})
	go func() {
		defer close(pumped)
		defer close(ch)
		defer func() {
			// A panicking source must not crash the process from this
			// goroutine: hand the panic to the caller's goroutine (where
			// net/http, for one, recovers it). Written before close(ch).
			if r := recover(); r != nil {
				s.panicked = &sourcePanic{r}
			}
		}()
		for ev := range events {
			select {
			case ch <- ev:
			case <-pctx.Done():
				return
			}
		}
	}()
	err := s.loop(ctx, ch)
	if err != nil && errors.Is(err, ErrWrite) && o.cancel != nil {
		o.cancel()
	}
	stop()
	<-pumped // the source has returned: nothing outlives the call
	if s.panicked != nil {
		panic(s.panicked.value)
	}
	return err
}

// sourcePanic carries a panic of the source to the writer's goroutine.
type sourcePanic struct{ value any }

// loop writes the events of ch until the stream ends.
func (s *seqState) loop(ctx context.Context, ch <-chan Event) error {
	o, t := s.o, s.t

	var ping *time.Ticker
	var pingC <-chan time.Time
	if o.keepAlive > 0 {
		ping = time.NewTicker(o.keepAlive)
		defer ping.Stop()
		pingC = ping.C
	}
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				if s.panicked != nil {
					// The stream still ends with a final event; Write
					// then re-panics.
					return s.event(NewError(ErrorEvent{ErrorType: "internal", Code: "source_panic",
						Message: "stream source panicked", Fatal: true}))
				}
				if ctx.Err() != nil {
					return s.abort(ctx)
				}
				if !s.finished {
					sum := Summary{Total: s.results + s.errs, Succeeded: s.results, Errors: s.errs,
						DurationMS: float64(o.now().Sub(s.begin)) / float64(time.Millisecond)}
					return s.event(NewSummary(sum))
				}
				return nil
			}
			if err := s.event(ev); err != nil {
				return err
			}
			if s.finished {
				return nil
			}
			if ping != nil {
				ping.Reset(o.keepAlive)
			}
		case <-pingC:
			sctx, cancel := s.sendCtx()
			err := t.KeepAlive(sctx)
			cancel()
			if err != nil {
				return wrapWrite(err)
			}
		case <-ctx.Done():
			return s.abort(ctx)
		}
	}
}

func (s *seqState) sendCtx() (context.Context, context.CancelFunc) {
	if s.o.writeTimeout > 0 {
		return context.WithTimeout(s.base, s.o.writeTimeout)
	}
	return context.WithCancel(s.base)
}

// abort ends a stream whose ctx ended with a fatal error event.
func (s *seqState) abort(ctx context.Context) error {
	if s.finished {
		return ctx.Err()
	}
	e := ErrorEvent{ErrorType: "canceled", Message: context.Cause(ctx).Error(), Fatal: true}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		e.ErrorType, e.Retryable = "timeout", true
	}
	if err := s.event(NewError(e)); err != nil {
		return errors.Join(ctx.Err(), err)
	}
	return ctx.Err()
}

// event numbers, encodes and sends one event.
func (s *seqState) event(ev Event) error {
	if !s.started && ev.Type != TypeStart {
		if err := s.event(NewStart(Start{})); err != nil {
			return err
		}
	}
	s.started = true
	if ev.ID == 0 {
		ev.ID = s.lastID + 1
	}
	s.lastID = max(s.lastID, ev.ID)
	if ev.Time.IsZero() {
		ev.Time = s.o.now()
	}
	if ev.RequestID == "" {
		ev.RequestID = s.o.requestID
	}
	if ev.Type == TypeError && ev.Error == nil {
		ev.Error = &ErrorEvent{ErrorType: "internal", Message: "unknown error"}
	}
	final := ev.final()
	b, err := ev.AppendJSON(s.buf[:0])
	if err != nil {
		// Never a partial or invalid frame: report the event instead.
		ev = Event{Type: TypeError, ID: ev.ID, Time: ev.Time, RequestID: ev.RequestID,
			Error: &ErrorEvent{ErrorType: "internal", Code: "encode", Message: err.Error(), Fatal: final}}
		if b, err = ev.AppendJSON(s.buf[:0]); err != nil {
			return fmt.Errorf("stream: encode: %w", err)
		}
	}
	s.buf = b
	switch {
	case ev.Type == TypeResult:
		s.results++
	case ev.Type == TypeError && !ev.Error.Fatal:
		s.errs++
	}
	if !final && ev.ID <= s.o.resumeAfter {
		return nil // the client has it already
	}
	sctx, cancel := s.sendCtx()
	err = s.t.Send(sctx, &ev, b)
	cancel()
	if err != nil {
		return wrapWrite(err)
	}
	s.finished = final
	return nil
}

func wrapWrite(err error) error {
	if errors.Is(err, ErrWrite) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrWrite, err)
}
