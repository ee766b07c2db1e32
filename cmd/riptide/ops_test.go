package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/riptidetest"
	"github.com/riptide-go/riptide/timeout"
)

// TestOperatorCommandsOnARealStore fills a store file through a Client
// (learned timeouts, a compiled WASM module), then reads it back with the
// operator commands.
func TestOperatorCommandsOnARealStore(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	dir := t.TempDir()
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithCacheDir(dir),
		riptide.WithAdaptiveTimeouts(timeout.AdaptiveConfig{MinSamples: 2}))
	require.NoError(t, err)
	for range 3 {
		_, err := c.Extract(context.Background(), site.URL("/articles/kelp-forests.html"))
		require.NoError(t, err)
	}
	_, err = c.Extract(context.Background(), site.URL("/about.html"), riptide.WithRequestEngine(riptide.EngineWASM))
	require.NoError(t, err)
	require.NoError(t, c.Close())

	run1 := func(args ...string) string {
		var out, errb bytes.Buffer
		getenv := func(k string) string {
			if k == "RIPTIDE_CACHE_DIR" {
				return dir
			}
			return ""
		}
		code := run(context.Background(), args, nil, &out, &errb, getenv)
		require.Equal(t, exitOK, code, "%v: %s", args, errb.String())
		return out.String()
	}

	var profiles []map[string]any
	require.NoError(t, json.Unmarshal([]byte(run1("timeout", "profiles", "--json")), &profiles))
	require.NotEmpty(t, profiles)
	assert.Equal(t, "127.0.0.1", profiles[0]["domain"])
	assert.Contains(t, run1("timeout", "profiles"), "127.0.0.1")

	var ws map[string]any
	require.NoError(t, json.Unmarshal([]byte(run1("wasm", "cache-stats", "--json")), &ws))
	assert.EqualValues(t, 1, ws["entries"])
	assert.NotContains(t, run1("wasm", "cache-stats"), "{")

	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(run1("performance", "report", "--json")), &rep))
	assert.Contains(t, rep, "wasm_cache")
	assert.Contains(t, rep, "timeouts")
}

func TestOperatorCommandUsage(t *testing.T) {
	for _, args := range [][]string{{"timeout"}, {"wasm", "nope"}, {"performance"}} {
		code, _, _ := cli(t, "", args...)
		assert.Equal(t, exitUsage, code, "%v", args)
	}
}

func TestPoolStatus(t *testing.T) {
	bin := testenv.ChromePath(t)
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "RIPTIDE_CHROME" {
			return bin
		}
		return ""
	}
	code := run(context.Background(), []string{"pool", "status", "--json", "--cache-dir", t.TempDir()}, nil, &out, &errb, getenv)
	require.Equal(t, exitOK, code, errb.String())
	var st struct {
		Chrome string  `json:"chrome"`
		Warm   float64 `json:"warm_render_ms"`
		Stats  struct {
			Browsers []struct {
				PID int   `json:"pid"`
				RSS int64 `json:"rss"`
			} `json:"browsers"`
		} `json:"stats"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &st), out.String())
	assert.Equal(t, bin, st.Chrome)
	require.NotEmpty(t, st.Stats.Browsers)
	assert.Positive(t, st.Stats.Browsers[0].PID)
	assert.Positive(t, st.Stats.Browsers[0].RSS)
	assert.Positive(t, st.Warm)
}
