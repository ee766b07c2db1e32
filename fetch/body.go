package fetch

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// maxEncodings is how many stacked content-encodings a response may use.
const maxEncodings = 2

// zstdMaxWindow bounds the memory a zstd stream may ask the decoder for.
const zstdMaxWindow = 8 << 20

// errOverCap is returned by capped readers once their limit is passed.
var errOverCap = errors.New("fetch: over the size cap")

// parseEncodings returns the content-codings of a response in the order
// they were applied, without identity. It refuses unknown codings and
// more than maxEncodings.
func parseEncodings(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, c := range strings.Split(v, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			switch c {
			case "", "identity":
				continue
			case "x-gzip":
				c = "gzip"
			case "gzip", "deflate", "br", "zstd":
			default:
				return nil, fmt.Errorf("%w: unsupported content encoding %q", ErrBadEncoding, truncateString(c, 40))
			}
			out = append(out, c)
			if len(out) > maxEncodings {
				return nil, fmt.Errorf("%w: more than %d", ErrTooManyEncodings, maxEncodings)
			}
		}
	}
	return out, nil
}

func truncateString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// wireReader counts the bytes read from the connection, reports progress
// to the idle watchdog, remembers the connection's error and refuses to
// read past its limit.
type wireReader struct {
	r        io.Reader
	limit    int64
	n        int64
	err      error // the first non-EOF error of r
	progress func()
}

func (w *wireReader) Read(p []byte) (int, error) {
	if w.n > w.limit {
		return 0, errOverCap
	}
	if rest := w.limit + 1 - w.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := w.r.Read(p)
	w.n += int64(n)
	if n > 0 && w.progress != nil {
		w.progress()
	}
	if err != nil && err != io.EOF && w.err == nil {
		w.err = err
	}
	if w.n > w.limit {
		return n, errOverCap
	}
	return n, err
}

// capReader fails with errOverCap once more than limit bytes went through.
type capReader struct {
	r     io.Reader
	limit int64
	n     int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n > c.limit {
		return 0, errOverCap
	}
	if rest := c.limit + 1 - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.limit {
		return n, errOverCap
	}
	return n, err
}

// decoderChain stacks the decoders for encodings (in applied order) over
// r, each capped at limit decoded bytes. close releases the decoders.
func decoderChain(r io.Reader, encodings []string, limit int64) (io.Reader, func(), error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	for i := len(encodings) - 1; i >= 0; i-- {
		var err error
		var next io.Reader
		switch encodings[i] {
		case "gzip":
			var zr *gzip.Reader
			zr, err = gzip.NewReader(r)
			if err == nil {
				next = zr
				closers = append(closers, func() { _ = zr.Close() })
			}
		case "deflate":
			// "deflate" is meant to be zlib-wrapped, but many servers send
			// raw deflate; the zlib header tells them apart.
			br := bufio.NewReader(r)
			hdr, _ := br.Peek(2)
			if len(hdr) == 2 && hdr[0]&0x0f == 8 && (uint16(hdr[0])<<8|uint16(hdr[1]))%31 == 0 {
				var zr io.ReadCloser
				zr, err = zlib.NewReader(br)
				if err == nil {
					next = zr
					closers = append(closers, func() { _ = zr.Close() })
				}
			} else {
				fr := flate.NewReader(br)
				next = fr
				closers = append(closers, func() { _ = fr.Close() })
			}
		case "br":
			next = brotli.NewReader(r)
		case "zstd":
			var zr *zstd.Decoder
			zr, err = zstd.NewReader(r,
				zstd.WithDecoderConcurrency(1),
				zstd.WithDecoderLowmem(true),
				zstd.WithDecoderMaxWindow(zstdMaxWindow),
				zstd.WithDecoderMaxMemory(uint64(limit)+zstdMaxWindow),
			)
			if err == nil {
				next = zr
				closers = append(closers, zr.Close)
			}
		}
		if err != nil {
			closeAll()
			return nil, func() {}, fmt.Errorf("%w: %s: %v", ErrBadEncoding, encodings[i], err)
		}
		r = &capReader{r: next, limit: limit}
	}
	return r, closeAll, nil
}
