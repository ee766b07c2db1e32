package chromium

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide/internal/testenv"
)

// testMark is put in this test process's environment; every browser it
// starts inherits it, which tells our processes from Chromium processes
// other programs on the machine run.
var testMark = fmt.Sprintf("RIPTIDE_CHROMIUM_TEST=%d-%d", os.Getpid(), time.Now().UnixNano())

// groups holds the process groups of the browsers this test process
// started (a browser leads its group; its children stay in it).
var groups sync.Map

func TestMain(m *testing.M) {
	k, v, _ := strings.Cut(testMark, "=")
	_ = os.Setenv(k, v)
	launchHook = func(pid int) { groups.Store(pid, true) }
	goleak.VerifyTestMain(m)
}

// newTestRenderer starts a renderer allowed to reach exactly the given
// test servers. Close is registered with t.Cleanup and checks that no
// browser process and no profile directory is left.
func newTestRenderer(t testing.TB, cfg Config, servers ...*httptest.Server) *Renderer {
	t.Helper()
	if !cfg.AllowDownload {
		cfg.Bin = testenv.ChromePath(t)
	}
	if cfg.TempDir == "" {
		cfg.TempDir = t.TempDir()
	}
	for _, s := range servers {
		u, _ := url.Parse(s.URL)
		cfg.AllowHostPorts = append(cfg.AllowHostPorts, u.Host)
	}
	before := chromePIDs()
	r, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, r.Close(ctx))
		left := leftover(before)
		if len(left) > 0 {
			t.Errorf("browser processes left after Close: %s", describe(left))
		}
		ents, _ := os.ReadDir(cfg.TempDir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "riptide-chromium-") {
				t.Errorf("profile dir left: %s", e.Name())
			}
		}
	})
	return r
}

// chromePIDs lists live (non-zombie) Chromium processes started by this
// test process.
func chromePIDs() map[int]bool {
	out := map[int]bool{}
	for _, p := range allProcs() {
		if isChrome(p) && p.state != 'Z' && ours(p.pid) {
			out[p.pid] = true
		}
	}
	return out
}

func ours(pid int) bool {
	if p, ok := readProc(pid); ok {
		if _, mine := groups.Load(p.pgid); mine {
			return true
		}
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return false
	}
	for _, kv := range strings.Split(string(env), "\x00") {
		if kv == testMark {
			return true
		}
	}
	return false
}

func isChrome(p procInfo) bool {
	return strings.Contains(p.comm, "chrom") || strings.Contains(p.comm, "headless_shell")
}

// leftover waits briefly for Chromium processes not in before to go away
// and returns those that remain.
func leftover(before map[int]bool) []int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []int
		for pid := range chromePIDs() {
			if !before[pid] {
				left = append(left, pid)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// describe lists processes with their parent, state and profile dir.
func describe(pids []int) string {
	var sb strings.Builder
	for _, pid := range pids {
		p, _ := readProc(pid)
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		dir := ""
		for _, a := range strings.Split(string(cmd), "\x00") {
			if strings.HasPrefix(a, "--user-data-dir=") || strings.HasPrefix(a, "--type=") {
				dir += " " + a
			}
		}
		fmt.Fprintf(&sb, "\n  pid %d ppid %d pgid %d state %c %s%s", pid, p.ppid, p.pgid, p.state, p.comm, dir)
	}
	return sb.String()
}

// zombies counts zombie Chromium processes of browsers this test process
// started.
func zombies() int {
	n := 0
	for _, p := range allProcs() {
		if _, mine := groups.Load(p.pgid); mine && isChrome(p) && p.state == 'Z' {
			n++
		}
	}
	return n
}

// site serves test pages from a map of path -> HTML (or handler).
func site(t testing.TB, pages map[string]any) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for p, v := range pages {
		switch h := v.(type) {
		case string:
			mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, h)
			})
		case http.HandlerFunc:
			mux.Handle(p, h)
		}
	}
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}
