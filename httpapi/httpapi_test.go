package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/httpapi"
	"github.com/riptide-go/riptide/riptidetest"
	"github.com/riptide-go/riptide/stream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixture is a demo site, a Client allowed to reach it and the API served
// over a real loopback HTTP server.
type fixture struct {
	site *riptidetest.Site
	c    *riptide.Client
	srv  *httptest.Server
}

func newFixture(t *testing.T, o httpapi.Options, copts ...riptide.Option) *fixture {
	t.Helper()
	f := &fixture{site: riptidetest.NewSite(riptidetest.WithGeneratedPages(300))}
	t.Cleanup(f.site.Close)
	c, err := riptide.New(append([]riptide.Option{riptide.AllowPrivateNetworks(), riptide.WithPerHostLimit(4, 0)}, copts...)...)
	require.NoError(t, err)
	f.c = c
	f.srv = httptest.NewServer(httpapi.New(c, o))
	t.Cleanup(func() {
		f.srv.CloseClientConnections()
		f.srv.Close()
		_ = c.Close()
	})
	return f
}

// do sends a request to the API and returns the status and body.
func (f *fixture) do(t *testing.T, method, path, contentType, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := f.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func (f *fixture) postJSON(t *testing.T, path string, v any, header ...string) (*http.Response, []byte) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return f.do(t, http.MethodPost, path, "application/json", string(b), header...)
}

type apiErr struct {
	Error struct {
		ErrorType string `json:"error_type"`
		Code      string `json:"code"`
		Message   string `json:"message"`
		Retryable bool   `json:"retryable"`
		RequestID string `json:"request_id"`
		URL       string `json:"url"`
	} `json:"error"`
}

func decodeErr(t *testing.T, b []byte) apiErr {
	t.Helper()
	var e apiErr
	require.NoError(t, json.Unmarshal(b, &e), "body %s", b)
	require.NotEmpty(t, e.Error.ErrorType, "body %s", b)
	assert.NotEmpty(t, e.Error.Message)
	assert.NotEmpty(t, e.Error.RequestID)
	return e
}

func TestExtract(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	resp, b := f.postJSON(t, "/extract", map[string]string{"url": f.site.URL("/articles/rip-currents.html")},
		"X-Request-ID", "req-1")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.Equal(t, "req-1", resp.Header.Get("X-Request-ID"))
	var res struct {
		URL      string `json:"url"`
		Status   int    `json:"status"`
		Engine   string `json:"engine"`
		Document struct {
			Title     string `json:"title"`
			WordCount int    `json:"word_count"`
		} `json:"document"`
	}
	require.NoError(t, json.Unmarshal(b, &res))
	assert.Equal(t, 200, res.Status)
	assert.Equal(t, "static", res.Engine)
	assert.Equal(t, "How rip currents form, and how to escape one", res.Document.Title)
	assert.Greater(t, res.Document.WordCount, 100)

	t.Run("modes", func(t *testing.T) {
		resp, b := f.postJSON(t, "/extract", map[string]any{"url": f.site.URL("/articles/rip-currents.html"),
			"mode": "selectors", "selectors": []string{"h1"}, "engine": "auto"})
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
		resp, b = f.postJSON(t, "/extract", map[string]any{"url": f.site.URL("/about.html"), "mode": "metadata"})
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	})
}

