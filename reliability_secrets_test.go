package riptide_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/metrics"
	"github.com/riptide-go/riptide/render"
	"github.com/riptide-go/riptide/render/chromium"
	"github.com/riptide-go/riptide/stream"
)

// Canary secrets. Each is short and plain so that only the redaction of
// its place (userinfo, a secret-named query key, a header) can hide it,
// not a heuristic on long random-looking values.
const (
	canaryUser   = "zqcanaryusr"
	canaryToken  = "zqcanarytok"
	canarySig    = "zqcanarysig"
	canaryAuth   = "zqcanaryauth"
	canaryCookie = "zqcanarycookie"
	canaryAPIKey = "zqcanaryapikey"
	canaryProxy  = "zqcanaryproxy"
)

var canaries = []string{canaryUser, canaryToken, canarySig, canaryAuth, canaryCookie, canaryAPIKey, canaryProxy}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// relArticle is a page the native extractor keeps as an article.
func relArticle(w http.ResponseWriter, title string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html><head><title>%s</title></head><body><article><h1>%s</h1>", title, title)
	for i := range 6 {
		fmt.Fprintf(&b, "<p>Paragraph %d of %s: tides rise and fall twice a day as the moon pulls the oceans, and the coast answers with currents, bars and pools that change with every season.</p>", i, title)
	}
	b.WriteString("</article></body></html>")
	_, _ = io.WriteString(w, b.String())
}

// recordingServer serves pages and keeps every request it received
// (request line and headers) for the canary scan.
type recordingServer struct {
	*httptest.Server
	mu  sync.Mutex
	log bytes.Buffer
}

func newRecordingServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) *recordingServer {
	rs := &recordingServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dump, _ := httputil.DumpRequest(r, false)
		rs.mu.Lock()
		rs.log.Write(dump)
		rs.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *recordingServer) received() []byte {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return bytes.Clone(rs.log.Bytes())
}

