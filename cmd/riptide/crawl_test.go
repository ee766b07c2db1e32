package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/riptidetest"
	"github.com/riptide-go/riptide/stream"
)

// parseEvents parses NDJSON output line by line.
func parseEvents(t *testing.T, out string) []stream.Event {
	t.Helper()
	var evs []stream.Event
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var ev stream.Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), "line %q", sc.Text())
		evs = append(evs, ev)
	}
	require.NoError(t, sc.Err())
	return evs
}

func countType(evs []stream.Event, typ stream.Type) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

func TestCrawlCommand(t *testing.T) {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(100))
	defer site.Close()

	t.Run("stdout", func(t *testing.T) {
		code, out, errs := cli(t, "", "crawl", "--allow-private", "--depth", "10", "--max-pages", "30",
			"--include", "/gen/", "--concurrency", "4", site.URL("/gen/0.html"))
		require.Equal(t, exitOK, code, errs)
		assert.Empty(t, errs, "no progress bar when stderr is not a terminal")
		evs := parseEvents(t, out)
		require.NotEmpty(t, evs)
		assert.Equal(t, stream.TypeStart, evs[0].Type)
		assert.Equal(t, "crawl", evs[0].Start.Op)
		last := evs[len(evs)-1]
		require.Equal(t, stream.TypeSummary, last.Type)
		assert.Equal(t, 30, countType(evs, stream.TypeResult))
		assert.Equal(t, 30, last.Summary.Succeeded)
	})
	t.Run("out file, page errors still exit 0", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "events.ndjson")
		code, out, errs := cli(t, "", "crawl", "--allow-private", "--follow", "none", "--out", path,
			site.URL("/about.html"), site.URL("/broken"), site.URL("/private/secret.html"))
		require.Equal(t, exitOK, code, errs)
		assert.Empty(t, out)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		evs := parseEvents(t, string(b))
		assert.Equal(t, 1, countType(evs, stream.TypeResult))
		assert.Equal(t, 2, countType(evs, stream.TypeError))
		var codes []string
		for _, ev := range evs {
			if ev.Type == stream.TypeError {
				codes = append(codes, ev.Error.Code)
			}
		}
		slices.Sort(codes)
		assert.Equal(t, []string{"http_status_500", "robots_disallowed"}, codes)
		assert.Equal(t, stream.TypeSummary, evs[len(evs)-1].Type)
	})
	t.Run("input order", func(t *testing.T) {
		code, out, errs := cli(t, "", "crawl", "--allow-private", "--follow", "none", "--order", "input",
			site.URL("/about.html"), site.URL("/articles/rip-currents.html"), site.URL("/articles/tide-tables.html"))
		require.Equal(t, exitOK, code, errs)
		var urls []string
		for _, ev := range parseEvents(t, out) {
			if ev.Type == stream.TypeResult {
				var r struct {
					URL string `json:"url"`
				}
				require.NoError(t, json.Unmarshal(ev.Result.(json.RawMessage), &r))
				urls = append(urls, r.URL)
			}
		}
		assert.Equal(t, []string{site.URL("/about.html"), site.URL("/articles/rip-currents.html"), site.URL("/articles/tide-tables.html")}, urls)
	})
}

func TestCrawlCommandExitCodes(t *testing.T) {
	site := riptidetest.NewSite()
	defer site.Close()
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"no seeds", []string{"crawl"}, exitUsage},
		{"unknown flag", []string{"crawl", "--deep", site.URL("/")}, exitUsage},
		{"bad follow", []string{"crawl", "--allow-private", "--follow", "everything", site.URL("/")}, exitInvalid},
		{"bad seed", []string{"crawl", "not a url"}, exitInvalid},
		{"bad pattern", []string{"crawl", "--allow-private", "--include", "(", site.URL("/")}, exitInvalid},
		{"bad order", []string{"crawl", "--allow-private", "--order", "random", site.URL("/")}, exitInvalid},
		{"unwritable out", []string{"crawl", "--allow-private", "--out", filepath.Join(t.TempDir(), "no", "such", "dir"), site.URL("/")}, exitInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := cli(t, "", tc.args...)
			assert.Equal(t, tc.want, code, "stderr: %s", errs)
		})
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var out, errb bytes.Buffer
		dir := t.TempDir()
		getenv := func(k string) string {
			if k == "RIPTIDE_CACHE_DIR" {
				return dir
			}
			return ""
		}
		code := run(ctx, []string{"crawl", "--allow-private", site.URL("/slow?ms=5000")}, nil, &out, &errb, getenv)
		assert.Equal(t, exitTimeout, code, errb.String())
		assert.Contains(t, errb.String(), "canceled")
		evs := parseEvents(t, out.String())
		require.NotEmpty(t, evs)
		last := evs[len(evs)-1]
		require.Equal(t, stream.TypeError, last.Type)
		assert.True(t, last.Error.Fatal)
	})
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressBar(&buf)
	src := slices.Values([]stream.Event{
		stream.NewStart(stream.Start{Op: "crawl"}),
		stream.NewResult(1), stream.NewResult(2),
		stream.NewError(stream.ErrorEvent{ErrorType: "fetch", URL: "https://a.example/"}),
		stream.NewError(stream.ErrorEvent{ErrorType: "canceled", Fatal: true}),
	})
	n := 0
	for range p.observe(src) {
		n++
	}
	assert.Equal(t, 5, n, "events pass through")
	p.start()
	p.stop()
	line := buf.String()
	assert.True(t, strings.HasPrefix(line, "\r["), "%q", line)
	assert.Contains(t, line, "2 pages, 1 errors")
	assert.True(t, strings.HasSuffix(line, "\n"), "the final line ends the bar")
}
