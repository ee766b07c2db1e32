// Package testenv tells tests what the machine offers (a Chromium, the
// article benchmark) and turns a missing piece into a skip on a developer's
// machine but into a failure where the environment demands it
// (RIPTIDE_REQUIRE_CHROME=1, RIPTIDE_REQUIRE_BENCH=1), so CI never skips
// silently.
package testenv

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// ChromePath returns a Chromium binary for tests: RIPTIDE_CHROME, or the
// first of chromium, chromium-browser, google-chrome on PATH. When none is
// found the test is skipped, or fails when RIPTIDE_REQUIRE_CHROME=1.
func ChromePath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("RIPTIDE_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missing(t, "RIPTIDE_REQUIRE_CHROME", "no Chromium found (set RIPTIDE_CHROME or install chromium)")
	return ""
}

// BenchDir returns the article benchmark directory (holding html/ and
// ground-truth.json): RIPTIDE_BENCH_DIR, or ../shared/bench/articles next
// to the repository. When absent the test is skipped, or fails when
// RIPTIDE_REQUIRE_BENCH=1.
func BenchDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("RIPTIDE_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared", "bench", "articles")
	}
	if _, err := os.Stat(filepath.Join(dir, "ground-truth.json")); err != nil {
		missing(t, "RIPTIDE_REQUIRE_BENCH", "article benchmark not found at "+dir+" (set RIPTIDE_BENCH_DIR)")
	}
	return dir
}

// RepoRoot returns the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func missing(t testing.TB, env, msg string) {
	t.Helper()
	if os.Getenv(env) == "1" {
		t.Fatalf("%s, and %s=1 forbids skipping", msg, env)
	}
	t.Skip(msg)
}

// Figure records a measured robustness figure for the CI summary line:
// when RIPTIDE_FIGURES names a file, one JSON object
// {"figure": name, "<key>": value, ...} is appended to it. kv alternates
// string keys and JSON-encodable values. The figure is also logged.
func Figure(t testing.TB, name string, kv ...any) {
	t.Helper()
	m := map[string]any{"figure": name}
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m[k] = kv[i+1]
		}
	}
	line, err := json.Marshal(m)
	if err != nil {
		t.Errorf("testenv.Figure: %v", err)
		return
	}
	t.Logf("figure %s", line)
	path := os.Getenv("RIPTIDE_FIGURES")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("testenv.Figure: %v", err)
		return
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		t.Errorf("testenv.Figure: %v", err)
	}
}