// TestReliabilitySecretsNeverLeak plants canary secrets in URL userinfo,
// secret-named query values, Authorization, Cookie and custom headers and
// a proxy's credentials, drives them through successes, HTTP errors,
// timeouts, refusals and a cross-origin redirect, and looks for them in
// every output the Client has: its log at debug level, error strings,
// NDJSON and SSE events, Prometheus text, Health, the bytes of the store
// file on disk, and the requests the other origin received.
func TestReliabilitySecretsNeverLeak(t *testing.T) {
	other := newRecordingServer(t, func(w http.ResponseWriter, r *http.Request) { relArticle(w, "Other origin") })
	origin := newRecordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
		case "/missing":
			http.NotFound(w, r)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		default:
			relArticle(w, "Tide tables "+r.URL.Path)
		}
	})
	proxyURL := testenv.NewProxy(t, "proxyuser", canaryProxy).URL()
	deadProxyURL := "http://proxyuser:" + canaryProxy + "@127.0.0.1:1"

	var logBuf syncBuffer
	log := slog.New(slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := metrics.NewRegistry()
	dir := t.TempDir()
	ctx := context.Background()

	secretHeaders := http.Header{
		"Authorization": {"Bearer " + canaryAuth},
		"Cookie":        {"sid=" + canaryCookie},
		"X-Api-Key":     {canaryAPIKey},
	}
	tokenQuery := "?access_token=" + canaryToken + "&sig=" + canarySig

	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithLogger(log), riptide.WithMetrics(reg),
		riptide.WithCacheDir(dir), riptide.WithResultCache(64, time.Hour), riptide.WithRetries(0), riptide.WithTimeout(2*time.Second))
	require.NoError(t, err)

	newProxied := func(proxy string) *riptide.Client {
		f, err := fetch.New(fetch.Config{AllowPrivateNetworks: true, ProxyURL: proxy, Logger: log, ConnectTimeout: time.Second})
		require.NoError(t, err)
		pc, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithFetcher(f), riptide.WithLogger(log),
			riptide.WithMetrics(reg), riptide.WithRetries(0), riptide.WithTimeout(2*time.Second))
		require.NoError(t, err)
		t.Cleanup(func() { _ = pc.Close(); _ = f.Close() })
		return pc
	}
	proxied, deadProxied := newProxied(proxyURL), newProxied(deadProxyURL)

	userinfoURL := strings.Replace(origin.URL, "http://", "http://admin:"+canaryUser+"@", 1) + "/page"
	type call struct {
		name   string
		client *riptide.Client
		url    string
		opts   []riptide.RequestOption
		wantOK bool
	}
	calls := []call{
		{"query tokens, cached", c, origin.URL + "/article" + tokenQuery, nil, true},
		{"query tokens, from cache", c, origin.URL + "/article" + tokenQuery, nil, true},
		{"secret headers", c, origin.URL + "/private", []riptide.RequestOption{riptide.WithHeader(secretHeaders)}, true},
		{"secret headers, cross-origin redirect", c, origin.URL + "/redirect" + tokenQuery, []riptide.RequestOption{riptide.WithHeader(secretHeaders)}, true},
		{"userinfo refused", c, userinfoURL, nil, false},
		{"userinfo refused with token", c, strings.Replace(userinfoURL, "/page", "/page"+tokenQuery, 1), []riptide.RequestOption{riptide.WithHeader(secretHeaders)}, false},
		{"http error", c, origin.URL + "/missing" + tokenQuery, []riptide.RequestOption{riptide.WithHeader(secretHeaders)}, false},
		{"timeout", c, origin.URL + "/slow" + tokenQuery, []riptide.RequestOption{riptide.WithHeader(secretHeaders)}, false},
		{"unreachable", c, "http://127.0.0.1:1/page" + tokenQuery, []riptide.RequestOption{riptide.WithHeader(secretHeaders)}, false},
		{"through proxy", proxied, origin.URL + "/proxied" + tokenQuery, []riptide.RequestOption{riptide.WithHeader(secretHeaders)}, true},
		{"dead proxy", deadProxied, origin.URL + "/proxied" + tokenQuery, []riptide.RequestOption{riptide.WithHeader(secretHeaders)}, false},
	}
	if !raceEnabled { // the race detector makes the WASM compile too slow here
		calls = append(calls, call{"query tokens, wasm engine", c, origin.URL + "/wasm" + tokenQuery,
			[]riptide.RequestOption{riptide.WithRequestEngine(riptide.EngineWASM)}, true})
	}
	type outcome struct {
		res *riptide.Result
		err error
	}
	var outcomes []outcome
	var errText bytes.Buffer
	for _, cl := range calls {
		res, err := cl.client.Extract(ctx, cl.url, cl.opts...)
		if cl.wantOK {
			require.NoError(t, err, cl.name)
		} else {
			require.Error(t, err, cl.name)
			fmt.Fprintf(&errText, "%s: %v\n%+v\n%#v\n", cl.name, err, err, err)
		}
		outcomes = append(outcomes, outcome{res, err})
	}
	res, err := c.ExtractHTML(ctx, origin.URL+"/given"+tokenQuery, []byte("<html><body><article><p>Given page with a link to <a href=\"/next\">next</a>.</p></article></body></html>"))
	require.NoError(t, err)
	outcomes = append(outcomes, outcome{res, nil})

	// A crawl whose seeds carry the secrets.
	crawl := c.Crawl(ctx, riptide.CrawlRequest{URLs: []string{origin.URL + "/seed" + tokenQuery, origin.URL + "/missing" + tokenQuery}})
	for res, err := range crawl {
		outcomes = append(outcomes, outcome{res, err})
		if err != nil {
			fmt.Fprintf(&errText, "crawl: %v\n", err)
		}
	}

	seq := func() iter.Seq2[*riptide.Result, error] {
		return func(yield func(*riptide.Result, error) bool) {
			for _, o := range outcomes {
				if !yield(o.res, o.err) {
					return
				}
			}
		}
	}
	var ndjson bytes.Buffer
	require.NoError(t, stream.NDJSON(ctx, &ndjson, riptide.Events(ctx, seq(), "extract")))
	sse := httptest.NewRecorder()
	require.NoError(t, stream.SSE(ctx, sse, httptest.NewRequest(http.MethodGet, "/events", nil), riptide.Events(ctx, seq(), "extract")))
	var results bytes.Buffer
	for _, o := range outcomes {
		if o.res != nil {
			ev, err := json.Marshal(riptide.ResultEvent(o.res))
			require.NoError(t, err)
			results.Write(ev)
		} else {
			ev, err := json.Marshal(riptide.ErrorEvent(o.err))
			require.NoError(t, err)
			results.Write(ev)
		}
	}
	var prom bytes.Buffer
	require.NoError(t, reg.WritePrometheus(&prom))
	health, err := json.Marshal([]riptide.Health{c.Health(ctx), proxied.Health(ctx), deadProxied.Health(ctx)})
	require.NoError(t, err)

	require.NoError(t, c.Close())
	var disk bytes.Buffer
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		disk.Write(b)
		return err
	}))
	require.Contains(t, disk.String(), "Tide tables /article", "results were persisted, so the disk scan can find a leak")

	places := []struct {
		name string
		data []byte
	}{
		{"log", logBuf.Bytes()},
		{"errors", errText.Bytes()},
		{"ndjson", ndjson.Bytes()},
		{"sse", sse.Body.Bytes()},
		{"events", results.Bytes()},
		{"metrics", prom.Bytes()},
		{"health", health},
		{"disk", disk.Bytes()},
		{"other origin", other.received()},
	}
	// The checks can fail: the secrets did travel where they belong.
	mine := origin.received()
	for _, s := range []string{canaryToken, canarySig, canaryAuth, canaryCookie, canaryAPIKey} {
		require.Contains(t, string(mine), s, "the origin received %s", s)
	}
	require.Contains(t, string(other.received()), "/landing", "the redirect reached the other origin")
	require.Contains(t, logBuf.b.String(), "fetched", "the log holds debug records")
	require.Contains(t, ndjson.String(), `"type":"summary"`)
	require.Contains(t, prom.String(), "riptide_requests_total")

	found := 0
	for _, p := range places {
		require.NotEmpty(t, p.data, p.name)
		for _, s := range canaries {
			if n := bytes.Count(p.data, []byte(s)); n > 0 {
				found += n
				i := bytes.Index(p.data, []byte(s))
				t.Errorf("canary %s found %d times in %s, e.g. …%s…", s, n, p.name, p.data[max(0, i-120):min(len(p.data), i+60)])
			}
		}
	}
	testenv.Figure(t, "canaries", "found", found, "places", len(places), "secrets", len(canaries), "calls", len(calls)+3)
	assert.Zero(t, found, "secrets leaked")
}

