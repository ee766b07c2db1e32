package netguard_test

import (
	"context"
	"errors"
	"github.com/riptide-go/riptide/internal/testenv"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/riptide-go/riptide/internal/netguard"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCheckAddr(t *testing.T) {
	cases := []struct {
		addr    string
		blocked bool
		reason  string
	}{
		{"127.0.0.1", true, "loopback"},
		{"127.255.255.254", true, "loopback"},
		{"10.1.2.3", true, "rfc1918"},
		{"172.16.0.1", true, "rfc1918"},
		{"172.31.255.255", true, "rfc1918"},
		{"192.168.1.1", true, "rfc1918"},
		{"100.64.0.1", true, "cgnat"},
		{"100.100.100.200", true, "cgnat"},
		{"169.254.169.254", true, "link-local"},
		{"0.0.0.0", true, "this network"},
		{"0.1.2.3", true, "this network"},
		{"198.18.0.1", true, "benchmarking"},
		{"198.19.255.255", true, "benchmarking"},
		{"224.0.0.1", true, "multicast"},
		{"239.255.255.250", true, "multicast"},
		{"240.0.0.1", true, "reserved"},
		{"255.255.255.255", true, "reserved"},
		{"192.0.2.1", true, "documentation"},
		{"198.51.100.7", true, "documentation"},
		{"203.0.113.9", true, "documentation"},
		{"192.0.0.170", true, "ietf protocol assignments"},
		{"168.63.129.16", true, "azure metadata"},
		{"::1", true, "loopback"},
		{"::", true, "unspecified"},
		{"fe80::1", true, "link-local"},
		{"febf::1", true, "link-local"},
		{"fc00::1", true, "unique local"},
		{"fd00:ec2::254", true, "unique local"},
		{"ff02::1", true, "multicast"},
		{"2001:db8::1", true, "documentation"},
		{"::ffff:127.0.0.1", true, "ipv4-mapped loopback"},
		{"::ffff:169.254.169.254", true, "ipv4-mapped link-local"},
		{"::ffff:8.8.8.8", true, "ipv4-mapped"},
		{"64:ff9b::a9fe:a9fe", true, "nat64"},
		{"64:ff9b:1::1", true, "nat64 local-use"},
		{"2002:7f00:1::1", true, "6to4"},
		{"2001::1", true, "teredo"},
		{"::127.0.0.1", true, "ipv4-compatible"},
		{"::7f00:1", true, "ipv4-compatible"},
		{"fec0::1", true, "site-local"},
		{"100::1", true, "discard-only"},
		{"4000::1", true, "not global unicast"},
		{"8.8.8.8", false, ""},
		{"1.1.1.1", false, ""},
		{"100.63.255.255", false, ""},
		{"100.128.0.0", false, ""},
		{"172.32.0.1", false, ""},
		{"2606:4700:4700::1111", false, ""},
		{"2a00:1450:4001::1", false, ""},
	}
	for _, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			err := netguard.CheckAddr(netip.MustParseAddr(c.addr))
			if !c.blocked {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, netguard.ErrBlocked)
			be, ok := errors.AsType[*netguard.BlockedError](err)
			require.True(t, ok)
			assert.Equal(t, c.reason, be.Reason)
		})
	}
	assert.ErrorIs(t, netguard.CheckAddr(netip.Addr{}), netguard.ErrBlocked)
	assert.ErrorIs(t, netguard.CheckAddr(netip.MustParseAddr("fe80::1%eth0")), netguard.ErrBlocked)
}