func TestRequestErrors(t *testing.T) {
	f := newFixture(t, httpapi.Options{MaxBodyBytes: 4 << 10, MaxCrawlPages: 100})
	article := f.site.URL("/articles/rip-currents.html")
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		errorType, code                 string
	}{
		{"bad json", "POST", "/extract", "application/json", `{"url":`, 400, "validation", "bad_json"},
		{"not json", "POST", "/extract", "application/json", `hello`, 400, "validation", "bad_json"},
		{"empty body", "POST", "/extract", "application/json", ``, 400, "validation", "empty_body"},
		{"unknown field", "POST", "/extract", "application/json", `{"url":"` + article + `","colour":"red"}`, 400, "validation", "unknown_field"},
		{"wrong type", "POST", "/extract", "application/json", `{"url":42}`, 400, "validation", "invalid_type"},
		{"trailing data", "POST", "/extract", "application/json", `{"url":"` + article + `"} {}`, 400, "validation", "bad_json"},
		{"missing url", "POST", "/extract", "application/json", `{}`, 400, "validation", "missing_field"},
		{"bad engine", "POST", "/extract", "application/json", `{"url":"` + article + `","engine":"warp"}`, 400, "validation", "invalid_value"},
		{"bad mode", "POST", "/extract", "application/json", `{"url":"` + article + `","mode":"poetry"}`, 400, "validation", "invalid_value"},
		{"selectors without mode", "POST", "/extract", "application/json", `{"url":"` + article + `","selectors":["h1"]}`, 400, "validation", "invalid_value"},
		{"relative url", "POST", "/extract", "", `{"url":"/articles/x.html"}`, 400, "validation", "invalid_url"},
		{"ftp url", "POST", "/extract", "", `{"url":"ftp://example.com/"}`, 400, "validation", "disallowed_scheme"},
		{"not json content type", "POST", "/extract", "text/plain", `{"url":"` + article + `"}`, 415, "validation", "unsupported_media_type"},
		{"body too large", "POST", "/extract", "application/json", `{"url":"` + article + `","mode":"` + strings.Repeat("x", 5<<10) + `"}`, 413, "too_large", "body_too_large"},
		{"method", "GET", "/extract", "", ``, 405, "method_not_allowed", "method_not_allowed"},
		{"method on crawl", "PUT", "/crawl", "", ``, 405, "method_not_allowed", "method_not_allowed"},
		{"not found", "GET", "/nope", "", ``, 404, "not_found", "not_found"},
		{"crawl without urls", "POST", "/crawl", "application/json", `{"urls":[]}`, 400, "validation", "missing_field"},
		{"crawl bad seed", "POST", "/crawl", "application/json", `{"urls":["nope"]}`, 400, "validation", "invalid_url"},
		{"crawl seed with credentials", "POST", "/crawl", "application/json", `{"urls":["http://u:p@example.com/"]}`, 400, "validation", "invalid_url"},
		{"crawl over the page cap", "POST", "/crawl", "application/json", `{"urls":["` + article + `"],"max_pages":101}`, 400, "validation", "invalid_value"},
		{"crawl bad follow", "POST", "/crawl", "application/json", `{"urls":["` + article + `"],"follow":"everything"}`, 400, "validation", "invalid_value"},
		{"crawl bad order", "POST", "/crawl", "application/json", `{"urls":["` + article + `"],"order":"random"}`, 400, "validation", "invalid_value"},
		{"crawl negative depth", "POST", "/crawl", "application/json", `{"urls":["` + article + `"],"max_depth":-1}`, 400, "validation", "invalid_value"},
		{"crawl concurrency cap", "POST", "/crawl", "application/json", `{"urls":["` + article + `"],"concurrency":1000}`, 400, "validation", "invalid_value"},
		{"crawl bad pattern", "POST", "/crawl", "application/json", `{"urls":["` + article + `"],"include":["("]}`, 400, "validation", "invalid_value"},
		{"crawl unknown field", "POST", "/crawl", "application/json", `{"urls":["` + article + `"],"depth":3}`, 400, "validation", "unknown_field"},
		{"sse unknown parameter", "GET", "/crawl/sse?url=" + url.QueryEscape(article) + "&depth=2", "", ``, 400, "validation", "unknown_field"},
		{"sse bad integer", "GET", "/crawl/sse?url=" + url.QueryEscape(article) + "&max_depth=two", "", ``, 400, "validation", "invalid_type"},
		{"sse repeated scalar", "GET", "/crawl/sse?url=" + url.QueryEscape(article) + "&follow=any&follow=none", "", ``, 400, "validation", "invalid_value"},
		{"sse without urls", "GET", "/crawl/sse", "", ``, 400, "validation", "missing_field"},
		{"ws without urls", "GET", "/crawl/ws", "", ``, 400, "validation", "missing_field"},
		{"render not wired", "POST", "/render", "application/json", `{"url":"` + article + `"}`, 501, "not_implemented", "not_implemented"},
		{"metrics not wired", "GET", "/metrics", "", ``, 501, "not_implemented", "not_implemented"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := f.do(t, tc.method, tc.path, tc.ctype, tc.body)
			require.Equal(t, tc.status, resp.StatusCode, "%s", b)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			e := decodeErr(t, b)
			assert.Equal(t, tc.errorType, e.Error.ErrorType)
			assert.Equal(t, tc.code, e.Error.Code)
			assert.Equal(t, resp.Header.Get("X-Request-ID"), e.Error.RequestID)
			if tc.status == 405 {
				assert.NotEmpty(t, resp.Header.Get("Allow"))
			}
		})
	}
}

