package stream

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Type names an event. Its values are part of the wire format.
type Type string

// Event types.
const (
	TypeStart    Type = "start"
	TypeResult   Type = "result"
	TypeError    Type = "error"
	TypeProgress Type = "progress"
	TypeSummary  Type = "summary"
)

// Event is one message of a stream. Type selects which payload field is set:
// Start, Result, Error, Progress or Summary.
//
// An event encodes as one flat JSON object: "type", "id", "timestamp" and
// "request_id", followed by the fields of the Start, Error, Progress or
// Summary payload at the top level. A result's payload, which the stream
// does not know, goes under "result":
//
//	{"type":"error","id":7,"timestamp":"...","request_id":"r1","error_type":"timeout","message":"...","url":"...","retryable":true}
//	{"type":"result","id":8,"timestamp":"...","request_id":"r1","result":{...}}
type Event struct {
	Type Type
	// ID orders the events of a stream; SSE sends it as the event id and
	// resumes after it. A writer numbers events whose ID is zero, after the
	// highest ID it has seen.
	ID int64
	// Time is when the event happened; a writer sets a zero Time to now.
	Time time.Time
	// RequestID ties the event to a request; a writer fills an empty one
	// from WithRequestID.
	RequestID string

	Start    *Start
	Result   any // any JSON-encodable value; json.RawMessage after decoding
	Error    *ErrorEvent
	Progress *Progress
	Summary  *Summary
}

// Start opens a stream.
type Start struct {
	// Op is the operation streamed: "crawl", "extract", ...
	Op string `json:"op,omitempty"`
	// Total is the number of results expected, when known.
	Total int `json:"total,omitempty"`
}

// ErrorEvent reports a failure: of one URL (URL set, the stream goes on) or
// of the whole stream (Fatal set, the last event).
type ErrorEvent struct {
	// ErrorType is the error's class, a stable code such as "timeout",
	// "fetch" or "canceled".
	ErrorType string `json:"error_type"`
	Message   string `json:"message"`
	// Code is a finer, machine-readable code when there is one.
	Code      string `json:"code,omitempty"`
	URL       string `json:"url,omitempty"`
	Retryable bool   `json:"retryable"`
	// Fatal marks the error that ends the stream.
	Fatal   bool           `json:"fatal,omitempty"`
	Context map[string]any `json:"context,omitempty"`
}

// Progress reports how far a stream has come.
type Progress struct {
	Completed int     `json:"completed"`
	Failed    int     `json:"failed"`
	Total     int     `json:"total,omitempty"` // 0 when unknown
	InFlight  int     `json:"in_flight,omitempty"`
	ElapsedMS float64 `json:"elapsed_ms"`
}

// Summary closes a successful stream.
type Summary struct {
	Total     int `json:"total"`
	Succeeded int `json:"succeeded"`
	Errors    int `json:"errors"`
	// ByStatus counts results by HTTP status ("200", "404"); ByEngine by
	// engine ("static", "headless").
	ByStatus  map[string]int `json:"by_status,omitempty"`
	ByEngine  map[string]int `json:"by_engine,omitempty"`
	Bytes     int64          `json:"bytes"`
	CacheHits int            `json:"cache_hits"`
	// DurationMS is the wall time of the stream; P50MS and P95MS are the
	// per-result durations.
	DurationMS float64 `json:"duration_ms"`
	// Resources holds the producer's resource-control figures at the end
	// of the stream (admission, memory guard, concurrency limits), keyed
	// by snake_case names. Optional.
	Resources map[string]float64 `json:"resources,omitempty"`
	P50MS     float64            `json:"p50_ms"`
	P95MS     float64            `json:"p95_ms"`
}

// final reports whether e ends a stream.
func (e *Event) final() bool {
	return e.Type == TypeSummary || (e.Type == TypeError && e.Error != nil && e.Error.Fatal)
}

// AppendJSON appends the event's JSON encoding to b, with no newline.
func (e Event) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, string(e.Type))
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, e.ID, 10)
	if !e.Time.IsZero() {
		b = append(b, `,"timestamp":"`...)
		b = e.Time.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	if e.RequestID != "" {
		rid, err := json.Marshal(e.RequestID)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"request_id":`...)
		b = append(b, rid...)
	}
	var payload any
	switch e.Type {
	case TypeStart:
		payload = e.Start
	case TypeError:
		payload = e.Error
	case TypeProgress:
		payload = e.Progress
	case TypeSummary:
		payload = e.Summary
	case TypeResult:
		r, err := json.Marshal(e.Result)
		if err != nil {
			return nil, fmt.Errorf("stream: encode result: %w", err)
		}
		b = append(b, `,"result":`...)
		b = append(b, r...)
		return append(b, '}'), nil
	default:
		return nil, fmt.Errorf("stream: unknown event type %q", e.Type)
	}
	p, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("stream: encode %s: %w", e.Type, err)
	}
	// p is "null" or an object: splice its fields into ours.
	if len(p) > 2 && p[0] == '{' {
		b = append(b, ',')
		b = append(b, p[1:len(p)-1]...)
	}
	return append(b, '}'), nil
}

// MarshalJSON encodes the event as one flat object (see [Event]).
func (e Event) MarshalJSON() ([]byte, error) { return e.AppendJSON(nil) }

// UnmarshalJSON decodes an event written by MarshalJSON. A result's payload
// is kept as a json.RawMessage.
func (e *Event) UnmarshalJSON(b []byte) error {
	var h struct {
		Type      Type            `json:"type"`
		ID        int64           `json:"id"`
		Time      time.Time       `json:"timestamp"`
		RequestID string          `json:"request_id"`
		Result    json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return err
	}
	*e = Event{Type: h.Type, ID: h.ID, Time: h.Time, RequestID: h.RequestID}
	var target any
	switch h.Type {
	case TypeStart:
		e.Start = new(Start)
		target = e.Start
	case TypeError:
		e.Error = new(ErrorEvent)
		target = e.Error
	case TypeProgress:
		e.Progress = new(Progress)
		target = e.Progress
	case TypeSummary:
		e.Summary = new(Summary)
		target = e.Summary
	case TypeResult:
		if h.Result != nil {
			e.Result = h.Result
		}
		return nil
	default:
		return fmt.Errorf("stream: unknown event type %q", h.Type)
	}
	return json.Unmarshal(b, target)
}

// NewStart returns a start event.
func NewStart(s Start) Event { return Event{Type: TypeStart, Start: &s} }

// NewResult returns a result event carrying v.
func NewResult(v any) Event { return Event{Type: TypeResult, Result: v} }

// NewError returns an error event.
func NewError(e ErrorEvent) Event { return Event{Type: TypeError, Error: &e} }

// NewProgress returns a progress event.
func NewProgress(p Progress) Event { return Event{Type: TypeProgress, Progress: &p} }

// NewSummary returns a summary event.
func NewSummary(s Summary) Event { return Event{Type: TypeSummary, Summary: &s} }
