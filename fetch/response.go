package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/riptide-go/riptide/internal/redact"
)

// finish turns the final response of a fetch into a [Response]: status and
// type checks, the capped and decoded body, charset conversion and the
// X-Robots-Tag directives. It closes the hop.
func (h *HTTP) finish(parent, ctx context.Context, t *hopTrip, opts fetchOpts) (*Response, error) {
	defer t.close()
	resp := t.resp
	u := resp.Request.URL
	fail := func(op string, err error) error {
		return &Error{Op: op, URL: redact.Redacted(u), Err: err}
	}
	out := &Response{
		Status: resp.StatusCode,
		Header: resp.Header,
	}
	out.NoIndex, out.NoFollow = robotsTag(resp.Header.Values("X-Robots-Tag"), h.agent)
	if resp.StatusCode == http.StatusNotModified {
		out.Timings = t.timingsDone()
		return out, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &Error{Op: "status", URL: redact.Redacted(u), Status: resp.StatusCode, Err: ErrHTTPStatus}
	}
	ct := resp.Header.Get("Content-Type")
	mt := mediaType(ct)
	if !opts.anyType && mt != "" && !acceptedTypes[mt] {
		return nil, fail("type", fmt.Errorf("%w: %q", ErrUnsupportedType, truncateString(mt, 60)))
	}
	encodings, err := parseEncodings(resp.Header.Values("Content-Encoding"))
	if err != nil {
		return nil, fail("decode", err)
	}
	if resp.StatusCode == http.StatusNoContent || resp.ContentLength == 0 {
		encodings = nil // nothing to decode
	}

	if len(encodings) == 0 && resp.ContentLength > opts.maxBody && !opts.allowTruncated {
		// Announced too large: refuse without reading.
		return nil, fail("read", fmt.Errorf("%w: content-length %d over %d bytes", ErrBodyTooLarge, resp.ContentLength, opts.maxBody))
	}
	bodyStart := time.Now()
	wire := &wireReader{
		r:        resp.Body,
		limit:    2 * opts.maxBody,
		progress: func() { t.watchdog.Reset(t.idle) },
	}
	decoded, closeDecoders, err := decoderChain(wire, encodings, opts.maxBody)
	if err != nil {
		if wire.err != nil {
			return nil, h.readErr(u, parent, ctx, t, wire.err)
		}
		return nil, fail("decode", err)
	}
	defer closeDecoders()
	body, over, err := readCapped(decoded, opts.maxBody, resp.ContentLength, len(encodings) == 0)
	out.WireBytes = wire.n
	out.DecodedBytes = int64(len(body))
	switch {
	case err == nil:
	case errors.Is(err, errOverCap) || wire.n > wire.limit:
		over = true
	case wire.err != nil:
		return nil, h.readErr(u, parent, ctx, t, wire.err)
	case t.ctx.Err() != nil:
		return nil, h.readErr(u, parent, ctx, t, t.ctx.Err())
	case len(encodings) == 0:
		return nil, h.readErr(u, parent, ctx, t, err)
	default:
		return nil, fail("decode", fmt.Errorf("%w: %v", ErrBadEncoding, err))
	}
	if over {
		if !opts.allowTruncated {
			return nil, fail("read", fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, opts.maxBody))
		}
		out.Truncated = true
		if int64(len(body)) > opts.maxBody {
			body = body[:opts.maxBody]
		}
	}
	out.Timings = t.timingsDone()
	out.Timings.Body = time.Since(bodyStart)

	if opts.anyType {
		out.ContentType = mt
		out.Body = body
		return out, nil
	}
	if mt == "" {
		mt = sniffType(body)
		if !acceptedTypes[mt] {
			return nil, fail("type", fmt.Errorf("%w: %q (sniffed)", ErrUnsupportedType, mt))
		}
	}
	out.ContentType = mt
	out.Body, out.Charset = toUTF8(body, ct)
	return out, nil
}

// readErr classifies an error met while reading a body.
func (h *HTTP) readErr(u *url.URL, parent, ctx context.Context, t *hopTrip, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) && parent.Err() == nil && ctx.Err() == nil && t.ctx.Err() == nil {
		return &Error{Op: "read", URL: redact.Redacted(u), Err: fmt.Errorf("%w: body cut short", ErrConnection)}
	}
	return h.wrap("read", u, parent, ctx, t.ctx, err)
}

// readCapped reads r to its end or to limit+1 bytes, whichever comes
// first; over reports the latter. sizeHint (a Content-Length, or -1)
// presizes the buffer when trusted (identity encoding) and sane.
func readCapped(r io.Reader, limit, sizeHint int64, trustHint bool) (body []byte, over bool, err error) {
	initial := int64(32 << 10)
	if trustHint && sizeHint > 0 {
		initial = min(sizeHint+1, limit+1)
	}
	buf := bytes.NewBuffer(make([]byte, 0, initial))
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return buf.Bytes(), false, err
	}
	return buf.Bytes(), n > limit, nil
}

func (t *hopTrip) timingsDone() Timings {
	t.timings.mu.Lock()
	defer t.timings.mu.Unlock()
	return Timings{
		DNS:       t.timings.dns,
		Connect:   t.timings.connect,
		TLS:       t.timings.tls,
		FirstByte: t.timings.firstByte,
	}
}

// robotsTag reads X-Robots-Tag values: "noindex", "nofollow", "none", and
// the same prefixed by a user agent ("googlebot: noindex"), which apply
// only when the agent is ours.
func robotsTag(values []string, agent string) (noindex, nofollow bool) {
	for _, v := range values {
		v = strings.ToLower(v)
		if i := strings.IndexByte(v, ':'); i >= 0 {
			name := strings.TrimSpace(v[:i])
			// "unavailable_after: <date>" is a directive, not an agent.
			if name != "unavailable_after" && !strings.ContainsAny(name, ", ") {
				if name != agent {
					continue
				}
				v = v[i+1:]
			}
		}
		for _, d := range strings.Split(v, ",") {
			switch strings.TrimSpace(d) {
			case "noindex":
				noindex = true
			case "nofollow":
				nofollow = true
			case "none":
				noindex, nofollow = true, true
			}
		}
	}
	return noindex, nofollow
}
