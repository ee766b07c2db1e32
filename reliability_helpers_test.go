package riptide_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// relServer is a loopback test server that counts its open connections.
type relServer struct {
	*httptest.Server
	open atomic.Int64 // connections accepted and not yet closed
}

func newRelServer(t *testing.T, h http.HandlerFunc) *relServer {
	t.Helper()
	s := &relServer{}
	s.Server = httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.open.Add(-1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// openConns waits up to d for the server's connections to close (the
// server sees a client's close a moment later) and returns how many are
// still open.
func (s *relServer) openConns(d time.Duration) int64 {
	deadline := time.Now().Add(d)
	for s.open.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return s.open.Load()
}

// leakedGoroutines returns how many goroutines goleak finds beyond those
// alive when opts were captured, and its report.
func leakedGoroutines(opts ...goleak.Option) (int, error) {
	err := goleak.Find(opts...)
	if err == nil {
		return 0, nil
	}
	return max(1, strings.Count(err.Error(), "Goroutine ")), err
}

// processesUsing counts the live processes whose command line mentions
// dir (browsers launched with a profile directory under dir). Zombies
// have no command line and are not counted (the browser kill test counts
// them).
func processesUsing(dir string) int {
	ents, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmd), dir) {
			continue
		}
		n++
	}
	return n
}
