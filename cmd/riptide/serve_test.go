package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/riptidetest"
)

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// startServe runs "riptide serve" until the returned stop is called, and
// returns its base URL and its exit code channel.
func startServe(t *testing.T, env map[string]string, args ...string) (base string, stderr *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &syncBuffer{}
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "RIPTIDE_CACHE_DIR" {
			return dir
		}
		return env[k]
	}
	codec := make(chan int, 1)
	go func() {
		codec <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), nil, io.Discard, stderr, getenv)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-codec:
			cancel()
			t.Fatalf("serve exited with %d: %s", code, stderr.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "serve did not start: %s", stderr.String())
		time.Sleep(10 * time.Millisecond)
	}
	return base, stderr, func() int {
		cancel()
		select {
		case code := <-codec:
			return code
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not shut down")
			return -1
		}
	}
}

func TestServeCommand(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	const token = "serve-token-value"
	base, stderr, stop := startServe(t, map[string]string{"RIPTIDE_SERVER_TOKEN": token}, "--allow-private")
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	resp, err := client.Get(base + "/healthz")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var health struct {
		Status     string `json:"status"`
		Components []struct {
			Name string `json:"name"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(b, &health))
	assert.Equal(t, "healthy", health.Status)
	assert.Len(t, health.Components, 5, "the Client's health report, per component")

	resp, err = client.Get(base + "/metrics")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "metrics need the token")
	getMetrics := func() string {
		req, _ := http.NewRequest("GET", base+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		return string(b)
	}

	post := func(auth string) (*http.Response, []byte) {
		req, err := http.NewRequest("POST", base+"/extract", strings.NewReader(`{"url":"`+site.URL("/about.html")+`"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, _ = post("")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the token comes from RIPTIDE_SERVER_TOKEN")
	resp, b = post(token)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	var res struct {
		Status int `json:"status"`
	}
	require.NoError(t, json.Unmarshal(b, &res))
	assert.Equal(t, 200, res.Status)
	assert.Contains(t, getMetrics(), `riptide_requests_total{engine="static",stage="extract",outcome="ok"} 1`)

	// A stream in progress ends with a final event at shutdown.
	req, err := http.NewRequest("POST", base+"/crawl", strings.NewReader(`{"urls":["`+site.URL("/slow?ms=10000")+`"]}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept-Encoding", "identity")
	sresp, err := client.Do(req)
	require.NoError(t, err)
	defer sresp.Body.Close()
	first := make([]byte, 1)
	_, err = sresp.Body.Read(first)
	require.NoError(t, err, "the start event arrives before the page")

	assert.Equal(t, exitOK, stop())
	rest, _ := io.ReadAll(sresp.Body)
	evs := parseEvents(t, string(first)+string(rest))
	last := evs[len(evs)-1]
	assert.Equal(t, "error", string(last.Type))
	assert.True(t, last.Error.Fatal)
	assert.Contains(t, stderr.String(), "shutting down")
	assert.NotContains(t, stderr.String(), token)
}

func TestServeCommandErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"positional argument", []string{"serve", "extra"}, exitUsage},
		{"bad address", []string{"serve", "--addr", "256.0.0.1:99999"}, exitInvalid},
		{"bad body cap", []string{"serve", "--max-body-bytes", "lots"}, exitUsage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := cli(t, "", tc.args...)
			assert.Equal(t, tc.want, code, "stderr: %s", errs)
		})
	}
}
