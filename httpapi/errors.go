package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/riptide-go/riptide"
)

// Error is an API error as the JSON body of a failed request carries it,
// under "error". Clients decode it from that body; servers get it from
// nowhere else.
type Error struct {
	// Status is the HTTP status code (not encoded in the body).
	Status    int    `json:"-"`
	ErrorType string `json:"error_type"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
	RequestID string `json:"request_id,omitempty"`
	// URL is the redacted URL the error is about, when there is one.
	URL string `json:"url,omitempty"`
}

// Error returns "<error_type> (<code>): <message>".
func (e *Error) Error() string {
	return e.ErrorType + " (" + e.Code + "): " + e.Message
}

// errorBody is the JSON body of a failed request.
type errorBody struct {
	Error Error `json:"error"`
}

func apiError(status int, errorType, code, msg string) *Error {
	return &Error{Status: status, ErrorType: errorType, Code: code, Message: msg}
}

func invalid(code, format string, args ...any) *Error {
	return apiError(http.StatusBadRequest, riptide.KindValidation.String(), code, fmt.Sprintf(format, args...))
}

func notImplemented(msg string) *Error {
	return apiError(http.StatusNotImplemented, "not_implemented", "not_implemented", msg)
}

// kindStatus maps error kinds to HTTP status codes.
var kindStatus = map[riptide.Kind]int{
	riptide.KindValidation:    http.StatusBadRequest,
	riptide.KindBlocked:       http.StatusForbidden,
	riptide.KindRobots:        http.StatusForbidden,
	riptide.KindTooLarge:      http.StatusBadGateway,
	riptide.KindTimeout:       http.StatusGatewayTimeout,
	riptide.KindFetch:         http.StatusBadGateway,
	riptide.KindExtraction:    http.StatusUnprocessableEntity,
	riptide.KindRendering:     http.StatusBadGateway,
	riptide.KindSession:       http.StatusNotFound,
	riptide.KindResourceLimit: http.StatusServiceUnavailable,
	riptide.KindClosed:        http.StatusServiceUnavailable,
	riptide.KindCanceled:      http.StatusServiceUnavailable,
	riptide.KindStream:        http.StatusInternalServerError,
	riptide.KindInternal:      http.StatusInternalServerError,
}

// fromError maps err to an API error: an *Error as is, a riptide error by
// its kind (with the same code and redacted message as its stream event),
// anything else as internal.
func fromError(err error) *Error {
	if ae, ok := errors.AsType[*Error](err); ok {
		return ae
	}
	ev := riptide.ErrorEvent(err)
	e := &Error{Status: http.StatusInternalServerError, ErrorType: ev.Error.ErrorType, Code: ev.Error.Code,
		Message: ev.Error.Message, Retryable: ev.Error.Retryable, URL: ev.Error.URL}
	if e.Code == "" {
		e.Code = e.ErrorType
	}
	if re, ok := errors.AsType[*riptide.Error](err); ok {
		if s, ok := kindStatus[re.Kind]; ok {
			e.Status = s
		}
	} else if e.ErrorType == "timeout" {
		e.Status = http.StatusGatewayTimeout
	}
	return e
}

// fail answers with err as a JSON error body and logs it.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, rid string, err *Error) {
	e := *err
	e.RequestID = rid
	level := "warn"
	if e.Status < 500 {
		level = "info"
	}
	attrs := []any{"request_id", rid, "method", r.Method, "path", r.URL.Path, "status", e.Status,
		"error_type", e.ErrorType, "code", e.Code}
	if e.URL != "" {
		attrs = append(attrs, "url", e.URL)
	}
	if level == "warn" {
		h.log.Warn("request failed", attrs...)
	} else {
		h.log.Info("request refused", attrs...)
	}
	if e.Status == http.StatusRequestEntityTooLarge {
		// The rest of the body is not read: do not keep the connection.
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, e.Status, errorBody{Error: e})
}

// decodeBody reads r's JSON body into v: capped at MaxBodyBytes, within
// bodyReadTimeout, one JSON value with no unknown field and nothing after
// it.
func (h *handler) decodeBody(w http.ResponseWriter, r *http.Request, v any) *Error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			return apiError(http.StatusUnsupportedMediaType, riptide.KindValidation.String(), "unsupported_media_type",
				"the body must be application/json")
		}
	}
	if r.ContentLength > h.o.MaxBodyBytes {
		return tooLarge(h.o.MaxBodyBytes)
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout)) // unsupported: no deadline
	defer func() { _ = rc.SetReadDeadline(time.Time{}) }()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooLarge(h.o.MaxBodyBytes)
		}
		return invalid("bad_body", "reading the body failed")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return invalid("empty_body", "the body must be a JSON object")
	}
	if err := decodeStrict(body, v); err != nil {
		return fromError(err)
	}
	return nil
}

func tooLarge(limit int64) *Error {
	return apiError(http.StatusRequestEntityTooLarge, riptide.KindTooLarge.String(), "body_too_large",
		fmt.Sprintf("the body is larger than %d bytes", limit))
}

// decodeStrict decodes one JSON value from b into v, rejecting unknown
// fields and trailing data. Its errors are *Error values of status 400.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("bad_json", "the body must hold a single JSON value")
	}
	return nil
}

// jsonError turns a decoding error into a validation error naming the
// problem.
func jsonError(err error) *Error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return invalid("bad_json", "malformed JSON at byte %d: %v", se.Offset, se)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := te.Field
		if field == "" {
			field = "the body"
		}
		return invalid("invalid_type", "%s must be %s, not %s", field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return invalid("unknown_field", "unknown field %s", f)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return invalid("bad_json", "the JSON body ends early")
	}
	if ae, ok := errors.AsType[*Error](err); ok {
		return ae
	}
	return invalid("bad_json", "malformed JSON: %s", strings.TrimPrefix(msg, "json: "))
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "int32", "uint", "float64":
		return "a number"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "bool":
		return "a boolean"
	case "struct", "map":
		return "an object"
	}
	return k
}
