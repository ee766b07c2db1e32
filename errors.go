package riptide

import (
	"context"
	"errors"
	"fmt"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/internal/netguard"
	"github.com/riptide-go/riptide/internal/redact"
	"github.com/riptide-go/riptide/render"
)

// Kind classifies an [Error]. Its String form is a stable, machine-readable
// code (for example "timeout"), used as the "code" of stream error events.
type Kind uint8

// Kinds of error.
const (
	KindInternal      Kind = iota // a bug or an unexpected condition
	KindValidation                // the request is malformed (bad URL, bad option)
	KindBlocked                   // the target address is not allowed (SSRF guard)
	KindRobots                    // robots.txt disallows the URL
	KindTooLarge                  // the body passed a size cap
	KindTimeout                   // a deadline passed
	KindFetch                     // the HTTP fetch failed (connection, status, type)
	KindExtraction                // the extractor failed
	KindRendering                 // the browser failed
	KindSession                   // a browser session is unknown or expired
	KindStream                    // writing a stream failed
	KindResourceLimit             // a memory, node or admission limit was reached
	KindClosed                    // the Client was closed
	KindCanceled                  // the caller cancelled the context
)

var kindCodes = [...]string{
	KindInternal:      "internal",
	KindValidation:    "validation",
	KindBlocked:       "blocked",
	KindRobots:        "robots_disallowed",
	KindTooLarge:      "too_large",
	KindTimeout:       "timeout",
	KindFetch:         "fetch",
	KindExtraction:    "extraction",
	KindRendering:     "rendering",
	KindSession:       "session",
	KindStream:        "stream",
	KindResourceLimit: "resource_limit",
	KindClosed:        "closed",
	KindCanceled:      "canceled",
}

// String returns the kind's stable code.
func (k Kind) String() string {
	if int(k) < len(kindCodes) {
		return kindCodes[k]
	}
	return "internal"
}

// MarshalText encodes the kind as its code.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Sentinel errors, one per [Kind]. Every error the Client returns is an
// [*Error] that matches its kind's sentinel with [errors.Is], so
//
//	errors.Is(err, riptide.ErrTimeout)
//
// works whatever stage timed out. Timeouts also match
// [context.DeadlineExceeded].
var (
	ErrInternal      = errors.New("riptide: internal error")
	ErrValidation    = errors.New("riptide: invalid request")
	ErrBlocked       = errors.New("riptide: address blocked")
	ErrRobots        = errors.New("riptide: disallowed by robots.txt")
	ErrTooLarge      = errors.New("riptide: too large")
	ErrTimeout       = errors.New("riptide: timeout")
	ErrFetch         = errors.New("riptide: fetch failed")
	ErrExtraction    = errors.New("riptide: extraction failed")
	ErrRendering     = errors.New("riptide: rendering failed")
	ErrSession       = errors.New("riptide: session error")
	ErrStream        = errors.New("riptide: stream error")
	ErrResourceLimit = errors.New("riptide: resource limit")
	ErrClosed        = errors.New("riptide: client closed")
	ErrCanceled      = errors.New("riptide: canceled")
)

var kindSentinels = [...]error{
	KindInternal:      ErrInternal,
	KindValidation:    ErrValidation,
	KindBlocked:       ErrBlocked,
	KindRobots:        ErrRobots,
	KindTooLarge:      ErrTooLarge,
	KindTimeout:       ErrTimeout,
	KindFetch:         ErrFetch,
	KindExtraction:    ErrExtraction,
	KindRendering:     ErrRendering,
	KindSession:       ErrSession,
	KindStream:        ErrStream,
	KindResourceLimit: ErrResourceLimit,
	KindClosed:        ErrClosed,
	KindCanceled:      ErrCanceled,
}

// Error is the error type of every Client method. Its URL never holds
// credentials: userinfo is removed and token-like query values are masked.
type Error struct {
	Kind Kind
	// Op is the operation that failed: "extract", "render", "crawl", ...
	Op string
	// URL is the request's URL, redacted.
	URL string
	// Status is the HTTP status when one was received, else 0.
	Status int
	// Err is the underlying error.
	Err error
}

