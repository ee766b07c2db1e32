package riptide_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/timeout"
)

// diskFullReport is what the disk-full helper process observed.
type diskFullReport struct {
	Pages        int    `json:"pages"`
	OK           int    `json:"ok"`
	FirstErr     string `json:"first_err,omitempty"`
	FileBefore   int64  `json:"file_before"`
	FileAfter    int64  `json:"file_after"`
	StoreStatus  string `json:"store_status"`
	StoreDetail  string `json:"store_detail"`
	ClientStatus string `json:"client_status"`
	MemoryHit    bool   `json:"memory_hit"`
	// After a restart under the same limit: an early page comes from the
	// disk half of the cache, a new page still extracts.
	ReopenErr  string `json:"reopen_err,omitempty"`
	DiskHit    bool   `json:"disk_hit"`
	NewPageOK  bool   `json:"new_page_ok"`
	SetupError string `json:"setup_error,omitempty"`
}

// TestReliabilityStoreDiskFull fills the disk under a Client that keeps
// every result on disk: a helper process runs with a file size limit
// (RLIMIT_FSIZE) just above the store file's size, so the store's growth
// fails with EFBIG as it would with ENOSPC. The Client must keep serving
// every request, turn its store read-only, say so in Health, keep serving
// what is already cached, and start again on the full file. The Client
// has no option for the store's own quota (store.Options.MaxSize), so a
// real limit is the only way to reach this path from the outside.
func TestReliabilityStoreDiskFull(t *testing.T) {
	if dir := os.Getenv("RIPTIDE_REL_DISK_FULL"); dir != "" {
		rep := diskFull(dir)
		_ = json.NewEncoder(os.Stdout).Encode(rep)
		os.Exit(0)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestReliabilityStoreDiskFull$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RIPTIDE_REL_DISK_FULL="+dir)
	out, err := cmd.Output()
	require.NoError(t, err, "the helper process crashed: %s", out)
	var rep diskFullReport
	require.NoError(t, json.Unmarshal(out, &rep), "%s", out)
	t.Logf("%+v", rep)
	require.Empty(t, rep.SetupError)

	assert.Equal(t, rep.Pages, rep.OK, "every extraction succeeds on a full disk (first error: %s)", rep.FirstErr)
	assert.Equal(t, string(riptide.StatusDegraded), rep.StoreStatus, "Health reports the full store")
	assert.Contains(t, rep.StoreDetail, "read-only")
	assert.Equal(t, string(riptide.StatusDegraded), rep.ClientStatus)
	assert.Greater(t, rep.FileAfter, rep.FileBefore, "the store grew until the disk was full")
	assert.True(t, rep.MemoryHit, "results still come from the memory cache")
	assert.Empty(t, rep.ReopenErr, "a full store file reopens")
	assert.True(t, rep.DiskHit, "a result written before the disk filled is served from disk")
	assert.True(t, rep.NewPageOK, "a restarted Client works on a full disk")
}

// diskFullHeadroom is how far the store file may grow past its size when
// the limit is set.
const diskFullHeadroom = 256 << 10

// diskFull runs in the helper process.
func diskFull(dir string) (rep diskFullReport) {
	body := strings.Repeat("<p>The harbour master posts the tide tables each morning, with the heights and times of the high and low waters for the week ahead.</p>", 40)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>Page %s</title><article><h1>Page %s</h1>%s</article>", r.URL.Path, r.URL.Path, body)
	}))
	defer srv.Close()
	ctx := context.Background()
	path := filepath.Join(dir, store.FileName)
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithCacheDir(dir), riptide.WithResultCache(10_000, time.Hour))
	if err != nil {
		rep.SetupError = err.Error()
		return rep
	}
	if _, err := c.Extract(ctx, srv.URL+"/early"); err != nil {
		rep.SetupError = err.Error()
		return rep
	}
	st, err := os.Stat(path)
	if err != nil {
		rep.SetupError = err.Error()
		return rep
	}
	rep.FileBefore = st.Size()
	lim := syscall.Rlimit{Cur: uint64(st.Size() + diskFullHeadroom), Max: uint64(st.Size() + diskFullHeadroom)}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		rep.SetupError = "setrlimit: " + err.Error()
		return rep
	}
	rep.Pages = 300
	for i := range rep.Pages {
		res, err := c.Extract(ctx, fmt.Sprintf("%s/p/%d", srv.URL, i))
		if err == nil && res.Document != nil {
			rep.OK++
		} else if rep.FirstErr == "" && err != nil {
			rep.FirstErr = err.Error()
		}
	}
	if res, err := c.Extract(ctx, srv.URL+"/p/299"); err == nil {
		rep.MemoryHit = res.FromCache
	}
	h := c.Health(ctx)
	rep.ClientStatus = string(h.Status)
	for _, ch := range h.Components {
		if ch.Name == "store" {
			rep.StoreStatus, rep.StoreDetail = string(ch.Status), ch.Detail
		}
	}
	_ = c.Close()
	if st, err := os.Stat(path); err == nil {
		rep.FileAfter = st.Size()
	}

	// Restart on the full file, with a memory cache too small to help.
	c2, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithCacheDir(dir), riptide.WithResultCache(1, time.Hour))
	if err != nil {
		rep.ReopenErr = err.Error()
		return rep
	}
	defer c2.Close()
	if res, err := c2.Extract(ctx, srv.URL+"/early"); err != nil {
		rep.ReopenErr = err.Error()
	} else {
		rep.DiskHit = res.FromCache
	}
	res, err := c2.Extract(ctx, srv.URL+"/after-restart")
	rep.NewPageOK = err == nil && res.Document != nil
	return rep
}

