package egress

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T, cfg Config) *Proxy {
	p, err := Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, p.Close(ctx))
	})
	return p
}

func client(p *Proxy) *http.Client {
	u, _ := url.Parse(p.URL())
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u), DisableKeepAlives: true}, Timeout: 5 * time.Second}
}

func TestRefusesPrivate(t *testing.T) {
	hits := 0
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer s.Close()
	p := start(t, Config{})
	resp, err := client(p).Get(s.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get(RefusedHeader))
	// CONNECT (TLS, wss) is refused too.
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer ts.Close()
	c := client(p)
	c.Transport.(*http.Transport).TLSClientConfig = ts.Client().Transport.(*http.Transport).TLSClientConfig
	_, err = c.Get(ts.URL)
	assert.Error(t, err)
	assert.Equal(t, 0, hits)
	assert.Equal(t, int64(2), p.Stats().Refused)
}

func TestAllowHostPorts(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/done", http.StatusFound)
			return
		}
		fmt.Fprint(w, "hello "+r.URL.Path)
	}))
	defer s.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("reached") }))
	defer other.Close()
	u, _ := url.Parse(s.URL)
	p := start(t, Config{AllowHostPorts: []string{u.Host}})
	resp, err := client(p).Get(s.URL + "/redirect")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "hello /done", string(b))
	// Same IP, another port: refused.
	resp, err = client(p).Get(other.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	// Numeric spellings of loopback are refused.
	_, port, _ := net.SplitHostPort(u.Host)
	_ = port
	resp, err = client(p).Get("http://2130706433:" + port + "/")
	if err == nil {
		resp.Body.Close()
		assert.NotEqual(t, http.StatusOK, resp.StatusCode)
	}
}

func TestConnectTunnel(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "tls ok") }))
	defer ts.Close()
	u, _ := url.Parse(ts.URL)
	p := start(t, Config{AllowHostPorts: []string{u.Host}})
	c := client(p)
	c.Transport.(*http.Transport).TLSClientConfig = ts.Client().Transport.(*http.Transport).TLSClientConfig
	resp, err := c.Get(ts.URL)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "tls ok", string(b))
}

func TestUpgradeTunnel(t *testing.T) {
	// A minimal upgrade endpoint: answers 101 and echoes one line.
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(buf, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		buf.Flush()
		line, _ := buf.ReadString('\n')
		fmt.Fprint(conn, "echo:"+line)
	}))
	defer s.Close()
	u, _ := url.Parse(s.URL)
	p := start(t, Config{AllowHostPorts: []string{u.Host}})
	pu, _ := url.Parse(p.URL())
	c, err := net.Dial("tcp", pu.Host)
	require.NoError(t, err)
	defer c.Close()
	fmt.Fprintf(c, "GET %s/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n", s.URL, u.Host)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	fmt.Fprint(c, "ping\n")
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "echo:ping\n", line)
	assert.True(t, strings.HasPrefix(p.URL(), "http://127.0.0.1:"))
}

func TestUpstreamHTTP(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello via upstream")
	}))
	defer target.Close()
	tgt, _ := url.Parse(target.URL)
	up := testenv.NewProxy(t, "user", "s3cret")
	uu, err := ParseUpstream(up.URL())
	require.NoError(t, err)
	p := start(t, Config{Upstream: uu, AllowHostPorts: []string{tgt.Host}})

	resp, err := client(p).Get(target.URL + "/page")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "hello via upstream", string(body))
	assert.Equal(t, []string{tgt.Host}, up.Destinations(), "the page went through the upstream")

	// TLS through the upstream (CONNECT on CONNECT).
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "tls ok") }))
	defer ts.Close()
	tsu, _ := url.Parse(ts.URL)
	p2 := start(t, Config{Upstream: uu, AllowHostPorts: []string{tsu.Host}})
	c := client(p2)
	c.Transport.(*http.Transport).TLSClientConfig = ts.Client().Transport.(*http.Transport).TLSClientConfig
	resp, err = c.Get(ts.URL)
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "tls ok", string(body))
	assert.Contains(t, up.Destinations(), tsu.Host)
}

