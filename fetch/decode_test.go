package fetch_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/internal/testenv"
)

type encoder func(w io.Writer) io.WriteCloser

var encoders = map[string]encoder{
	"gzip": func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) },
	"deflate": func(w io.Writer) io.WriteCloser {
		zw, _ := zlib.NewWriterLevel(w, zlib.BestSpeed)
		return zw
	},
	"raw-deflate": func(w io.Writer) io.WriteCloser {
		fw, _ := flate.NewWriter(w, flate.BestSpeed)
		return fw
	},
	"br": func(w io.Writer) io.WriteCloser { return brotli.NewWriterLevel(w, 1) },
	"zstd": func(w io.Writer) io.WriteCloser {
		zw, _ := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20))
		return zw
	},
}

func headerName(enc string) string {
	if enc == "raw-deflate" {
		return "deflate"
	}
	return enc
}

func compress(t testing.TB, enc string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := encoders[enc](&buf)
	_, err := w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func encodedServer(t *testing.T, contentEncoding string, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", contentEncoding)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDecodeEncodings(t *testing.T) {
	page := []byte("<html><body><p>" + strings.Repeat("tide pools and kelp. ", 500) + "</p></body></html>")
	f := open(t, fetch.Config{IgnoreRobots: true})
	for _, enc := range []string{"gzip", "deflate", "raw-deflate", "br", "zstd"} {
		t.Run(enc, func(t *testing.T) {
			wire := compress(t, enc, page)
			srv := encodedServer(t, headerName(enc), wire)
			resp, err := get(f, srv.URL)
			require.NoError(t, err)
			assert.Equal(t, page, resp.Body)
			assert.Equal(t, int64(len(wire)), resp.WireBytes)
			assert.Equal(t, int64(len(page)), resp.DecodedBytes)
			assert.False(t, resp.Truncated)
		})
	}
	t.Run("gzip, br", func(t *testing.T) {
		wire := compress(t, "br", compress(t, "gzip", page))
		srv := encodedServer(t, "gzip, br", wire)
		resp, err := get(f, srv.URL)
		require.NoError(t, err)
		assert.Equal(t, page, resp.Body)
	})
	t.Run("identity", func(t *testing.T) {
		srv := encodedServer(t, "identity", page)
		resp, err := get(f, srv.URL)
		require.NoError(t, err)
		assert.Equal(t, page, resp.Body)
	})
}

func TestDecodeRefusals(t *testing.T) {
	page := []byte("<p>hello</p>")
	f := open(t, fetch.Config{IgnoreRobots: true})
	three := compress(t, "gzip", compress(t, "gzip", compress(t, "gzip", page)))
	corrupt := compress(t, "gzip", page)
	corrupt[len(corrupt)-6] ^= 0xff // break the CRC
	cases := []struct {
		name, encoding string
		body           []byte
		want           error
	}{
		{"three stacked", "gzip, gzip, gzip", three, fetch.ErrTooManyEncodings},
		{"three stacked headers", "gzip, gzip\r\nContent-Encoding: gzip", three, fetch.ErrTooManyEncodings},
		{"unknown", "compress", page, fetch.ErrBadEncoding},
		{"not gzip", "gzip", page, fetch.ErrBadEncoding},
		{"bad crc", "gzip", corrupt, fetch.ErrBadEncoding},
		{"not brotli", "br", []byte{0xff, 0xff, 0xff, 0xff}, fetch.ErrBadEncoding},
		{"not zstd", "zstd", page, fetch.ErrBadEncoding},
		{"truncated gzip", "gzip", compress(t, "gzip", page)[:12], fetch.ErrBadEncoding},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var srv *httptest.Server
			if strings.Contains(c.encoding, "\r\n") {
				srv = rawServer(t, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: "+c.encoding+
					fmt.Sprintf("\r\nContent-Length: %d\r\n\r\n", len(c.body))+string(c.body))
			} else {
				srv = encodedServer(t, c.encoding, c.body)
			}
			_, err := get(f, srv.URL)
			require.ErrorIs(t, err, c.want)
			assert.False(t, fetch.Retryable(err))
		})
	}
}