func TestParseURL(t *testing.T) {
	cases := []struct {
		raw  string
		want string // canonical form; empty when an error is expected
		err  error
	}{
		{"http://example.com", "http://example.com/", nil},
		{"HTTPS://Example.COM:443/a?b=c#frag", "https://example.com/a?b=c", nil},
		{"http://example.com:80/", "http://example.com/", nil},
		{"http://example.com:8080/x", "http://example.com:8080/x", nil},
		{"http://example.com./", "http://example.com/", nil},
		{"http://bücher.example/", "http://xn--bcher-kva.example/", nil},
		{"http://ＥＸＡＭＰＬＥ.com/", "http://example.com/", nil},
		{"http://my_host.example/", "http://my_host.example/", nil},
		{"http://8.8.8.8/", "http://8.8.8.8/", nil},
		{"http://134744072/", "http://8.8.8.8/", nil},
		{"http://0x8.0x8.0x8.0x8/", "http://8.8.8.8/", nil},
		{"http://[2606:4700:4700:0::1111]/", "http://[2606:4700:4700::1111]/", nil},
		// Numeric host forms browsers read as 127.0.0.1.
		{"http://2130706433/", "", netguard.ErrBlocked},
		{"http://0x7f.1/", "", netguard.ErrBlocked},
		{"http://0177.0.0.1/", "", netguard.ErrBlocked},
		{"http://127.1/", "", netguard.ErrBlocked},
		{"http://0x7f000001/", "", netguard.ErrBlocked},
		{"http://127.0.0.1./", "", netguard.ErrBlocked},
		{"http://0/", "", netguard.ErrBlocked},
		{"http://１２７.０.０.１/", "", netguard.ErrBlocked},
		{"http://127。0。0。1/", "", netguard.ErrBlocked},
		{"http://[::1]/", "", netguard.ErrBlocked},
		{"http://[::ffff:127.0.0.1]/", "", netguard.ErrBlocked},
		{"http://[::ffff:7f00:1]/", "", netguard.ErrBlocked},
		{"http://[0:0:0:0:0:0:0:1]/", "", netguard.ErrBlocked},
		{"http://169.254.169.254/latest/meta-data/", "", netguard.ErrBlocked},
		{"http://localhost:8080/", "", netguard.ErrBlocked},
		{"http://LocalHost./", "", netguard.ErrBlocked},
		{"http://admin.localhost/", "", netguard.ErrBlocked},
		{"http://localhost.example/", "http://localhost.example/", nil},
		// Tricks.
		{`http://127.0.0.1:6666\@1.1.1.1`, "", netguard.ErrInvalidURL},
		{"http://user:pass@example.com/", "", netguard.ErrInvalidURL},
		{"http://user@example.com/", "", netguard.ErrInvalidURL},
		{"http://example.com@127.0.0.1/", "", netguard.ErrInvalidURL},
		{"http://%31%32%37.0.0.1/", "", netguard.ErrInvalidURL},
		{"http://[fe80::1%25eth0]/", "", netguard.ErrInvalidURL},
		{"http://exa mple.com/", "", netguard.ErrInvalidURL},
		{"http://example.com/\x00", "", netguard.ErrInvalidURL},
		{"http://example.com/\t", "", netguard.ErrInvalidURL},
		{" http://example.com/", "", netguard.ErrInvalidURL},
		{"http:///path", "", netguard.ErrInvalidURL},
		{"http:example.com", "", netguard.ErrInvalidURL},
		{"http://example.com:0/", "", netguard.ErrInvalidURL},
		{"http://example.com:65536/", "", netguard.ErrInvalidURL},
		{"http://example.com:99999999999999999999/", "", netguard.ErrInvalidURL},
		{"http://1.2.3.4.5/", "", netguard.ErrInvalidURL},
		{"http://foo.123/", "", netguard.ErrInvalidURL},
		{"http://256.256.256.256/", "", netguard.ErrInvalidURL},
		{"http://0x100000000/", "", netguard.ErrInvalidURL},
		// WHATWG IPv4 parser corner cases.
		{"http://4294967296/", "", netguard.ErrInvalidURL},
		{"http://0x100.2.3.4/", "", netguard.ErrInvalidURL},
		{"http://1.2.0x30000/", "", netguard.ErrInvalidURL},
		{"http://foo.0x4/", "", netguard.ErrInvalidURL},
		{"http://08/", "", netguard.ErrInvalidURL},
		{"http://1.2.3.4../", "", netguard.ErrInvalidURL},
		{"http://0xffffffff/", "", netguard.ErrBlocked},
		{"http://0x/", "", netguard.ErrBlocked},
		{"http://0X7F.0.0.1/", "", netguard.ErrBlocked},
		{"http://8.8.2056/", "http://8.8.8.8/", nil},
		{"http://8.526344/", "http://8.8.8.8/", nil},
		{"http://010.010.010.010/", "http://8.8.8.8/", nil},
		{"http://8.8.8.8./", "http://8.8.8.8/", nil},
		{"http://0x8.8.8.0x8/", "http://8.8.8.8/", nil},
		{"http://1.2.3.4.example/", "http://1.2.3.4.example/", nil},
		{"http://0x7f.example/", "http://0x7f.example/", nil},
		{"http://a..b/", "", netguard.ErrInvalidURL},
		{"/relative", "", netguard.ErrInvalidURL},
		{"", "", netguard.ErrInvalidURL},
		{"file:///etc/passwd", "", netguard.ErrScheme},
		{"javascript:alert(1)", "", netguard.ErrScheme},
		{"data:text/html,hi", "", netguard.ErrScheme},
		{"ftp://example.com/", "", netguard.ErrScheme},
		{"ws://example.com/", "", netguard.ErrScheme},
		{"gopher://127.0.0.1:6379/_", "", netguard.ErrScheme},
	}
	for _, c := range cases {
		t.Run(c.raw, func(t *testing.T) {
			u, err := netguard.ParseURL(c.raw)
			if c.err != nil {
				require.ErrorIs(t, err, c.err)
				assert.Nil(t, u)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, u.String())
		})
	}
}