// TestReliabilitySecretsBrowserCrossOrigin: headers given with
// riptide.WithHeader are "sent to the URL's origin only" — with the
// headless engine too. A rendered page that redirects to another origin,
// or loads an image, a script or a fetch from one, must not hand them to
// that origin. Secret query values and userinfo of rendered URLs stay out
// of the log and of error strings.
func TestReliabilitySecretsBrowserCrossOrigin(t *testing.T) {
	bin := testenv.ChromePath(t)
	other := newRecordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, ".js"):
			w.Header().Set("Content-Type", "text/javascript")
			w.Header().Set("Access-Control-Allow-Origin", "*")
			fmt.Fprint(w, `// nothing`)
		case strings.HasSuffix(r.URL.Path, ".png"):
			w.Header().Set("Content-Type", "image/png")
		default:
			relArticle(w, "Other origin")
		}
	})
	origin := newRecordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
		case "/embed":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><title>Embeds</title><article><h1>Embeds</h1><p>A page of the origin that loads from another origin: an image, a script and a fetch, while its text stays the main content of the page for the extractor.</p>
<img src="%[1]s/pixel.png"><script src="%[1]s/lib.js"></script><script>fetch("%[1]s/api.js").catch(function(){})</script></article>`, other.URL)
		default:
			relArticle(w, "Origin "+r.URL.Path)
		}
	})
	var logBuf syncBuffer
	log := slog.New(slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithRetries(0), riptide.WithLogger(log),
		riptide.WithChromium(chromium.Config{Bin: bin, MaxBrowsers: 1, TempDir: t.TempDir()}))
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	secret := http.Header{"Authorization": {"Bearer " + canaryAuth}, "X-Api-Key": {canaryAPIKey}}
	for _, path := range []string{"/redirect", "/embed"} {
		_, err := c.Extract(ctx, origin.URL+path, riptide.WithRequestEngine(riptide.EngineHeadless), riptide.WithHeader(secret))
		require.NoError(t, err, path)
	}

	// Rendered URLs with secret query values, one that loads and one that
	// cannot: neither the log nor the errors show the values.
	tokenQuery := "?access_token=" + canaryToken + "&sig=" + canarySig
	var errText strings.Builder
	_, err = c.Extract(ctx, origin.URL+"/article"+tokenQuery, riptide.WithRequestEngine(riptide.EngineHeadless))
	require.NoError(t, err)
	for _, u := range []string{"http://127.0.0.1:1/down" + tokenQuery, "http://" + "admin:" + canaryUser + "@" + strings.TrimPrefix(origin.URL, "http://") + "/x"} {
		_, err = c.Render(ctx, render.Request{URL: u})
		require.Error(t, err, u)
		fmt.Fprintf(&errText, "%v\n%+v\n", err, err)
		_, err = c.Extract(ctx, u, riptide.WithRequestEngine(riptide.EngineHeadless))
		require.Error(t, err, u)
		fmt.Fprintf(&errText, "%v\n%+v\n", err, err)
	}
	found := 0
	for _, place := range []struct{ name, data string }{{"log", string(logBuf.Bytes())}, {"errors", errText.String()}} {
		for _, s := range []string{canaryToken, canarySig, canaryUser} {
			if n := strings.Count(place.data, s); n > 0 {
				found += n
				i := strings.Index(place.data, s)
				t.Errorf("canary %s found %d times in the %s of renders, e.g. …%s…", s, n, place.name, place.data[max(0, i-100):min(len(place.data), i+40)])
			}
		}
	}
	// The checks can fail: the origin got the headers, the other origin
	// was reached.
	require.Contains(t, string(origin.received()), canaryAuth)
	got := string(other.received())
	require.Contains(t, got, "/landing")
	require.Contains(t, got, "/pixel.png")
	for _, s := range []string{canaryAuth, canaryAPIKey} {
		var reqs []string
		for _, dump := range strings.Split(got, "\r\n\r\n") {
			if strings.Contains(dump, s) {
				reqs = append(reqs, strings.SplitN(dump, "\r\n", 2)[0])
			}
		}
		if len(reqs) > 0 {
			found += len(reqs)
			t.Errorf("the other origin received %s in %q", s, reqs)
		}
	}
	testenv.Figure(t, "canaries", "found", found, "path", "browser")
	assert.Zero(t, found, "secrets of rendered requests leaked")
}