// rawServer answers every connection with raw bytes, for malformed
// responses net/http would not write.
func rawServer(t *testing.T, raw string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString(raw)
		_ = buf.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestLyingContentLength(t *testing.T) {
	f := open(t, fetch.Config{IgnoreRobots: true})
	srv := rawServer(t, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<p>short</p>")
	_, err := get(f, srv.URL)
	require.ErrorIs(t, err, fetch.ErrConnection)
	assert.True(t, fetch.Retryable(err))
}

func TestBodyCap(t *testing.T) {
	const limit = 64 << 10
	big := []byte("<p>" + strings.Repeat("x", 3*limit) + "</p>")
	f := open(t, fetch.Config{IgnoreRobots: true, MaxBodyBytes: limit})
	for _, enc := range []string{"identity", "gzip"} {
		t.Run(enc, func(t *testing.T) {
			body := big
			if enc != "identity" {
				body = compress(t, enc, big)
			}
			srv := encodedServer(t, enc, body)
			_, err := get(f, srv.URL)
			require.ErrorIs(t, err, fetch.ErrBodyTooLarge)
			assert.False(t, fetch.Retryable(err))

			resp, err := f.Fetch(t.Context(), &fetch.Request{URL: srv.URL, AllowTruncated: true})
			require.NoError(t, err)
			assert.True(t, resp.Truncated)
			assert.Len(t, resp.Body, limit)
			assert.Equal(t, int64(limit+1), resp.DecodedBytes, "stops one byte past the cap")
		})
	}
	t.Run("announced too large", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			_, _ = w.Write(big)
		}))
		defer srv.Close()
		_, err := get(f, srv.URL)
		require.ErrorIs(t, err, fetch.ErrBodyTooLarge)
		assert.Contains(t, err.Error(), "content-length")
		resp, err := f.Fetch(t.Context(), &fetch.Request{URL: srv.URL, AllowTruncated: true})
		require.NoError(t, err)
		assert.True(t, resp.Truncated)
		assert.Len(t, resp.Body, limit)
	})
	t.Run("endless chunked", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			chunk := bytes.Repeat([]byte("a"), 4096)
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}))
		defer srv.Close()
		_, err := get(f, srv.URL)
		require.ErrorIs(t, err, fetch.ErrBodyTooLarge)
	})
}