func TestCanonicalURLAcceptsPrivateLiterals(t *testing.T) {
	u, err := netguard.CanonicalURL("http://2130706433:8080/x")
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080/x", u.String())
	_, err = netguard.CanonicalURL("http://u:p@127.0.0.1/")
	assert.ErrorIs(t, err, netguard.ErrInvalidURL)
}

func TestBlockedErrorMessageIsLowerCase(t *testing.T) {
	_, err := netguard.ParseURL("http://10.0.0.1/")
	require.Error(t, err)
	assert.Equal(t, strings.ToLower(err.Error()), err.Error())
	assert.Contains(t, err.Error(), "10.0.0.1")
}

func staticResolver(m map[string][]string) netguard.ResolveFunc {
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

func TestDialerRefusesBlockedTargets(t *testing.T) {
	s := testenv.NewSentinel(t, "")
	p := s.Port()
	d := &netguard.Dialer{
		Timeout: time.Second,
		Resolver: staticResolver(map[string][]string{
			"loopback.test": {"127.0.0.1"},
			"mixed.test":    {"8.8.8.8", "127.0.0.1"},
			"mapped.test":   {"::ffff:127.0.0.1"},
			"v6.test":       {"::1"},
			"meta.test":     {"169.254.169.254"},
		}),
	}
	for _, addr := range []string{
		"127.0.0.1:" + p, "[::1]:" + p, "[::ffff:127.0.0.1]:" + p, "localhost:" + p,
		"loopback.test:" + p, "mixed.test:" + p, "mapped.test:" + p, "v6.test:" + p, "meta.test:" + p,
	} {
		t.Run(addr, func(t *testing.T) {
			d := *d
			if addr == "localhost:"+p {
				d.Resolver = nil // the system resolver
			}
			conn, err := d.DialContext(context.Background(), "tcp", addr)
			if conn != nil {
				_ = conn.Close()
			}
			require.ErrorIs(t, err, netguard.ErrBlocked)
		})
	}
	assert.Zero(t, s.Hits(), "sentinel was reached")
}

func TestDialerRebinding(t *testing.T) {
	// The allowed "public" server lives on 127.0.0.2 and is allowed by an
	// explicit single-address allow-list; the sentinel on 127.0.0.1 stands
	// for the internal target a rebinding name flips to.
	s := testenv.NewSentinel(t, "")
	public, err := net.Listen("tcp", "127.0.0.2:"+s.Port())
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2 with the sentinel's port: %v", err)
	}
	accepted := make(chan struct{}, 16)
	go func() {
		for {
			c, err := public.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			_ = c.Close()
		}
	}()
	defer public.Close()

	var calls atomic.Int64
	d := &netguard.Dialer{
		Timeout: time.Second,
		Allow:   []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")},
		Resolver: func(context.Context, string) ([]netip.Addr, error) {
			// TTL 0: public on odd lookups, internal on even ones.
			if calls.Add(1)%2 == 1 {
				return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
			}
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		},
	}
	for i := range 6 {
		conn, err := d.DialContext(context.Background(), "tcp", "rebind.test:"+s.Port())
		if i%2 == 0 {
			require.NoError(t, err)
			_ = conn.Close()
			<-accepted
		} else {
			require.ErrorIs(t, err, netguard.ErrBlocked)
		}
	}
	assert.Equal(t, int64(6), calls.Load(), "one resolution per dial")
	assert.Zero(t, s.Hits(), "sentinel was reached")
}

