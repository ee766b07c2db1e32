package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/fetch"
)

func TestNewValidates(t *testing.T) {
	cases := []struct {
		name string
		cfg  fetch.Config
	}{
		{"negative body cap", fetch.Config{MaxBodyBytes: -1}},
		{"negative header cap", fetch.Config{MaxHeaderBytes: -1}},
		{"negative redirects", fetch.Config{MaxRedirects: -1}},
		{"negative connect timeout", fetch.Config{ConnectTimeout: -time.Second}},
		{"negative idle timeout", fetch.Config{IdleReadTimeout: -time.Second}},
		{"negative per-host", fetch.Config{PerHostConcurrency: -1}},
		{"negative delay", fetch.Config{PerHostDelay: -time.Second}},
		{"negative global", fetch.Config{GlobalConcurrency: -1}},
		{"negative robots ttl", fetch.Config{RobotsCacheTTL: -time.Second}},
		{"user agent with newline", fetch.Config{UserAgent: "a\r\nX-Evil: 1"}},
		{"relative proxy", fetch.Config{ProxyURL: "proxy:8080"}},
		{"ftp proxy", fetch.Config{ProxyURL: "ftp://proxy:21"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := fetch.New(c.cfg)
			require.Error(t, err)
			assert.Nil(t, f)
			assert.Equal(t, strings.ToLower(err.Error()[:1]), err.Error()[:1])
		})
	}
	f, err := fetch.New(fetch.Config{})
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestFetchBasics(t *testing.T) {
	var gotUA, gotAE atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA.Store(r.Header.Get("User-Agent"))
		gotAE.Store(r.Header.Get("Accept-Encoding"))
		switch r.URL.Path {
		case "/etag":
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			html("<p>v1</p>")(w, r)
		case "/noindex":
			w.Header().Add("X-Robots-Tag", "noindex")
			w.Header().Add("X-Robots-Tag", "otherbot: nofollow")
			html("<p>x</p>")(w, r)
		case "/none":
			w.Header().Set("X-Robots-Tag", "riptide: none")
			html("<p>x</p>")(w, r)
		case "/204":
			w.Header().Set("Content-Encoding", "gzip")
			w.WriteHeader(http.StatusNoContent)
		case "/404":
			http.NotFound(w, r)
		case "/500":
			w.WriteHeader(http.StatusInternalServerError)
		case "/429":
			w.WriteHeader(http.StatusTooManyRequests)
		case "/bigheader":
			w.Header().Set("X-Big", strings.Repeat("a", 64<<10))
			html("<p>x</p>")(w, r)
		default:
			html("<p>hello</p>")(w, r)
		}
	}))
	defer srv.Close()
	f := open(t, fetch.Config{IgnoreRobots: true, MaxHeaderBytes: 16 << 10})

	resp, err := get(f, srv.URL+"/page?q=1#frag")
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, "<p>hello</p>", string(resp.Body))
	assert.Equal(t, "text/html", resp.ContentType)
	assert.Equal(t, "utf-8", resp.Charset)
	assert.Equal(t, srv.URL+"/page?q=1", resp.URL)
	assert.Equal(t, resp.URL, resp.FinalURL)
	assert.Empty(t, resp.Redirects)
	assert.Positive(t, resp.Timings.Total)
	assert.Positive(t, resp.Timings.FirstByte)
	assert.Positive(t, resp.Timings.Connect)
	assert.Equal(t, fetch.DefaultUserAgent, gotUA.Load())
	assert.Equal(t, "gzip, deflate, br, zstd", gotAE.Load())

	resp, err = f.Fetch(t.Context(), &fetch.Request{URL: srv.URL + "/etag", IfNoneMatch: `"v1"`})
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotModified, resp.Status)
	assert.Empty(t, resp.Body)

	resp, err = get(f, srv.URL+"/204")
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, resp.Status)
	assert.Empty(t, resp.Body)

	resp, err = get(f, srv.URL+"/noindex")
	require.NoError(t, err)
	assert.True(t, resp.NoIndex)
	assert.False(t, resp.NoFollow, "directives for other agents are ignored")
	resp, err = get(f, srv.URL+"/none")
	require.NoError(t, err)
	assert.True(t, resp.NoIndex)
	assert.True(t, resp.NoFollow)

	for _, c := range []struct {
		path      string
		status    int
		retryable bool
	}{{"/404", 404, false}, {"/500", 500, true}, {"/429", 429, true}} {
		_, err := get(f, srv.URL+c.path)
		require.ErrorIs(t, err, fetch.ErrHTTPStatus)
		fe, ok := errors.AsType[*fetch.Error](err)
		require.True(t, ok)
		assert.Equal(t, c.status, fe.Status)
		assert.Equal(t, c.retryable, fetch.Retryable(err), c.path)
	}

	_, err = get(f, srv.URL+"/bigheader")
	require.ErrorIs(t, err, fetch.ErrHeaderTooLarge)

	_, err = f.Fetch(t.Context(), nil)
	require.ErrorIs(t, err, fetch.ErrInvalidURL)
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	f := open(t, fetch.Config{IgnoreRobots: true})
	_, err := get(f, u)
	require.ErrorIs(t, err, fetch.ErrConnection)
	assert.True(t, fetch.Retryable(err))
}