// bombServer streams a compression bomb: size zero bytes compressed on the
// fly through layers (applied in order), so that the test never holds the
// payload. The stack is flushed after every MiB of input so the client
// sees data at once, and generation stops when the client goes away.
func bombServer(t *testing.T, contentEncoding string, size int64, layers ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", contentEncoding)
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		_ = rc.Flush()
		// stack[0] takes the zeros; the last one writes to the response.
		stack := make([]io.WriteCloser, len(layers))
		var out io.Writer = w
		for i := len(layers) - 1; i >= 0; i-- {
			stack[i] = encoders[layers[i]](out)
			out = stack[i]
		}
		chunk := make([]byte, 1<<20)
		for sent := int64(0); sent < size && r.Context().Err() == nil; sent += int64(len(chunk)) {
			if _, err := stack[0].Write(chunk); err != nil {
				return
			}
			for _, l := range stack {
				if fl, ok := l.(interface{ Flush() error }); ok {
					if err := fl.Flush(); err != nil {
						return
					}
				}
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
		for _, l := range stack {
			_ = l.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// gzipBomb returns a small two-layer gzip payload that decodes to n MiB
// of zeros: n copies of one gzip member of 1 MiB, gzipped again.
func gzipBomb(t *testing.T, mib int) []byte {
	t.Helper()
	member := compress(t, "gzip", make([]byte, 1<<20))
	var inner bytes.Buffer
	for range mib {
		inner.Write(member)
	}
	var outer bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&outer, gzip.BestCompression)
	_, _ = zw.Write(inner.Bytes())
	_ = zw.Close()
	return outer.Bytes()
}

func TestBombs(t *testing.T) {
	const limit = 1 << 20
	gib := int64(1 << 30)
	if raceEnabled {
		gib = 64 << 20
	}
	f := open(t, fetch.Config{IgnoreRobots: true, MaxBodyBytes: limit})
	stacked := gzipBomb(t, int(gib>>20))
	t.Logf("gzip, gzip bomb: %d bytes on the wire for 1 GiB", len(stacked))
	stackedSrv := encodedServer(t, "gzip, gzip", stacked)
	cases := []struct {
		name string
		srv  *httptest.Server
	}{
		{"gzip", bombServer(t, "gzip", gib, "gzip")},
		{"deflate", bombServer(t, "deflate", gib, "deflate")},
		{"raw deflate", bombServer(t, "deflate", gib, "raw-deflate")},
		{"br", bombServer(t, "br", gib, "br")},
		{"zstd", bombServer(t, "zstd", gib, "zstd")},
		{"gzip, gzip precomputed", stackedSrv},
		{"br, zstd", bombServer(t, "br, zstd", gib, "br", "zstd")},
	}
	var overCap, readPast int64
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := get(f, c.srv.URL)
			require.ErrorIs(t, err, fetch.ErrBodyTooLarge)

			resp, err := f.Fetch(t.Context(), &fetch.Request{URL: c.srv.URL, AllowTruncated: true})
			require.NoError(t, err)
			assert.True(t, resp.Truncated)
			assert.Len(t, resp.Body, limit)
			assert.LessOrEqual(t, resp.WireBytes, int64(2*limit))
			// Bytes delivered past the cap (must be none), and bytes
			// decoded past it before the reader stopped (one, to tell a
			// body of exactly the cap from a longer one).
			overCap = max(overCap, int64(len(resp.Body))-limit)
			readPast = max(readPast, resp.DecodedBytes-limit)
			assert.LessOrEqual(t, resp.DecodedBytes-limit, int64(1))
		})
	}
	assert.Less(t, len(stacked), 64<<10)

	// Memory: everything the client allocates for a 1 GiB stacked bomb
	// (the server only replays 2.6 KiB) bounds its peak heap growth.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, err := f.Fetch(t.Context(), &fetch.Request{URL: stackedSrv.URL, AllowTruncated: true})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.True(t, resp.Truncated)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(16<<20), "allocated for a 1 GiB bomb under a 1 MiB cap")
	if raceEnabled {
		return // the figure comes from the full-size run without the race detector
	}
	testenv.Figure(t, "bombs", "count", len(cases), "bytes_over_cap", overCap, "bytes_read_past_cap", readPast, "wire_bytes_stacked", len(stacked), "alloc_bytes_stacked", allocated, "decoded_each_bytes", gib, "cap_bytes", limit)
}

// TestWireCap: an incompressible body under an encoding the decoded cap
// would let through is stopped by the wire cap.
func TestWireCap(t *testing.T) {
	const limit = 32 << 10
	f := open(t, fetch.Config{IgnoreRobots: true, MaxBodyBytes: limit})
	// A stored (uncompressed) deflate stream of 1 MiB of junk after a
	// zlib header: 1 MiB on the wire.
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.NoCompression)
	junk := make([]byte, 1<<20)
	for i := range junk {
		junk[i] = byte(i * 7)
	}
	_, _ = zw.Write(junk)
	_ = zw.Close()
	srv := encodedServer(t, "deflate", buf.Bytes())
	resp, err := f.Fetch(t.Context(), &fetch.Request{URL: srv.URL, AllowTruncated: true})
	require.NoError(t, err)
	assert.True(t, resp.Truncated)
	assert.LessOrEqual(t, resp.WireBytes, int64(2*limit+1))
}
