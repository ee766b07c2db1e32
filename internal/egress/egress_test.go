package egress

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
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