// TestUpstreamStillGuarded: the guard checks destinations before the
// upstream is asked, and upstream failures are reported without the
// proxy's credentials.
func TestUpstreamStillGuarded(t *testing.T) {
	up := testenv.NewProxy(t, "", "")
	uu, err := ParseUpstream(up.URL())
	require.NoError(t, err)
	p := start(t, Config{Upstream: uu})
	for _, target := range []string{"http://127.0.0.1:9/", "http://10.1.2.3/", "http://[::1]:80/", "http://localhost:8080/"} {
		resp, err := client(p).Get(target)
		require.NoError(t, err, target)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, target)
		assert.Equal(t, "1", resp.Header.Get(RefusedHeader), target)
	}
	// A name that does not resolve here is not handed to the upstream to
	// resolve (some resolvers read "0x7f000001" as 127.0.0.1).
	resp, err := client(p).Get("http://0x7f000001/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Empty(t, up.Destinations(), "refused destinations never reach the upstream")

	// An upstream that refuses (wrong credentials): 502, counted.
	strict := testenv.NewProxy(t, "user", "other")
	su, err := ParseUpstream("http://user:canary-pw@" + strict.Addr())
	require.NoError(t, err)
	var logs strings.Builder
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer target.Close()
	tgt, _ := url.Parse(target.URL)
	p2 := start(t, Config{Upstream: su, AllowHostPorts: []string{tgt.Host}, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	resp, err = client(p2).Get(target.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.NotContains(t, string(body)+logs.String(), "canary-pw")
	assert.Equal(t, int64(1), p2.Stats().Failed)
}

func TestUpstreamSOCKS5(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "via socks") }))
	defer target.Close()
	tgt, _ := url.Parse(target.URL)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var seen []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				addr, err := socks5Accept(c)
				if err != nil {
					c.Close()
					return
				}
				mu.Lock()
				seen = append(seen, addr)
				mu.Unlock()
				up, err := net.Dial("tcp", addr)
				if err != nil {
					c.Close()
					return
				}
				pipe(up, c)
			}()
		}
	}()
	defer func() { ln.Close(); <-done }()
	uu, err := ParseUpstream("socks5://u:p@" + ln.Addr().String())
	require.NoError(t, err)
	p := start(t, Config{Upstream: uu, AllowHostPorts: []string{tgt.Host}})
	resp, err := client(p).Get(target.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "via socks", string(body))
	mu.Lock()
	assert.Equal(t, []string{tgt.Host}, seen)
	mu.Unlock()
}

// socks5Accept serves the SOCKS5 handshake (user/password accepted as
// given) and returns the requested address.
func socks5Accept(c net.Conn) (string, error) {
	r := bufio.NewReader(c)
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return "", err
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(r, methods); err != nil {
		return "", err
	}
	if _, err := c.Write([]byte{5, 2}); err != nil { // user/password
		return "", err
	}
	ver := make([]byte, 2)
	if _, err := io.ReadFull(r, ver); err != nil {
		return "", err
	}
	user := make([]byte, ver[1])
	io.ReadFull(r, user)
	pl, _ := r.ReadByte()
	pw := make([]byte, pl)
	io.ReadFull(r, pw)
	if _, err := c.Write([]byte{1, 0}); err != nil {
		return "", err
	}
	req := make([]byte, 4)
	if _, err := io.ReadFull(r, req); err != nil {
		return "", err
	}
	var host string
	switch req[3] {
	case 1:
		ip := make([]byte, 4)
		io.ReadFull(r, ip)
		host = net.IP(ip).String()
	case 3:
		n, _ := r.ReadByte()
		name := make([]byte, n)
		io.ReadFull(r, name)
		host = string(name)
	default:
		return "", fmt.Errorf("address type %d", req[3])
	}
	pb := make([]byte, 2)
	io.ReadFull(r, pb)
	if _, err := c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0}); err != nil {
		return "", err
	}
	return net.JoinHostPort(host, fmt.Sprint(int(pb[0])<<8|int(pb[1]))), nil
}

func TestParseUpstream(t *testing.T) {
	for _, ok := range []string{"http://p:3128", "https://user:pw@p.example", "socks5://127.0.0.1:1080", "socks5h://p"} {
		_, err := ParseUpstream(ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"ftp://p", "p:3128", "http://", "://x", "socks4://p"} {
		_, err := ParseUpstream(bad)
		assert.Error(t, err, bad)
	}
}

// TestGuardUpstream: an upstream from untrusted input is itself checked:
// one on a private address is refused (403, never dialled) unless allowed.
func TestGuardUpstream(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer target.Close()
	tgt, _ := url.Parse(target.URL)
	sentinel := testenv.NewSentinel(t, "")
	for _, scheme := range []string{"http", "socks5"} {
		uu, err := ParseUpstream(scheme + "://" + sentinel.Addr())
		require.NoError(t, err)
		p := start(t, Config{Upstream: uu, GuardUpstream: true, AllowHostPorts: []string{tgt.Host}})
		resp, err := client(p).Get(target.URL)
		require.NoError(t, err, scheme)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, scheme)
		assert.Equal(t, "1", resp.Header.Get(RefusedHeader), scheme)
	}
	assert.Zero(t, sentinel.Hits(), "the private upstream was never dialled")

	// Allowed explicitly, it is used.
	up := testenv.NewProxy(t, "", "")
	uu, err := ParseUpstream(up.URL())
	require.NoError(t, err)
	p := start(t, Config{Upstream: uu, GuardUpstream: true, AllowHostPorts: []string{tgt.Host, up.Addr()}})
	resp, err := client(p).Get(target.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{tgt.Host}, up.Destinations())
}