// Error returns "riptide: <op> <url>: <code>: <cause>".
func (e *Error) Error() string {
	msg := "riptide: " + e.Op
	if e.URL != "" {
		msg += " " + e.URL
	}
	msg += ": " + e.Kind.String()
	if e.Err != nil {
		// Engines should not put credentials in their errors; this makes
		// sure none gets through.
		msg += ": " + redact.Text(e.Err.Error())
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Code returns the kind's stable machine-readable code.
func (e *Error) Code() string { return e.Kind.String() }

// Is matches the sentinel of e's kind, context.DeadlineExceeded for
// timeouts and context.Canceled for cancellations.
func (e *Error) Is(target error) bool {
	if int(e.Kind) < len(kindSentinels) && target == kindSentinels[e.Kind] {
		return true
	}
	return e.Kind == KindTimeout && target == context.DeadlineExceeded ||
		e.Kind == KindCanceled && target == context.Canceled
}

// Retryable reports whether trying the same request again may succeed:
// timeouts, connection failures, 5xx and 429 answers, browser crashes and
// resource limits are retryable; invalid, blocked, disallowed or too-large
// requests are not.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case KindTimeout, KindResourceLimit:
		return true
	case KindFetch:
		if e.Status != 0 {
			return e.Status >= 500 || e.Status == 429 || e.Status == 408
		}
		return fetch.Retryable(e.Err)
	case KindRendering:
		return true
	}
	return false
}

// newError wraps err as an *Error of the given op and URL, classifying it.
// An err that already is an *Error is returned as is.
func newError(op, rawURL string, err error) error {
	if err == nil {
		return nil
	}
	var re *Error
	if errors.As(err, &re) {
		return err
	}
	e := &Error{Kind: classify(err), Op: op, URL: redact.URL(rawURL), Err: err}
	var fe *fetch.Error
	if errors.As(err, &fe) {
		e.Status = fe.Status
	}
	return e
}

// errorf builds an *Error of an explicit kind.
func errorf(kind Kind, op, rawURL, format string, args ...any) error {
	return &Error{Kind: kind, Op: op, URL: redact.URL(rawURL), Err: fmt.Errorf(format, args...)}
}

// classifiers map the engine packages' sentinels to kinds, first match wins.
var classifiers = []struct {
	err  error
	kind Kind
}{
	{ErrClosed, KindClosed},
	{context.Canceled, KindCanceled},
	{context.DeadlineExceeded, KindTimeout},
	{fetch.ErrTimeout, KindTimeout},
	{fetch.ErrInvalidURL, KindValidation},
	{fetch.ErrDisallowedScheme, KindValidation},
	{fetch.ErrBlockedAddress, KindBlocked},
	{fetch.ErrRobotsDisallowed, KindRobots},
	{fetch.ErrBodyTooLarge, KindTooLarge},
	{fetch.ErrHeaderTooLarge, KindTooLarge},
	{netguard.ErrBlocked, KindBlocked},
	{netguard.ErrScheme, KindValidation},
	{netguard.ErrInvalidURL, KindValidation},
	{render.ErrInvalidRequest, KindValidation},
	{render.ErrSessionNotFound, KindSession},
	{render.ErrBrowserCrashed, KindRendering},
	{render.ErrNoBrowser, KindRendering},
	{render.ErrNavigation, KindRendering},
	{render.ErrAction, KindRendering},
	{render.ErrClosed, KindRendering},
	{extract.ErrResourceLimit, KindResourceLimit},
	{extract.ErrInvalidHTML, KindExtraction},
	{extract.ErrParse, KindExtraction},
	{extract.ErrNoContent, KindExtraction},
	{extract.ErrUnsupportedMode, KindValidation},
}

func classify(err error) Kind {
	for _, c := range classifiers {
		if errors.Is(err, c.err) {
			return c.kind
		}
	}
	var fe *fetch.Error
	if errors.As(err, &fe) {
		return KindFetch
	}
	return KindInternal
}