func TestRetryable(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.Canceled, false},
		{fetch.ErrTimeout, true},
		{fetch.ErrConnection, true},
		{&fetch.Error{Op: "status", Status: 503, Err: fetch.ErrHTTPStatus}, true},
		{&fetch.Error{Op: "status", Status: 429, Err: fetch.ErrHTTPStatus}, true},
		{&fetch.Error{Op: "status", Status: 404, Err: fetch.ErrHTTPStatus}, false},
		{&fetch.Error{Op: "parse", Err: fetch.ErrInvalidURL}, false},
		{&fetch.Error{Op: "dial", Err: fetch.ErrBlockedAddress}, false},
		{&fetch.Error{Op: "read", Status: 200, Err: fetch.ErrBodyTooLarge}, false},
		{&fetch.Error{Op: "robots", Err: fetch.ErrRobotsDisallowed}, false},
		{fmt.Errorf("wrapped: %w", &fetch.Error{Op: "request", Err: fetch.ErrConnection}), true},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, fetch.Retryable(c.err), "%v", c.err)
	}
}

// TestSecretsStayOut: userinfo, token-like query values and secret headers
// never reach error strings or log records.
func TestSecretsStayOut(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/gone?access_token=canary-location", http.StatusFound)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	f := open(t, fetch.Config{IgnoreRobots: true, Logger: logger})
	var errs []string
	for _, raw := range []string{
		srv.URL + "/x?token=canary-query&page=2",
		srv.URL + "/redirect?api_key=canary-key",
		strings.Replace(srv.URL, "http://", "http://canary-user:canary-pass@", 1) + "/x",
	} {
		_, err := f.Fetch(t.Context(), &fetch.Request{URL: raw, Header: http.Header{"Authorization": {"Bearer canary-auth"}}})
		require.Error(t, err)
		errs = append(errs, err.Error())
	}
	all := strings.Join(errs, "\n") + logs.String()
	assert.Contains(t, all, "page=2", "non-secret parts stay")
	assert.NotContains(t, all, "canary")
}

func TestCookieJarsAreIsolated(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "tenant-a"})
		}
		c, _ := r.Cookie("sid")
		v := "none"
		if c != nil {
			v = c.Value
		}
		html("<p>"+v+"</p>")(w, r)
	}))
	defer srv.Close()
	jarA, _ := cookiejar.New(nil)
	jarB, _ := cookiejar.New(nil)
	a := open(t, fetch.Config{IgnoreRobots: true, Jar: jarA})
	b := open(t, fetch.Config{IgnoreRobots: true, Jar: jarB})
	_, err := get(a, srv.URL+"/login")
	require.NoError(t, err)
	resp, err := get(a, srv.URL+"/me")
	require.NoError(t, err)
	assert.Equal(t, "<p>tenant-a</p>", string(resp.Body))
	resp, err = get(b, srv.URL+"/me")
	require.NoError(t, err)
	assert.Equal(t, "<p>none</p>", string(resp.Body))
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(html("<p>secure</p>"))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	// Untrusted certificates stay fatal.
	f := open(t, fetch.Config{IgnoreRobots: true})
	_, err := get(f, srv.URL)
	require.ErrorIs(t, err, fetch.ErrConnection)

	tlsCfg := srv.Client().Transport.(*http.Transport).TLSClientConfig
	g := open(t, fetch.Config{IgnoreRobots: true, TLSConfig: tlsCfg})
	resp, err := get(g, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "<p>secure</p>", string(resp.Body))
	assert.Positive(t, resp.Timings.TLS)
}

// TestProxy: requests go through the configured proxy, which may sit on
// loopback, while targets are still checked by the guard.
func TestProxy(t *testing.T) {
	var proxied atomic.Int64
	target := newPublicServer(t, "", html("<p>via proxy</p>"))
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		out, err := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), nil)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = bytes.NewBuffer(nil).ReadFrom(resp.Body)
		_, _ = w.Write([]byte("<p>via proxy</p>"))
	}))
	defer proxy.Close()
	defer http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	f := guarded(t, fetch.Config{IgnoreRobots: true, ProxyURL: proxy.URL})
	resp, err := get(f, target.URL)
	require.NoError(t, err)
	assert.Equal(t, "<p>via proxy</p>", string(resp.Body))
	assert.Equal(t, int64(1), proxied.Load())

	pu, _ := url.Parse(proxy.URL)
	_, err = get(f, "http://127.0.0.1:"+pu.Port()+"/")
	require.ErrorIs(t, err, fetch.ErrBlockedAddress)
	assert.Equal(t, int64(1), proxied.Load(), "blocked target never sent to the proxy")
}
