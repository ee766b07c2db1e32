package fetch_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide/fetch"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// publicAddr is the loopback address test servers standing for the public
// internet listen on. Guarded fetchers allow exactly this address, so the
// guard stays on for every other one (127.0.0.1 above all, where sentinels
// listen).
const publicAddr = "127.0.0.2"

var publicPrefix = netip.MustParsePrefix(publicAddr + "/32")

// sentinel is a listener that must never be reached: it counts the
// connections it accepts.
// newPublicServer starts h on publicAddr, on port when given ("" for any).
func newPublicServer(t *testing.T, port string, h http.Handler) *httptest.Server {
	t.Helper()
	if port == "" {
		port = "0"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(publicAddr, port))
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// guarded returns a fetcher with the SSRF guard on, allowing only
// publicAddr, robots.txt ignored unless the config says otherwise.
func guarded(t *testing.T, cfg fetch.Config) *fetch.HTTP {
	t.Helper()
	f, err := fetch.New(fetch.WithAllow(cfg, publicPrefix))
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// open returns a fetcher with private networks allowed.
func open(t *testing.T, cfg fetch.Config) *fetch.HTTP {
	t.Helper()
	cfg.AllowPrivateNetworks = true
	f, err := fetch.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func get(f fetch.Fetcher, url string) (*fetch.Response, error) {
	return f.Fetch(context.Background(), &fetch.Request{URL: url})
}

func html(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(body))
	}
}
