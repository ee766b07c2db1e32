package pool

import (
	"errors"
	"fmt"
	"runtime/debug"
)

var (
	// ErrClosed is returned by Acquire and WaitReady once Close was called.
	ErrClosed = errors.New("pool: closed")
	// ErrBroken marks an item as unusable: Release(v, err) with any non-nil
	// err discards v, and Discard uses ErrBroken.
	ErrBroken = errors.New("pool: item broken")
	// ErrInvalidConfig is wrapped by the error New returns for a bad Config.
	ErrInvalidConfig = errors.New("pool: invalid config")
	// ErrDuplicate is wrapped by the CreateError returned when Config.New
	// returns a value the pool already holds.
	ErrDuplicate = errors.New("pool: new returned an item already in the pool")
	// ErrCallbackPanic is wrapped by the error that stands for a panic in
	// Config.New, Close, Check or Mem: the pool recovers it, treats it as a
	// failure of that call (a failed creation, a broken item) and keeps
	// going. The error carries the panic value and stack.
	ErrCallbackPanic = errors.New("pool: callback panicked")
)

// CreateError reports that Config.New failed. Err is New's error; when the
// caller's context ended during creation, errors.Is(err, ctx.Err()) holds as
// long as New wraps the context error, as it should.
type CreateError struct {
	Err error
}

func (e *CreateError) Error() string { return fmt.Sprintf("pool: create: %v", e.Err) }

// Unwrap returns New's error.
func (e *CreateError) Unwrap() error { return e.Err }

// recovered turns a recovered panic value into an error wrapping
// ErrCallbackPanic, with the stack of the panic.
func recovered(r any) error {
	return fmt.Errorf("%w: %v\n%s", ErrCallbackPanic, r, debug.Stack())
}