func TestDialerAllowPrivate(t *testing.T) {
	s := testenv.NewSentinel(t, "")
	d := &netguard.Dialer{AllowPrivate: true, Timeout: time.Second}
	conn, err := d.DialContext(context.Background(), "tcp", s.Addr())
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	require.Eventually(t, func() bool { return s.Hits() == 1 }, 5*time.Second, 5*time.Millisecond)
}

func TestDialerErrors(t *testing.T) {
	d := &netguard.Dialer{Resolver: staticResolver(nil)}
	_, err := d.DialContext(context.Background(), "udp", "8.8.8.8:53")
	assert.Error(t, err)
	_, err = d.DialContext(context.Background(), "tcp", "no-port")
	assert.Error(t, err)
	_, err = d.DialContext(context.Background(), "tcp", "missing.test:80")
	var dnsErr *net.DNSError
	assert.ErrorAs(t, err, &dnsErr)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d = &netguard.Dialer{Resolver: staticResolver(map[string][]string{"x.test": {"8.8.8.8"}})}
	_, err = d.DialContext(ctx, "tcp", "x.test:80")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = d.DialContext(context.Background(), "tcp6", "x.test:80")
	assert.Error(t, err)
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"http://example.com/", "https://a.b/c?d#e", "http://2130706433/", "http://0x7f.1/",
		"http://[::ffff:127.0.0.1]/", `http://127.0.0.1:6666\@1.1.1.1`, "http://bücher.example/",
		"http://1.2.3.4.5/", "http://a.b:8080//x/../y?%zz", "HTTP://EXAMPLE.com:80",
		"http://0300.0250.0.1/", "http://[2001:db8::1]/", "http://x.test/%2F..%2F",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := netguard.ParseURL(raw)
		if err != nil {
			return
		}
		// Never a private literal.
		if ip, perr := netip.ParseAddr(u.Hostname()); perr == nil {
			if netguard.CheckAddr(ip) != nil {
				t.Fatalf("accepted blocked literal %s from %q", ip, raw)
			}
		}
		// The canonical form re-parses to itself.
		s := u.String()
		again, err := netguard.ParseURL(s)
		if err != nil {
			t.Fatalf("canonical %q of %q does not re-parse: %v", s, raw, err)
		}
		if again.String() != s {
			t.Fatalf("canonical %q of %q re-parses to %q", s, raw, again.String())
		}
		// And the standard library reads the same host.
		std, err := url.Parse(s)
		if err != nil || std.Host != u.Host {
			t.Fatalf("net/url reads %q differently: %v", s, err)
		}
	})
}
