package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func settingsByKey(t *testing.T, out string) map[string]setting {
	t.Helper()
	var s []setting
	require.NoError(t, json.Unmarshal([]byte(out), &s), out)
	m := map[string]setting{}
	for _, x := range s {
		m[x.Key] = x
	}
	return m
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "riptide.toml")
	require.NoError(t, os.WriteFile(file, []byte(`
[client]
user_agent = "from-file"
engine = "auto"
timeout = "10s"

[crawl]
concurrency = 4

[server]
token = "s3cr3t-token"
`), 0o600))
	env := map[string]string{"RIPTIDE_CLIENT_ENGINE": "wasm", "RIPTIDE_CACHE_DIR": dir}
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"config", "show", "--json", "--config", file, "--timeout", "3s"}, nil, &out, &errb, func(k string) string { return env[k] })
	require.Equal(t, exitOK, code, errb.String())
	m := settingsByKey(t, out.String())

	assert.Equal(t, "from-file", m["client.user_agent"].Value)
	assert.Equal(t, "file:"+file, m["client.user_agent"].Source)
	assert.Equal(t, "wasm", m["client.engine"].Value, "environment beats the file")
	assert.Equal(t, "env:RIPTIDE_CLIENT_ENGINE", m["client.engine"].Source)
	assert.Equal(t, "3s", m["client.timeout"].Value, "flags beat everything")
	assert.Equal(t, "flag:--timeout", m["client.timeout"].Source)
	assert.Equal(t, dir, m["client.cache_dir"].Value)
	assert.Equal(t, "env:RIPTIDE_CACHE_DIR", m["client.cache_dir"].Source)
	assert.EqualValues(t, 3, m["pool.max_browsers"].Value)
	assert.Equal(t, "default", m["pool.max_browsers"].Source)
	assert.Equal(t, "REDACTED", m["server.token"].Value, "secrets never print")
	assert.NotContains(t, out.String(), "s3cr3t-token")
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.toml")
	require.NoError(t, os.WriteFile(unknown, []byte("[client]\nuser_agnet = \"typo\"\n"), 0o600))
	empty := filepath.Join(dir, "empty.toml")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	badValue := filepath.Join(dir, "bad.toml")
	require.NoError(t, os.WriteFile(badValue, []byte("[client]\ntimeout = \"soon\"\n"), 0o600))
	cases := []struct {
		name, want string
		args       []string
		env        map[string]string
	}{
		{"unknown key", "client.user_agnet", []string{"config", "show", "--config", unknown}, nil},
		{"bad value", "timeout", []string{"config", "show", "--config", badValue}, nil},
		{"missing explicit file", "no such file", []string{"config", "show", "--config", filepath.Join(dir, "absent.toml")}, nil},
		{"bad env", "RIPTIDE_CRAWL_CONCURRENCY", []string{"config", "show"}, map[string]string{"RIPTIDE_CRAWL_CONCURRENCY": "many", "RIPTIDE_CONFIG": empty}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if tc.env == nil {
				tc.env = map[string]string{}
			}
			code := run(t.Context(), tc.args, nil, &out, &errb, func(k string) string { return tc.env[k] })
			assert.Equal(t, exitInvalid, code)
			assert.Contains(t, errb.String(), tc.want)
		})
	}
}

func TestConfigAdaptiveTimeouts(t *testing.T) {
	env := map[string]string{"RIPTIDE_TIMEOUTS_COLD_START": "true", "RIPTIDE_TIMEOUTS_MIN": "2s"}
	lc, err := loadConfig(filepath.Join(t.TempDir(), "none.toml"), false, func(k string) string { return env[k] })
	require.NoError(t, err)
	ac := adaptiveConfig(lc, nil)
	assert.True(t, ac.ColdStart)
	assert.Equal(t, 2*time.Second, ac.Min)
	assert.Equal(t, 30*time.Second, ac.Default)
}