// TestReliabilityStoreLockedAllEngines extends the locked-file health
// test to the parts that use the store: with the file held by another
// process, the WASM engine (its compiled-module cache indexes into the
// store), the result cache (memory only) and adaptive timeouts (profiles
// kept in memory) all still work.
func TestReliabilityStoreLockedAllEngines(t *testing.T) {
	if dir := os.Getenv("RIPTIDE_REL_HOLD_STORE"); dir != "" {
		db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
		if err != nil {
			os.Exit(3)
		}
		_, _ = os.Stdout.WriteString("locked\n")
		_, _ = os.Stdin.Read(make([]byte, 1))
		_ = db.Close()
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReliabilityStoreLockedAllEngines$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RIPTIDE_REL_HOLD_STORE="+dir)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	buf := make([]byte, 7)
	_, err = io.ReadFull(stdout, buf)
	require.NoError(t, err)
	require.Equal(t, "locked\n", string(buf))

	srv := newRelServer(t, func(w http.ResponseWriter, r *http.Request) { relArticle(w, "Locked "+r.URL.Path) })
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithCacheDir(dir), riptide.WithResultCache(16, time.Hour),
		riptide.WithAdaptiveTimeouts(timeout.AdaptiveConfig{}))
	require.NoError(t, err, "a locked store never fails New")
	defer func() { assert.NoError(t, c.Close()) }()
	ctx := context.Background()
	engines := []riptide.Engine{riptide.EngineStatic, riptide.EngineAuto}
	if !raceEnabled { // the race detector makes the WASM compile too slow here
		engines = append(engines, riptide.EngineWASM)
	}
	for _, e := range engines {
		u := srv.URL + "/" + string(e)
		res, err := c.Extract(ctx, u, riptide.WithRequestEngine(e))
		require.NoError(t, err, "engine %s", e)
		assert.NotEmpty(t, res.Document.Text)
		again, err := c.Extract(ctx, u, riptide.WithRequestEngine(e))
		require.NoError(t, err)
		assert.True(t, again.FromCache, "engine %s: the result cache works in memory", e)
	}
	assert.NotEmpty(t, c.TimeoutProfiles(), "adaptive timeouts learn without the store")
	h := c.Health(ctx)
	assert.Equal(t, riptide.StatusDegraded, component(h, "store").Status)
	assert.Equal(t, riptide.StatusHealthy, component(h, "wasm").Status, "the WASM engine needs no store")
	if !raceEnabled {
		assert.Equal(t, "fuel", component(h, "wasm").Facts["interruption"], "the default module is interruptible at low cost")
	}
	assert.NotEqual(t, riptide.StatusUnhealthy, h.Status)
}
