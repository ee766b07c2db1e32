// Package fetch downloads web pages safely: an SSRF guard on every dial,
// caps on decoded bytes, deadlines on every phase, charset conversion to
// UTF-8, bounded redirects, robots.txt and per-host politeness.
package fetch

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Fetcher downloads one page.
//
// Implementations must be safe for concurrent use by multiple goroutines.
// Fetch honours ctx: on cancellation or deadline it returns an error that
// matches ctx.Err() with [errors.Is], and it releases every connection it
// opened before returning.
type Fetcher interface {
	Fetch(ctx context.Context, req *Request) (*Response, error)
}

// Func adapts an ordinary function to the [Fetcher] interface.
type Func func(ctx context.Context, req *Request) (*Response, error)

// Fetch calls f(ctx, req).
func (f Func) Fetch(ctx context.Context, req *Request) (*Response, error) { return f(ctx, req) }

// Request is one page to fetch. Only URL is required.
type Request struct {
	URL string
	// Header holds extra request headers. They are sent to the request's
	// origin only: a redirect to another origin drops them, as it drops
	// Authorization, Cookie and Proxy-Authorization.
	Header http.Header
	// AllowTruncated asks for a Response with Truncated set, instead of
	// ErrBodyTooLarge, when the decoded body passes the size cap.
	AllowTruncated bool
	// IgnoreRobots skips the robots.txt check for this request.
	IgnoreRobots bool
	// AnyType accepts a body of any content type and returns it as
	// received (decompressed, but not converted to UTF-8): for sitemaps,
	// feeds and other non-HTML documents.
	AnyType bool
	// IfNoneMatch and IfModifiedSince make the request conditional; a 304
	// answer gives a Response with Status 304 and no body.
	IfNoneMatch     string
	IfModifiedSince string
}

// Response is a fetched page.
type Response struct {
	URL      string // as requested, normalised
	FinalURL string // after redirects
	Status   int
	Header   http.Header
	// ContentType is the media type without parameters ("text/html").
	ContentType string
	// Charset is the charset the body was decoded from ("utf-8",
	// "windows-1252", ...). Body is always valid UTF-8.
	Charset string
	Body    []byte
	// WireBytes counts bytes read from the connection; DecodedBytes counts
	// bytes after every content-encoding was removed.
	WireBytes    int64
	DecodedBytes int64
	// Truncated is set when the body was cut at the size cap (only when the
	// request set AllowTruncated).
	Truncated bool
	// Redirects lists the URLs of every redirect hop taken, in order.
	Redirects []string
	// NoIndex and NoFollow report X-Robots-Tag directives of the response.
	NoIndex  bool
	NoFollow bool
	// Timings of the phases.
	Timings Timings
}

// Timings are the durations of a fetch's phases.
type Timings struct {
	DNS, Connect, TLS, FirstByte, Body, Total time.Duration
}

// Sentinel errors. The fetcher wraps them (often in a [*Error]), so callers
// test with [errors.Is].
var (
	ErrInvalidURL       = errors.New("fetch: invalid url")
	ErrBlockedAddress   = errors.New("fetch: blocked address")
	ErrDisallowedScheme = errors.New("fetch: scheme not allowed")
	ErrRobotsDisallowed = errors.New("fetch: disallowed by robots.txt")
	ErrBodyTooLarge     = errors.New("fetch: body too large")
	ErrHeaderTooLarge   = errors.New("fetch: response header too large")
	ErrTooManyRedirects = errors.New("fetch: too many redirects")
	ErrRedirectLoop     = errors.New("fetch: redirect loop")
	ErrUnsupportedType  = errors.New("fetch: unsupported content type")
	ErrTooManyEncodings = errors.New("fetch: too many content encodings")
	ErrBadEncoding      = errors.New("fetch: bad content encoding")
	ErrTimeout          = errors.New("fetch: timeout")
	ErrHTTPStatus       = errors.New("fetch: http error status")
	ErrConnection       = errors.New("fetch: connection failed")
)
