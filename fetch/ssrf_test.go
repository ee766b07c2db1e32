package fetch_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/fetch"
	"github.com/riptide-go/riptide/internal/netguard"
	"github.com/riptide-go/riptide/internal/testenv"
)

func mapResolver(m map[string][]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, s := range m[host] {
			out = append(out, netip.MustParseAddr(s))
		}
		if len(out) == 0 {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return out, nil
	}
}

// TestSSRF runs every vector through the fetcher, directly and as the
// target of a redirect from an allowed server, and proves with a sentinel
// listener on 127.0.0.1 that none got through.
func TestSSRF(t *testing.T) {
	s := testenv.NewSentinel(t, "")
	p := s.Port()
	var publicHits atomic.Int64
	newPublicServer(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		publicHits.Add(1)
		if to := r.URL.Query().Get("to"); to != "" {
			w.Header().Set("Location", to)
			w.WriteHeader(http.StatusFound)
			return
		}
		html("<p>public</p>")(w, r)
	}))
	resolver := mapResolver(map[string][]string{
		"public.test":   {publicAddr},
		"loopback.test": {"127.0.0.1"},
		"localhost":     {"127.0.0.1", "::1"},
		"mixed.test":    {publicAddr, "127.0.0.1"},
		"mixed6.test":   {publicAddr, "::1"},
		"v6loop.test":   {"::1"},
		"mapped.test":   {"::ffff:127.0.0.1"},
		"meta.test":     {"169.254.169.254"},
		"nat64.test":    {"64:ff9b::7f00:1"},
		"private.test":  {"10.0.0.1"},
	})
	f := guarded(t, fetch.Config{IgnoreRobots: true, Resolver: resolver})
	// The second path: the dialer alone, as the browser egress proxy uses
	// it, fed the address a browser would connect to. It must refuse every
	// blocked vector by itself, without the URL check in front.
	dialer := &netguard.Dialer{Resolver: resolver, Allow: []netip.Prefix{publicPrefix}, Timeout: time.Second}

	// The allowed path works, so a refusal below is the guard's doing.
	resp, err := get(f, "http://public.test:"+p+"/")
	require.NoError(t, err)
	assert.Contains(t, string(resp.Body), "public")

	blocked := []string{
		"http://127.0.0.1:" + p + "/",
		"http://2130706433:" + p + "/",
		"http://0x7f.1:" + p + "/",
		"http://0177.0.0.1:" + p + "/",
		"http://127.1:" + p + "/",
		"http://0x7f000001:" + p + "/",
		"http://0x7f.0x0.0x0.0x1:" + p + "/",
		"http://127.0.0.1.:" + p + "/",
		"http://１２７.０.０.１:" + p + "/",
		"http://0:" + p + "/",
		"http://0.0.0.0:" + p + "/",
		"http://[::1]:" + p + "/",
		"http://[::]:" + p + "/",
		"http://[::ffff:127.0.0.1]:" + p + "/",
		"http://[::ffff:7f00:1]:" + p + "/",
		"http://[::127.0.0.1]:" + p + "/",
		"http://[0:0:0:0:0:0:0:1]:" + p + "/",
		"http://loopback.test:" + p + "/",
		"http://localhost:" + p + "/",
		"http://app.localhost:" + p + "/",
		"http://mixed.test:" + p + "/",
		"http://mixed6.test:" + p + "/",
		"http://v6loop.test:" + p + "/",
		"http://mapped.test:" + p + "/",
		"http://meta.test/latest/meta-data/",
		"http://nat64.test:" + p + "/",
		"http://private.test/",
		"http://10.0.0.1/",
		"http://172.16.0.1/",
		"http://192.168.1.1/",
		"http://100.64.0.1/",
		"http://100.100.100.200/",
		"http://169.254.169.254/latest/meta-data/",
		"http://198.18.0.1/",
		"http://224.0.0.1/",
		"http://240.0.0.1/",
		"http://255.255.255.255/",
		"http://192.0.2.1/",
		"http://198.51.100.1/",
		"http://203.0.113.1/",
		"http://192.0.0.1/",
		"http://168.63.129.16/",
		"http://[fe80::1]/",
		"http://[fc00::1]/",
		"http://[fd00:ec2::254]/",
		"http://[ff02::1]/",
		"http://[2001:db8::1]/",
		"http://[64:ff9b::a9fe:a9fe]/",
		"http://[64:ff9b:1::1]/",
		"http://[2002:7f00:1::1]/",
		"http://[2001::1]/",
	}
	invalid := []string{
		`http://127.0.0.1:` + p + `\@1.1.1.1`,
		"http://user:pass@127.0.0.1:" + p + "/",
		"http://public.test@127.0.0.1:" + p + "/",
		"http://%31%32%37.0.0.1:" + p + "/",
		"http://[fe80::1%25lo]:" + p + "/",
		"http://127.0.0.1:" + p + "/\n",
		"http://1.2.3.4.5/",
	}
	schemes := []string{
		"file:///etc/passwd",
		"gopher://127.0.0.1:" + p + "/_",
		"ftp://127.0.0.1:" + p + "/",
		"ws://127.0.0.1:" + p + "/",
		"javascript:alert(1)",
		"data:text/html,x",
	}
	redirectTargets := []string{
		"http://127.0.0.1:" + p + "/",
		"http://2130706433:" + p + "/",
		"http://[::ffff:127.0.0.1]:" + p + "/",
		"http://169.254.169.254/latest/meta-data/",
		"http://loopback.test:" + p + "/",
		"http://localhost:" + p + "/",
		"http://[::1]:" + p + "/",
		"file:///etc/passwd",
		"gopher://127.0.0.1:" + p + "/",
		"//127.0.0.1:" + p + "/",
	}

	vectors := 0
	check := func(t *testing.T, raw string, want error) {
		t.Helper()
		vectors++
		resp, err := get(f, raw)
		assert.Nil(t, resp)
		require.ErrorIs(t, err, want, "vector %q", raw)
		assert.False(t, fetch.Retryable(err))
		_, ok := errors.AsType[*fetch.Error](err)
		assert.True(t, ok)
	}
	paths := 1
	for _, v := range blocked {
		t.Run("blocked/"+v, func(t *testing.T) {
			check(t, v, fetch.ErrBlockedAddress)
			u, err := netguard.CanonicalURL(v)
			require.NoError(t, err)
			port := u.Port()
			if port == "" {
				port = "80"
			}
			conn, err := dialer.DialContext(t.Context(), "tcp", net.JoinHostPort(u.Hostname(), port))
			if conn != nil {
				_ = conn.Close()
			}
			require.ErrorIs(t, err, netguard.ErrBlocked, "dialer path, vector %q", v)
			paths = 2
		})
	}
	for _, v := range invalid {
		t.Run("invalid/"+v, func(t *testing.T) { check(t, v, fetch.ErrInvalidURL) })
	}
	for _, v := range schemes {
		t.Run("scheme/"+v, func(t *testing.T) { check(t, v, fetch.ErrDisallowedScheme) })
	}
	for _, v := range redirectTargets {
		t.Run("redirect/"+v, func(t *testing.T) {
			before := publicHits.Load()
			vectors++
			_, err := get(f, "http://public.test:"+p+"/?to="+url.QueryEscape(v))
			require.Error(t, err)
			assert.True(t, errors.Is(err, fetch.ErrBlockedAddress) || errors.Is(err, fetch.ErrDisallowedScheme), "%v", err)
			assert.Equal(t, before+1, publicHits.Load(), "exactly the redirecting request was served")
		})
	}

	reached := s.Hits()
	assert.Zero(t, reached, "the sentinel was reached")
	assert.GreaterOrEqual(t, vectors, 40)
	testenv.Figure(t, "ssrf", "vectors", vectors, "paths", paths, "dialer_vectors", len(blocked), "reached", reached)
}

