// Package netguard is riptide's SSRF guard: it decides which IP addresses
// may be dialled, parses and canonicalises target URLs the way browsers
// read them, and provides a dialer that checks every address it connects
// to, on the resolved IP, so that DNS rebinding cannot slip past it.
//
// The guard is shared by every egress path (the HTTP fetcher, the Chromium
// egress proxy, the crawler). URL checks are a first pass only; the
// [Dialer] is the enforcement point.
package netguard

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Sentinel errors, tested with [errors.Is].
var (
	// ErrBlocked reports an address (or a URL naming one) that the guard
	// refuses to connect to.
	ErrBlocked = errors.New("netguard: blocked address")
	// ErrScheme reports a URL whose scheme is not http or https.
	ErrScheme = errors.New("netguard: scheme not allowed")
	// ErrInvalidURL reports a URL that cannot be parsed or is ambiguous.
	ErrInvalidURL = errors.New("netguard: invalid url")
)

// BlockedError is the error returned for a refused address. It matches
// [ErrBlocked] with [errors.Is].
type BlockedError struct {
	// Host is the name that resolved to Addr, or empty for a literal.
	Host string
	// Addr is the refused address; invalid when a name was refused as such
	// (see CheckHost).
	Addr netip.Addr
	// Reason names the range Addr belongs to ("loopback", "rfc1918", ...).
	Reason string
}

func (e *BlockedError) Error() string {
	if !e.Addr.IsValid() {
		return fmt.Sprintf("netguard: blocked host %q (%s)", e.Host, e.Reason)
	}
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("netguard: blocked address %s (%s) for host %q", e.Addr, e.Reason, e.Host)
	}
	return fmt.Sprintf("netguard: blocked address %s (%s)", e.Addr, e.Reason)
}

// Is reports whether target is [ErrBlocked].
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

type blockedRange struct {
	prefix netip.Prefix
	reason string
}

func mustPrefixes(rows [][2]string) []blockedRange {
	out := make([]blockedRange, 0, len(rows))
	for _, r := range rows {
		out = append(out, blockedRange{prefix: netip.MustParsePrefix(r[0]), reason: r[1]})
	}
	return out
}

// blocked4 lists the IPv4 ranges that are not globally reachable, after
// the IANA IPv4 Special-Purpose Address Registry, plus cloud metadata
// endpoints that sit in otherwise public space.
var blocked4 = mustPrefixes([][2]string{
	{"0.0.0.0/8", "this network"},
	{"10.0.0.0/8", "rfc1918"},
	{"100.64.0.0/10", "cgnat"},
	{"127.0.0.0/8", "loopback"},
	{"169.254.0.0/16", "link-local"},
	{"172.16.0.0/12", "rfc1918"},
	{"192.0.0.0/24", "ietf protocol assignments"},
	{"192.0.2.0/24", "documentation"},
	{"192.31.196.0/24", "as112"},
	{"192.52.193.0/24", "amt"},
	{"192.88.99.0/24", "6to4 relay anycast"},
	{"192.168.0.0/16", "rfc1918"},
	{"192.175.48.0/24", "as112"},
	{"198.18.0.0/15", "benchmarking"},
	{"198.51.100.0/24", "documentation"},
	{"203.0.113.0/24", "documentation"},
	{"224.0.0.0/4", "multicast"},
	{"240.0.0.0/4", "reserved"},
	{"255.255.255.255/32", "broadcast"},
	{"168.63.129.16/32", "azure metadata"},
})

// blocked6 lists the IPv6 ranges that are refused. Anything outside the
// global unicast block 2000::/3 is refused as well (see CheckAddr).
var blocked6 = mustPrefixes([][2]string{
	{"::1/128", "loopback"},
	{"::/128", "unspecified"},
	{"::ffff:0:0/96", "ipv4-mapped"},
	{"::/96", "ipv4-compatible"},
	{"64:ff9b::/96", "nat64"},
	{"64:ff9b:1::/48", "nat64 local-use"},
	{"100::/64", "discard-only"},
	{"2001::/32", "teredo"},
	{"2001:2::/48", "benchmarking"},
	{"2001:10::/28", "orchid"},
	{"2001:20::/28", "orchidv2"},
	{"2001:db8::/32", "documentation"},
	{"2002::/16", "6to4"},
	{"3fff::/20", "documentation"},
	{"5f00::/16", "srv6 sids"},
	{"fc00::/7", "unique local"},
	{"fe80::/10", "link-local"},
	{"fec0::/10", "site-local"},
	{"ff00::/8", "multicast"},
	{"fd00:ec2::254/128", "aws metadata"},
})

var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// CheckAddr returns nil when ip may be dialled, and a [*BlockedError]
// (matching [ErrBlocked]) when it belongs to a loopback, private,
// link-local, shared, documentation, multicast, reserved or translation
// range, or is a known cloud metadata address. An IPv6 address that embeds
// an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo) is refused as a
// whole; its reason names the embedded address's range when that one is
// blocked too. The zero Addr and addresses with a zone are refused.
func CheckAddr(ip netip.Addr) error {
	if reason := blockReason(ip); reason != "" {
		return &BlockedError{Addr: ip, Reason: reason}
	}
	return nil
}

func blockReason(ip netip.Addr) string {
	if !ip.IsValid() {
		return "invalid"
	}
	if ip.Zone() != "" {
		return "zoned"
	}
	if ip.Is4() {
		for _, r := range blocked4 {
			if r.prefix.Contains(ip) {
				return r.reason
			}
		}
		return ""
	}
	// Embedded IPv4 (mapped or compatible): say what the inner address is.
	if ip.Is4In6() {
		if inner := blockReason(ip.Unmap()); inner != "" {
			return "ipv4-mapped " + inner
		}
		return "ipv4-mapped"
	}
	for _, r := range blocked6 {
		if r.prefix.Contains(ip) {
			return r.reason
		}
	}
	if !globalUnicast6.Contains(ip) {
		return "not global unicast"
	}
	return ""
}

// CheckHost refuses host names that always mean the local machine
// (RFC 6761: "localhost" and names under ".localhost"), which browsers
// resolve to loopback without asking DNS. Other names pass; their
// addresses are checked when they are dialled.
func CheckHost(host string) error {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return &BlockedError{Host: host, Reason: "local name"}
	}
	return nil
}
