package render

import (
	"errors"
	"fmt"
)

// Sentinel errors. Implementations wrap them; test with [errors.Is].
var (
	// ErrBrowserCrashed: the browser or the page's renderer process died
	// (or was killed) during the render.
	ErrBrowserCrashed = errors.New("render: browser crashed")
	// ErrNoBrowser: no browser binary was found and downloading one is not
	// allowed.
	ErrNoBrowser = errors.New("render: no browser available")
	// ErrNavigation: the page could not be loaded (DNS failure, refused
	// connection, blocked address, aborted navigation).
	ErrNavigation = errors.New("render: navigation failed")
	// ErrAction: an action failed. Errors matching it are *ActionError.
	ErrAction = errors.New("render: action failed")
	// ErrSessionNotFound: the request names a session that does not exist
	// or has expired.
	ErrSessionNotFound = errors.New("render: session not found")
	// ErrClosed: the renderer (or context handle) was closed.
	ErrClosed = errors.New("render: renderer closed")
	// ErrInvalidRequest: the request failed validation.
	ErrInvalidRequest = errors.New("render: invalid request")
)

// ActionError reports the failure of one action of a request. It matches
// [ErrAction] and, through Unwrap, the underlying cause (for example
// [context.DeadlineExceeded] when the action timed out).
type ActionError struct {
	// Index is the action's position in Request.Actions.
	Index int
	// Kind is the action's kind.
	Kind ActionKind
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *ActionError) Error() string {
	return fmt.Sprintf("render: action %d (%s): %v", e.Index, e.Kind, e.Err)
}

// Unwrap returns the cause.
func (e *ActionError) Unwrap() error { return e.Err }

// Is reports whether target is ErrAction.
func (e *ActionError) Is(target error) bool { return target == ErrAction }