// TestSSRFRebinding: a name that answers with the allowed address once and
// the sentinel's address afterwards (TTL 0) never reaches the sentinel,
// since every dial resolves once and connects to the address it checked.
func TestSSRFRebinding(t *testing.T) {
	s := testenv.NewSentinel(t, "")
	p := s.Port()
	var hits atomic.Int64
	newPublicServer(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Connection", "close")
		html("ok")(w, r)
	}))
	var lookups atomic.Int64
	f := guarded(t, fetch.Config{
		IgnoreRobots: true,
		Resolver: func(context.Context, string) ([]netip.Addr, error) {
			if lookups.Add(1)%2 == 1 {
				return []netip.Addr{netip.MustParseAddr(publicAddr)}, nil
			}
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		},
	})
	for i := range 6 {
		_, err := get(f, "http://rebind.test:"+p+"/")
		if i%2 == 0 {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, fetch.ErrBlockedAddress)
		}
	}
	assert.Equal(t, int64(6), lookups.Load(), "one lookup per connection")
	assert.Equal(t, int64(3), hits.Load())
	assert.Zero(t, s.Hits(), "the sentinel was reached")
}

func TestDefaultConfigRefusesLoopback(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		html("secret")(w, r)
	}))
	defer srv.Close()
	f, err := fetch.New(fetch.Config{})
	require.NoError(t, err)
	defer f.Close()
	_, err = get(f, srv.URL)
	require.ErrorIs(t, err, fetch.ErrBlockedAddress)
	_, err = f.Robots(context.Background(), srv.URL)
	require.ErrorIs(t, err, fetch.ErrBlockedAddress)
	assert.Zero(t, hits.Load())
}
