package stream

import (
	"context"
	"errors"
	"iter"
)

// Item is one element of a sequence delivered over a channel.
type Item[T any] struct {
	Value T
	Err   error
}

// Chan runs seq on a new goroutine and delivers its elements on the
// returned channel, which holds up to buf of them (backpressure: the
// goroutine, and so seq, waits while the channel is full).
//
// The goroutine exits, and the channel is closed, when seq returns or when
// ctx ends; in the second case the element being sent is dropped and seq's
// yield returns false. A consumer that stops reading must cancel ctx, or
// the goroutine stays blocked on its send for ever. seq should honour ctx
// too, so that the goroutine also ends while seq is busy between elements.
func Chan[T any](ctx context.Context, seq iter.Seq2[T, error], buf int) <-chan Item[T] {
	ch := make(chan Item[T], max(buf, 0))
	go func() {
		defer close(ch)
		if ctx.Err() != nil {
			return
		}
		for v, err := range seq {
			select {
			case ch <- Item[T]{Value: v, Err: err}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// Events turns a sequence of results and errors into events: result maps
// each value, fail maps each error (typically to an [ErrorEvent] with the
// URL and the error's class). A nil fail uses [ErrorFrom].
func Events[T any](seq iter.Seq2[T, error], result func(T) Event, fail func(error) Event) iter.Seq[Event] {
	if fail == nil {
		fail = ErrorFrom
	}
	return func(yield func(Event) bool) {
		for v, err := range seq {
			var ev Event
			if err != nil {
				ev = fail(err)
			} else {
				ev = result(v)
			}
			if !yield(ev) {
				return
			}
		}
	}
}

// ErrorFrom returns a non-fatal error event for err. Its error_type is
// "canceled" or "timeout" for context errors, else "internal"; callers that
// know more (an error kind, the URL) should build the [ErrorEvent] themselves.
func ErrorFrom(err error) Event {
	e := ErrorEvent{ErrorType: "internal", Message: err.Error()}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		e.ErrorType, e.Retryable = "timeout", true
	case errors.Is(err, context.Canceled):
		e.ErrorType = "canceled"
	}
	return NewError(e)
}
