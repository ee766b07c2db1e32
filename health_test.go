package riptide_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/metrics"
	"github.com/riptide-go/riptide/render/chromium"
	"github.com/riptide-go/riptide/riptidetest"
)

func component(h riptide.Health, name string) riptide.ComponentHealth {
	for _, c := range h.Components {
		if c.Name == name {
			return c
		}
	}
	return riptide.ComponentHealth{}
}

func TestHealthDefault(t *testing.T) {
	c := newClient(t)
	h := c.Health(context.Background())
	assert.Equal(t, riptide.StatusHealthy, h.Status)
	for _, name := range []string{"fetcher", "renderer", "wasm", "store", "timeouts"} {
		assert.Equal(t, riptide.StatusHealthy, component(h, name).Status, name)
	}
	require.NoError(t, c.Close())
	assert.Equal(t, riptide.StatusUnhealthy, c.Health(context.Background()).Status)
}

func TestHealthDegradedWhenBrowserCannotStart(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	c := newClient(t, riptide.WithChromium(chromium.Config{Bin: filepath.Join(t.TempDir(), "no-such-chromium")}))
	_, err := c.Extract(context.Background(), site.URL("/js/app.html"), riptide.WithRequestEngine(riptide.EngineHeadless))
	require.Error(t, err)
	assert.ErrorIs(t, err, riptide.ErrRendering)
	h := c.Health(context.Background())
	assert.Equal(t, riptide.StatusDegraded, h.Status)
	r := component(h, "renderer")
	assert.Equal(t, riptide.StatusDegraded, r.Status)
	assert.NotEmpty(t, r.LastError)

	// Static extraction still works.
	_, err = c.Extract(context.Background(), site.URL("/about.html"))
	assert.NoError(t, err)
}

// TestHealthDegradedWhenStoreLocked holds the store file's lock in another
// process: the Client must start, work without disk caches and say so.
func TestHealthDegradedWhenStoreLocked(t *testing.T) {
	if os.Getenv("RIPTIDE_HOLD_STORE") != "" {
		holdStore(os.Getenv("RIPTIDE_HOLD_STORE"))
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHealthDegradedWhenStoreLocked$")
	cmd.Env = append(os.Environ(), "RIPTIDE_HOLD_STORE="+dir)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	buf := make([]byte, 6)
	_, err = stdout.Read(buf)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(buf), "locked"))

	site := riptidetest.NewSite()
	defer site.Close()
	c := newClient(t, riptide.WithCacheDir(dir))
	res, err := c.Extract(context.Background(), site.URL("/about.html"))
	require.NoError(t, err, "results flow without the store")
	assert.NotNil(t, res.Document)
	st := component(c.Health(context.Background()), "store")
	assert.Equal(t, riptide.StatusDegraded, st.Status)
	assert.Contains(t, st.LastError, "locked")
}

// holdStore runs in the helper process: it opens the store file, reports
// "locked" and holds the lock until its stdin closes.
func holdStore(dir string) {
	c, err := riptide.New(riptide.WithCacheDir(dir))
	if err != nil {
		os.Exit(3)
	}
	os.Stdout.WriteString("locked\n")
	buf := make([]byte, 1)
	_, _ = os.Stdin.Read(buf)
	_ = c.Close()
	os.Exit(0)
}

func TestMetricsAfterCrawl(t *testing.T) {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(20))
	defer site.Close()
	reg := metrics.NewRegistry()
	c := newClient(t, riptide.WithMetrics(reg), riptide.WithPerHostLimit(4, 0))
	for _, err := range c.Crawl(context.Background(), riptide.CrawlRequest{
		URLs: []string{site.URL("/gen/0.html"), site.URL("/broken")}, Follow: riptide.ScopeSameHost, MaxDepth: 5, Include: []string{`/gen/`},
	}) {
		_ = err
	}
	var b strings.Builder
	require.NoError(t, reg.WritePrometheus(&b))
	text := b.String()
	assert.Contains(t, text, `riptide_requests_total{engine="static",stage="crawl",outcome="ok"} 20`)
	assert.Contains(t, text, `riptide_requests_total{engine="static",stage="crawl",outcome="fetch"} 1`)
	assert.Contains(t, text, "riptide_extraction_duration_seconds_bucket")

	// The exposition parses as Prometheus text and holds the series.
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	require.NoError(t, err)
	for _, name := range []string{"riptide_requests_total", "riptide_request_duration_seconds", "riptide_extraction_duration_seconds"} {
		require.Contains(t, families, name)
		assert.NotEmpty(t, families[name].GetMetric(), name)
	}
}
