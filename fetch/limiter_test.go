package fetch_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/fetch"
)

// inflightServer counts requests in flight per Host header and records the
// maximum seen.
type inflightServer struct {
	mu       sync.Mutex
	inflight map[string]int
	max      map[string]int
	all      int // in flight across hosts
	allMax   int
	total    atomic.Int64
	srv      *httptest.Server
}

func newInflightServer(t *testing.T, hold time.Duration) *inflightServer {
	t.Helper()
	s := &inflightServer{inflight: map[string]int{}, max: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.total.Add(1)
		s.mu.Lock()
		s.inflight[r.Host]++
		s.max[r.Host] = max(s.max[r.Host], s.inflight[r.Host])
		s.all++
		s.allMax = max(s.allMax, s.all)
		s.mu.Unlock()
		time.Sleep(hold)
		s.mu.Lock()
		s.all--
		s.inflight[r.Host]--
		s.mu.Unlock()
		html("<p>x</p>")(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func TestPerHostConcurrency(t *testing.T) {
	s := newInflightServer(t, 20*time.Millisecond)
	_, port, _ := splitHostPort(s.srv.URL)
	// Two names for the same server: limits are per host.
	hosts := []string{"a.test", "b.test"}
	for _, limit := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			s.mu.Lock()
			clear(s.max)
			s.mu.Unlock()
			f := open(t, fetch.Config{
				IgnoreRobots:       true,
				PerHostConcurrency: limit,
				Resolver:           mapResolver(map[string][]string{"a.test": {"127.0.0.1"}, "b.test": {"127.0.0.1"}}),
			})
			var wg sync.WaitGroup
			for i := range 24 {
				wg.Go(func() {
					_, err := get(f, "http://"+hosts[i%2]+":"+port+"/")
					assert.NoError(t, err)
				})
			}
			wg.Wait()
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, h := range hosts {
				hp := h + ":" + port
				assert.LessOrEqual(t, s.max[hp], limit, "in flight at %s", hp)
				assert.Positive(t, s.max[hp])
			}
			assert.Zero(t, fetch.TrackedHosts(f), "idle hosts are forgotten")
		})
	}
}

func TestPerHostDelay(t *testing.T) {
	var mu sync.Mutex
	var starts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		html("<p>x</p>")(w, r)
	}))
	defer srv.Close()
	const delay = 50 * time.Millisecond
	f := open(t, fetch.Config{IgnoreRobots: true, PerHostDelay: delay, PerHostConcurrency: 1})
	// Warm the connection so that dial time does not skew the arrivals.
	_, err := get(f, srv.URL)
	require.NoError(t, err)
	mu.Lock()
	starts = nil
	mu.Unlock()
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			_, err := get(f, srv.URL)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	require.Len(t, starts, 6)
	// The limiter spaces the starts of requests; single arrivals at the
	// server jitter with scheduling, so the span of all six is checked: five
	// gaps must fit in it, less one gap of slack for a late first arrival.
	// The exact spacing is proven under a fake clock in
	// limiter_internal_test.go.
	span := starts[len(starts)-1].Sub(starts[0])
	assert.GreaterOrEqual(t, span, 4*delay)

	// A waiter whose context ends leaves without a slot.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	slow := open(t, fetch.Config{IgnoreRobots: true, PerHostDelay: time.Hour})
	_, err = get(slow, srv.URL)
	require.NoError(t, err)
	_, err = slow.Fetch(ctx, &fetch.Request{URL: srv.URL})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, fetch.ErrTimeout)
}

func TestGlobalConcurrency(t *testing.T) {
	s := newInflightServer(t, 10*time.Millisecond)
	_, port, _ := splitHostPort(s.srv.URL)
	resolve := map[string][]string{}
	for i := range 8 {
		resolve[fmt.Sprintf("h%d.test", i)] = []string{"127.0.0.1"}
	}
	f := open(t, fetch.Config{IgnoreRobots: true, GlobalConcurrency: 3, Resolver: mapResolver(resolve)})
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			_, err := get(f, fmt.Sprintf("http://h%d.test:%s/", i%8, port))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Equal(t, int64(24), s.total.Load())
	assert.LessOrEqual(t, s.allMax, 3)
	assert.Positive(t, s.allMax)
}

// TestConcurrentFetches runs 64 goroutines on one fetcher, mixing
// successes, refusals and errors, for the race detector.
func TestConcurrentFetches(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			_, _ = w.Write([]byte("user-agent: *\ndisallow: /private\n"))
		case "/redirect":
			http.Redirect(w, r, "/page", http.StatusFound)
		case "/error":
			w.WriteHeader(http.StatusBadGateway)
		default:
			html("<p>page</p>")(w, r)
		}
	}))
	defer srv.Close()
	f := open(t, fetch.Config{PerHostConcurrency: 8})
	paths := []string{"/page", "/redirect", "/error", "/private/x"}
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			resp, err := get(f, srv.URL+paths[i%len(paths)])
			if err != nil {
				failed.Add(1)
				return
			}
			ok.Add(1)
			assert.Equal(t, "<p>page</p>", string(resp.Body))
		})
	}
	wg.Wait()
	assert.Equal(t, int64(32), ok.Load())
	assert.Equal(t, int64(32), failed.Load())
}

func splitHostPort(raw string) (string, string, error) {
	return net.SplitHostPort(strings.TrimPrefix(raw, "http://"))
}
