package fetch_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/timeout"
)

// dripServer sends headers, then one byte every gap until the client goes
// away.
func dripServer(t *testing.T, gap time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		_ = rc.Flush()
		tick := time.NewTicker(gap)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				if _, err := w.Write([]byte("x")); err != nil {
					return
				}
				_ = rc.Flush()
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// stallServer accepts connections and reads, but never answers.
func stallServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			go func() { _, _ = c.Read(make([]byte, 4096)); <-stop }()
		}
	}()
	t.Cleanup(func() {
		close(stop)
		_ = ln.Close()
		<-done
	})
	return "http://" + ln.Addr().String() + "/"
}

func requireTimeout(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, fetch.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, fetch.Retryable(err))
	_, ok := errors.AsType[*fetch.Error](err)
	assert.True(t, ok)
}

func TestTimeouts(t *testing.T) {
	t.Run("idle drip", func(t *testing.T) {
		// One byte per second against a 200 ms idle timeout.
		srv := dripServer(t, time.Second)
		f := open(t, fetch.Config{IgnoreRobots: true, IdleReadTimeout: 200 * time.Millisecond})
		_, err := get(f, srv.URL)
		requireTimeout(t, err)
		assert.Contains(t, err.Error(), "no body progress")
	})
	t.Run("total budget drip", func(t *testing.T) {
		// Bytes keep coming faster than the idle timeout, but the whole
		// fetch has 300 ms.
		srv := dripServer(t, 20*time.Millisecond)
		f := open(t, fetch.Config{IgnoreRobots: true, Policy: timeout.Fixed{D: 300 * time.Millisecond}})
		_, err := get(f, srv.URL)
		requireTimeout(t, err)
		assert.Contains(t, err.Error(), "fetch budget")
	})
	t.Run("headers never come", func(t *testing.T) {
		f := open(t, fetch.Config{IgnoreRobots: true, HeaderTimeout: 200 * time.Millisecond})
		_, err := get(f, stallServer(t))
		requireTimeout(t, err)
	})
	t.Run("tls handshake never completes", func(t *testing.T) {
		f := open(t, fetch.Config{IgnoreRobots: true, TLSTimeout: 200 * time.Millisecond})
		u := stallServer(t)
		_, err := get(f, "https"+u[len("http"):])
		requireTimeout(t, err)
		assert.Contains(t, err.Error(), "tls handshake")
	})
	t.Run("stalled robots.txt then page", func(t *testing.T) {
		f := open(t, fetch.Config{HeaderTimeout: 100 * time.Millisecond, Policy: timeout.Fixed{D: 5 * time.Second}})
		_, err := get(f, stallServer(t))
		// robots.txt timed out: disallow all.
		require.ErrorIs(t, err, fetch.ErrRobotsDisallowed)
	})
	t.Run("caller deadline", func(t *testing.T) {
		f := open(t, fetch.Config{IgnoreRobots: true})
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		_, err := f.Fetch(ctx, &fetch.Request{URL: stallServer(t)})
		requireTimeout(t, err)
		assert.ErrorIs(t, err, ctx.Err())
	})
	t.Run("caller cancel", func(t *testing.T) {
		srv := dripServer(t, 10*time.Millisecond)
		f := open(t, fetch.Config{IgnoreRobots: true})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err := f.Fetch(ctx, &fetch.Request{URL: srv.URL})
		require.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, fetch.ErrTimeout)
		assert.False(t, fetch.Retryable(err))
	})
}

// recordingPolicy records outcomes fed back by the fetcher.
type recordingPolicy struct {
	timeout.Fixed
	outcomes chan timeout.Outcome
}

func (p *recordingPolicy) Record(_ timeout.Stage, _ string, o timeout.Outcome) { p.outcomes <- o }

func TestPolicyOutcomeRecorded(t *testing.T) {
	p := &recordingPolicy{Fixed: timeout.Fixed{D: 200 * time.Millisecond}, outcomes: make(chan timeout.Outcome, 4)}
	f := open(t, fetch.Config{IgnoreRobots: true, Policy: p})
	_, err := get(f, stallServer(t))
	requireTimeout(t, err)
	o := <-p.outcomes
	assert.True(t, o.TimedOut)
	assert.Error(t, o.Err)

	srv := httptest.NewServer(html("<p>ok</p>"))
	defer srv.Close()
	_, err = get(f, srv.URL)
	require.NoError(t, err)
	o = <-p.outcomes
	assert.False(t, o.TimedOut)
	assert.NoError(t, o.Err)
}
