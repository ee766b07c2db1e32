package wasm

import (
	"context"
	"errors"
	"fmt"

	"github.com/riptide-go/riptide/extract"
)

// Sentinel errors of the WASM engine. Errors returned by [New] and
// [Engine.Extract] wrap them, so callers test with [errors.Is].
var (
	// ErrABIVersion: the module's riptide_abi_version is not [ABIVersion].
	ErrABIVersion = errors.New("wasm: unsupported guest abi version")
	// ErrMissingExport: the module lacks an export the ABI requires; the
	// error names it.
	ErrMissingExport = errors.New("wasm: missing export")
	// ErrCompile: the module is not valid WebAssembly or failed to compile.
	ErrCompile = errors.New("wasm: compile module")
	// ErrInstantiate: the module failed to instantiate (its imports, start
	// function or initial memory).
	ErrInstantiate = errors.New("wasm: instantiate module")
	// ErrTrap: the guest trapped (unreachable, out-of-bounds access, stack
	// overflow) or exited. Its instance is discarded.
	ErrTrap = errors.New("wasm: guest trapped")
	// ErrTimeout: the guest ran past the per-document timeout. The error
	// also matches [context.DeadlineExceeded].
	ErrTimeout = errors.New("wasm: guest timed out")
	// ErrBadPointer: the guest returned a pointer/length outside its
	// linear memory, or a response larger than the cap.
	ErrBadPointer = errors.New("wasm: guest returned an out-of-bounds buffer")
	// ErrBadResponse: the guest's response is not the JSON the ABI defines.
	ErrBadResponse = errors.New("wasm: malformed guest response")
	// ErrClosed: the Engine was closed.
	ErrClosed = errors.New("wasm: engine closed")
	// ErrInvalidOption: an option given to [New] is out of range.
	ErrInvalidOption = errors.New("wasm: invalid option")
)

// Error codes a guest reports in {"error":{"code":...}}.
const (
	CodeInvalidHTML     = "invalid_html"
	CodeParseError      = "parse_error"
	CodeResourceLimit   = "resource_limit"
	CodeExtractorError  = "extractor_error"
	CodeInternal        = "internal"
	CodeUnsupportedMode = "unsupported_mode"
	// CodeTimeout: the guest gave up because its deadline (sent in the
	// request) passed.
	CodeTimeout = "timeout"
)

// GuestError is an error the guest reported in its response. The guest
// instance stays healthy and is reused. It unwraps to the matching
// extract sentinel (invalid_html → [extract.ErrInvalidHTML], parse_error →
// [extract.ErrParse], resource_limit → [extract.ErrResourceLimit],
// unsupported_mode → [extract.ErrUnsupportedMode], timeout → [ErrTimeout]);
// other codes unwrap to nothing.
type GuestError struct {
	Code    string
	Message string
}

func (e *GuestError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("wasm: guest error %s", e.Code)
	}
	return fmt.Sprintf("wasm: guest error %s: %s", e.Code, e.Message)
}

// Is reports a guest timeout as [context.DeadlineExceeded] too.
func (e *GuestError) Is(target error) bool {
	return e.Code == CodeTimeout && target == context.DeadlineExceeded
}

// Unwrap returns the sentinel matching Code, or nil.
func (e *GuestError) Unwrap() error {
	switch e.Code {
	case CodeInvalidHTML:
		return extract.ErrInvalidHTML
	case CodeParseError:
		return extract.ErrParse
	case CodeResourceLimit:
		return extract.ErrResourceLimit
	case CodeUnsupportedMode:
		return extract.ErrUnsupportedMode
	case CodeTimeout:
		return ErrTimeout
	}
	return nil
}