func TestExtractFailureStatuses(t *testing.T) {
	f := newFixture(t, httpapi.Options{}, riptide.WithTimeout(300*time.Millisecond))
	noContent, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithExtractor(extract.Func(
		func(context.Context, extract.Input) (*extract.Document, error) { return nil, extract.ErrNoContent })))
	require.NoError(t, err)
	defer noContent.Close()
	noContentSrv := httptest.NewServer(httpapi.New(noContent, httpapi.Options{}))
	defer noContentSrv.Close()
	strict, err := riptide.New()
	require.NoError(t, err)
	defer strict.Close()
	strictSrv := httptest.NewServer(httpapi.New(strict, httpapi.Options{}))
	defer strictSrv.Close()

	cases := []struct {
		name      string
		srv       string
		path      string
		status    int
		errorType string
		code      string
		retryable bool
	}{
		{"fetch 500", f.srv.URL, "/broken", 502, "fetch", "http_status_500", true},
		{"fetch 404", f.srv.URL, "/missing.html", 502, "fetch", "http_status_404", false},
		{"robots", f.srv.URL, "/private/secret.html", 403, "robots_disallowed", "robots_disallowed", false},
		{"timeout", f.srv.URL, "/slow?ms=5000", 504, "timeout", "", true},
		{"blocked", strictSrv.URL, "/about.html", 403, "blocked", "blocked_address", false},
		{"nothing extracted", noContentSrv.URL, "/about.html", 422, "extraction", "no_content", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"url":"` + f.site.URL(tc.path) + `"}`
			resp, err := http.Post(tc.srv+"/extract", "application/json", strings.NewReader(body))
			require.NoError(t, err)
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			require.Equal(t, tc.status, resp.StatusCode, "%s", b)
			e := decodeErr(t, b)
			assert.Equal(t, tc.errorType, e.Error.ErrorType)
			if tc.code != "" {
				assert.Equal(t, tc.code, e.Error.Code)
			}
			assert.Equal(t, tc.retryable, e.Error.Retryable)
			assert.NotEmpty(t, e.Error.URL)
		})
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestToken(t *testing.T) {
	const token = "s3cret-token-value"
	f := newFixture(t, httpapi.Options{Token: token})
	body := `{"url":"` + f.site.URL("/about.html") + `"}`
	cases := []struct {
		name   string
		header []string
		status int
	}{
		{"no header", nil, 401},
		{"wrong token", []string{"Authorization", "Bearer nope"}, 401},
		{"prefix of the token", []string{"Authorization", "Bearer s3cret"}, 401},
		{"other scheme", []string{"Authorization", "Basic " + token}, 401},
		{"right token", []string{"Authorization", "Bearer " + token}, 200},
		{"scheme is case-insensitive", []string{"Authorization", "bearer " + token}, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := f.do(t, "POST", "/extract", "application/json", body, tc.header...)
			require.Equal(t, tc.status, resp.StatusCode, "%s", b)
			if tc.status == 401 {
				assert.Equal(t, "unauthorized", decodeErr(t, b).Error.ErrorType)
				assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
				assert.NotContains(t, string(b), token)
			}
		})
	}
	t.Run("unknown path needs the token too", func(t *testing.T) {
		resp, _ := f.do(t, "GET", "/nope", "", "")
		assert.Equal(t, 401, resp.StatusCode)
	})
	t.Run("healthz is open", func(t *testing.T) {
		resp, b := f.do(t, "GET", "/healthz", "", "")
		require.Equal(t, 200, resp.StatusCode)
		assert.JSONEq(t, `{"status":"ok"}`, string(b))
	})
}

func TestHooks(t *testing.T) {
	type renderReq struct {
		URL string `json:"url"`
	}
	healthy := true
	f := newFixture(t, httpapi.Options{
		Health: func(ctx context.Context) (any, error) {
			if healthy {
				return map[string]any{"status": "ok", "browsers": 2}, nil
			}
			return map[string]any{"status": "degraded"}, errors.New("store locked")
		},
		Renderer: httpapi.JSONFunc(func(ctx context.Context, r renderReq) (*riptide.Result, error) {
			if r.URL == "" {
				return nil, &riptide.Error{Kind: riptide.KindValidation, Op: "render", Err: errors.New("url is required")}
			}
			return &riptide.Result{URL: r.URL, Engine: riptide.EngineHeadless}, nil
		}),
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			_, _ = io.WriteString(w, "riptide_requests_total 3\n")
		}),
	})

	resp, b := f.do(t, "GET", "/healthz", "", "")
	require.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, `{"status":"ok","browsers":2}`, string(b))
	healthy = false
	resp, b = f.do(t, "GET", "/healthz", "", "")
	require.Equal(t, 503, resp.StatusCode)
	assert.JSONEq(t, `{"status":"degraded"}`, string(b))

	resp, b = f.postJSON(t, "/render", map[string]string{"url": "https://example.com/"})
	require.Equal(t, 200, resp.StatusCode, "%s", b)
	assert.Contains(t, string(b), `"engine":"headless"`)
	resp, b = f.postJSON(t, "/render", map[string]string{"link": "https://example.com/"})
	require.Equal(t, 400, resp.StatusCode, "%s", b)
	assert.Equal(t, "unknown_field", decodeErr(t, b).Error.Code)
	resp, b = f.postJSON(t, "/render", map[string]string{})
	require.Equal(t, 400, resp.StatusCode, "%s", b)
	assert.Equal(t, "validation", decodeErr(t, b).Error.ErrorType)

	resp, b = f.do(t, "GET", "/metrics", "", "")
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "riptide_requests_total 3\n", string(b))
}

// readNDJSON parses a body line by line, each line on its own.
func readNDJSON(t *testing.T, r io.Reader) []stream.Event {
	t.Helper()
	var evs []stream.Event
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			require.True(t, bytes.HasSuffix(line, []byte("\n")), "partial line %q", line)
			var ev stream.Event
			require.NoError(t, json.Unmarshal(line, &ev), "line %q", line)
			evs = append(evs, ev)
		}
		if err == io.EOF {
			return evs
		}
		require.NoError(t, err)
	}
}

func eventTypes(evs []stream.Event) map[stream.Type]int {
	m := map[stream.Type]int{}
	for _, ev := range evs {
		m[ev.Type]++
	}
	return m
}

func TestCrawlNDJSON(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	for _, gz := range []bool{false, true} {
		t.Run(map[bool]string{false: "identity", true: "gzip"}[gz], func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"urls": []string{f.site.URL("/gen/0.html"), f.site.URL("/broken")},
				"follow": "same_host", "max_depth": 10, "max_pages": 60, "include": []string{"/gen/"}, "concurrency": 4})
			req, err := http.NewRequest("POST", f.srv.URL+"/crawl", bytes.NewReader(b))
			require.NoError(t, err)
			req.Header.Set("X-Request-ID", "crawl-1")
			if !gz {
				req.Header.Set("Accept-Encoding", "identity")
			}
			resp, err := f.srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, "application/x-ndjson", resp.Header.Get("Content-Type"))
			evs := readNDJSON(t, resp.Body)
			require.NotEmpty(t, evs)
			assert.Equal(t, stream.TypeStart, evs[0].Type)
			last := evs[len(evs)-1]
			require.Equal(t, stream.TypeSummary, last.Type)
			counts := eventTypes(evs)
			assert.Equal(t, 59, counts[stream.TypeResult], "max_pages counts the failing seed")
			assert.Equal(t, 1, counts[stream.TypeError])
			assert.Equal(t, 60/riptide.ProgressEvery, counts[stream.TypeProgress])
			assert.Equal(t, 60, last.Summary.Total)
			for i, ev := range evs {
				assert.Equal(t, int64(i+1), ev.ID)
				assert.Equal(t, "crawl-1", ev.RequestID)
			}
		})
	}
}

// TestCrawlNDJSONClientLeaves closes the connection in the middle of a
// long crawl: the handler must return (the crawl stops), the server must
// have written whole lines only, and no goroutine may survive (goleak).
func TestCrawlNDJSONClientLeaves(t *testing.T) {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(5000))
	defer site.Close()
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithPerHostLimit(2, 0))
	require.NoError(t, err)
	defer c.Close()
	api := httpapi.New(c, httpapi.Options{MaxCrawlPages: 5000})
	done := make(chan struct{})
	var written bytes.Buffer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		api.ServeHTTP(&recorder{ResponseWriter: w, buf: &written}, r)
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b, _ := json.Marshal(map[string]any{"urls": []string{site.URL("/gen/0.html")}, "follow": "same_host",
		"max_depth": 100, "max_pages": 5000, "include": []string{"/gen/"}})
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/crawl", bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	br := bufio.NewReader(resp.Body)
	for range 10 {
		line, err := br.ReadBytes('\n')
		require.NoError(t, err)
		var ev stream.Event
		require.NoError(t, json.Unmarshal(line, &ev))
	}
	cancel()
	resp.Body.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler did not return after the client left")
	}
	out := written.Bytes()
	require.NotEmpty(t, out)
	assert.True(t, bytes.HasSuffix(out, []byte("\n")), "the server wrote no partial line")
	lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
	for _, l := range lines {
		var ev stream.Event
		require.NoError(t, json.Unmarshal(l, &ev), "line %q", l)
	}
	assert.Less(t, len(lines), 4000, "the crawl stopped early")
	srv.Client().CloseIdleConnections()
}

// recorder keeps a copy of what a handler writes; Unwrap keeps the
// http.ResponseController features (flush, deadlines) working.
type recorder struct {
	http.ResponseWriter
	buf *bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	n, err := r.ResponseWriter.Write(p)
	r.buf.Write(p[:n])
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
