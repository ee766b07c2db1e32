package fetch

import (
	"context"
	"errors"
	"strconv"
)

// Error is the error a fetch returns. It carries the redacted URL (no
// userinfo, token-like query values masked) and, when the status is the
// reason for the error (an unwanted status, a redirect that cannot be
// followed), the status code. Err wraps one of the package's sentinels,
// tested with [errors.Is].
type Error struct {
	// Op is the phase that failed: "parse", "robots", "dial", "request",
	// "redirect", "status", "read", "decode", "type".
	Op string
	// URL is the URL being fetched, redacted.
	URL string
	// Status is the HTTP status that caused the error ([ErrHTTPStatus],
	// redirect errors); 0 otherwise.
	Status int
	// Err is the cause.
	Err error
}

func (e *Error) Error() string {
	s := "fetch: " + e.Op
	if e.URL != "" {
		s += " " + e.URL
	}
	if e.Status != 0 {
		s += ": status " + strconv.Itoa(e.Status)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// timeoutError reports a deadline that ran out: the request's budget, the
// caller's deadline, a phase timeout (connect, TLS, headers) or the idle
// read watchdog. It matches both [ErrTimeout] and
// [context.DeadlineExceeded].
type timeoutError struct {
	phase string
	cause error
}

func (e *timeoutError) Error() string {
	return "fetch: timeout: " + e.phase
}

func (e *timeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

func (e *timeoutError) Unwrap() error { return e.cause }

// Timeout reports true, for callers that test net.Error-style timeouts.
func (e *timeoutError) Timeout() bool { return true }

// Retryable reports whether err is worth retrying later: timeouts,
// connection failures, 5xx and 429 answers. Invalid or blocked URLs,
// oversized bodies, robots.txt refusals, unsupported types, other 4xx
// answers and cancellations are not.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, ErrTimeout) || errors.Is(err, ErrConnection) {
		return true
	}
	var fe *Error
	if errors.As(err, &fe) && fe.Status != 0 && errors.Is(err, ErrHTTPStatus) {
		return fe.Status >= 500 || fe.Status == 429
	}
	return false
}
