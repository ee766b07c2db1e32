package timeout

import (
	"errors"
	"fmt"
)

// Errors.
var (
	// ErrInvalidConfig is returned by [NewAdaptive] for a configuration
	// that cannot work.
	ErrInvalidConfig = errors.New("timeout: invalid config")
	// ErrNilOp is returned by [Do] when op is nil.
	ErrNilOp = errors.New("timeout: nil op")
)

// RetryError is returned by [Do] when op did not succeed: Err is the last
// attempt's error, Attempts how many attempts ran.
type RetryError struct {
	Attempts int
	Err      error
}

func (e *RetryError) Error() string {
	s := "s"
	if e.Attempts == 1 {
		s = ""
	}
	return fmt.Sprintf("timeout: failed after %d attempt%s: %v", e.Attempts, s, e.Err)
}

func (e *RetryError) Unwrap() error { return e.Err }
