package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/riptidetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// cli runs the command line in-process with a private cache dir.
func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "RIPTIDE_CACHE_DIR" {
			return dir
		}
		return ""
	}
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb, getenv)
	return code, out.String(), errb.String()
}

func TestExtractCommand(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	article := site.URL("/articles/rip-currents.html")

	t.Run("json", func(t *testing.T) {
		code, out, errs := cli(t, "", "extract", "--allow-private", article)
		require.Equal(t, exitOK, code, errs)
		var res struct {
			Status   int `json:"status"`
			Document struct {
				Title string `json:"title"`
			} `json:"document"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &res))
		assert.Equal(t, 200, res.Status)
		assert.Equal(t, "How rip currents form, and how to escape one", res.Document.Title)
	})
	t.Run("global flag before the command", func(t *testing.T) {
		code, out, _ := cli(t, "", "--allow-private", "extract", "--format", "text", article)
		require.Equal(t, exitOK, code)
		assert.Contains(t, out, "narrow, fast-moving channel of water")
	})
	t.Run("markdown", func(t *testing.T) {
		code, out, _ := cli(t, "", "extract", article, "--allow-private", "--format=markdown")
		require.Equal(t, exitOK, code)
		assert.Contains(t, out, "## What to do if a rip pulls you out")
	})
	t.Run("stdin", func(t *testing.T) {
		code, out, _ := cli(t, "<html><body><article><p>Hello from standard input, a page with a paragraph of text.</p></article></body></html>", "extract", "--format", "text", "-")
		require.Equal(t, exitOK, code)
		assert.Contains(t, out, "Hello from standard input")
	})
	t.Run("file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "page.html")
		require.NoError(t, os.WriteFile(p, []byte("<html><body><article><p>Hello from a file, a page with a paragraph of text.</p></article></body></html>"), 0o600))
		code, out, _ := cli(t, "", "extract", "--format", "text", p)
		require.Equal(t, exitOK, code)
		assert.Contains(t, out, "Hello from a file")
	})
}

func TestExitCodes(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"no command", nil, exitUsage},
		{"unknown command", []string{"fly"}, exitUsage},
		{"unknown flag", []string{"extract", "--nope", "x"}, exitUsage},
		{"bad format", []string{"extract", "--format", "pdf", "http://example.org/"}, exitUsage},
		{"blocked by default", []string{"extract", site.URL("/")}, exitBlocked},
		{"robots", []string{"extract", "--allow-private", site.URL("/private/secret.html")}, exitBlocked},
		{"http error", []string{"extract", "--allow-private", site.URL("/broken")}, exitFetch},
		{"timeout", []string{"extract", "--allow-private", "--timeout", "200ms", site.URL("/slow?ms=3000")}, exitTimeout},
		{"bad url", []string{"extract", "ftp://example.org/x"}, exitInvalid},
		{"missing file", []string{"extract", filepath.Join(t.TempDir(), "absent.html")}, exitInvalid},
		{"bad engine", []string{"extract", "--engine", "warp", "http://example.org/"}, exitInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := cli(t, "", tc.args...)
			assert.Equal(t, tc.want, code, "stderr: %s", errs)
			if code != exitOK {
				assert.Empty(t, out, "nothing on stdout on failure")
			}
		})
	}
}

func TestRenderCommand(t *testing.T) {
	bin := testenv.ChromePath(t)
	site := riptidetest.NewSite()
	defer site.Close()
	shot := filepath.Join(t.TempDir(), "shot.png")
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		switch k {
		case "RIPTIDE_CACHE_DIR":
			return t.TempDir()
		case "RIPTIDE_CHROME":
			return bin
		}
		return ""
	}
	code := run(context.Background(), []string{"render", "--allow-private", "--wait-css", "#done", "--screenshot", shot, site.URL("/js/app.html")}, nil, &out, &errb, getenv)
	require.Equal(t, exitOK, code, errb.String())
	var resp struct {
		HTML    string `json:"html"`
		Actions []struct {
			OK bool `json:"ok"`
		} `json:"actions"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &resp))
	assert.Contains(t, resp.HTML, "North Strand")
	require.Len(t, resp.Actions, 1)
	assert.True(t, resp.Actions[0].OK)
	png, err := os.ReadFile(shot)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG")), "a PNG screenshot is written")

	code, _, _ = cli(t, "", "render", "--allow-private")
	assert.Equal(t, exitUsage, code)
}
