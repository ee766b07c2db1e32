package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBenchCrawlCommand(t *testing.T) {
	code, out, errs := cli(t, "", "bench", "crawl", "--pages", "200", "--concurrency", "4", "--ttfb-runs", "3")
	require.Equal(t, exitOK, code, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	assert.Regexp(t, regexp.MustCompile(`^pages=200 pages_per_s=[0-9]+(\.[0-9]+)? peak_rss_mb=[0-9]+\.[0-9] ttfb_ms=[0-9]+\.[0-9]+$`), last)
	assert.Contains(t, out, "pages/s")
	t.Log(out)

	code, _, _ = cli(t, "", "bench", "crawl", "--pages", "0")
	assert.Equal(t, exitUsage, code)
	code, _, _ = cli(t, "", "bench", "crawl", "extra")
	assert.Equal(t, exitUsage, code)
}

func TestReadRSS(t *testing.T) {
	assert.Positive(t, readRSS(), "VmRSS of this process")
}
