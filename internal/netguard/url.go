package netguard

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// idnaProfile maps hosts the way browsers do (UTS #46 non-transitional
// processing, case folding, full-width forms) but, unlike idna.Lookup,
// tolerates underscores, which real host names carry; ParseURL checks the
// resulting characters itself.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
)

// maxURLLen bounds the URLs ParseURL accepts.
const maxURLLen = 8 << 10

// ParseURL parses raw as an http or https URL and returns its canonical
// form. It refuses other schemes ([ErrScheme]); userinfo, backslashes,
// control characters, whitespace, percent-encoded hosts, empty hosts and
// ports out of range ([ErrInvalidURL]); and literal IP hosts that
// [CheckAddr] refuses and local names that [CheckHost] refuses
// ([ErrBlocked]).
//
// Host names are read the way the WHATWG URL standard (and so every
// browser) reads them: internationalised names are mapped and converted to
// punycode, and names that end in a number are parsed as IPv4 addresses
// in any of the legacy forms (2130706433, 0x7f.1, 0177.0.0.1, 127.1), so
// that the guard checks the address a browser would actually connect to.
//
// The canonical URL has a lower-case scheme and host, no default port, a
// non-empty path and no fragment; it re-parses to itself.
func ParseURL(raw string) (*url.URL, error) {
	u, ip, err := parse(raw)
	if err != nil {
		return nil, err
	}
	if ip.IsValid() {
		if err := CheckAddr(ip); err != nil {
			return nil, err
		}
	} else if err := CheckHost(u.Hostname()); err != nil {
		return nil, err
	}
	return u, nil
}

// CanonicalURL is [ParseURL] without the address check: it validates and
// canonicalises raw but accepts private literal IP hosts. It is meant for
// callers that opted in to private networks.
func CanonicalURL(raw string) (*url.URL, error) {
	u, _, err := parse(raw)
	return u, err
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidURL}, args...)...)
}

func parse(raw string) (*url.URL, netip.Addr, error) {
	var none netip.Addr
	if raw == "" {
		return nil, none, invalid("empty")
	}
	if !utf8.ValidString(raw) {
		return nil, none, invalid("not valid utf-8")
	}
	if len(raw) > maxURLLen {
		return nil, none, invalid("longer than %d bytes", maxURLLen)
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c <= 0x20 || c == 0x7f:
			return nil, none, invalid("control character or whitespace at byte %d", i)
		case c == '\\':
			return nil, none, invalid("backslash at byte %d", i)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, none, invalid("%s", stripURL(err))
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		if scheme == "" {
			return nil, none, invalid("missing scheme")
		}
		return nil, none, fmt.Errorf("%w: %q", ErrScheme, scheme)
	}
	if u.Opaque != "" {
		return nil, none, invalid("opaque url")
	}
	if u.User != nil {
		return nil, none, invalid("userinfo not allowed")
	}
	// Work on the raw authority: url.Parse unescapes the host, which would
	// hide forms like %31%32%37.0.0.1 from us.
	authority := rawAuthority(raw)
	if strings.ContainsAny(authority, "%@") {
		return nil, none, invalid("percent-encoded or ambiguous host")
	}
	hostname, port := u.Hostname(), u.Port()
	if hostname == "" {
		return nil, none, invalid("empty host")
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return nil, none, invalid("port %q out of range", port)
		}
		port = strconv.Itoa(n)
		if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
			port = ""
		}
	}
	host, ip, err := canonicalHost(hostname, strings.HasPrefix(u.Host, "["))
	if err != nil {
		return nil, none, err
	}
	hostport := host
	if ip.Is6() {
		hostport = "[" + host + "]"
	}
	if port != "" {
		hostport += ":" + port
	}
	out := &url.URL{
		Scheme:   scheme,
		Host:     hostport,
		Path:     u.Path,
		RawPath:  u.RawPath,
		RawQuery: u.RawQuery,
	}
	if out.Path == "" {
		out.Path, out.RawPath = "/", ""
	}
	// Round-trip through the serialised form so that the returned URL is
	// exactly what it prints as.
	again, err := url.Parse(out.String())
	if err != nil {
		return nil, none, invalid("%s", stripURL(err))
	}
	again.ForceQuery = false
	return again, ip, nil
}

// rawAuthority returns the authority part of raw ("host:port"), as written.
func rawAuthority(raw string) string {
	i := strings.Index(raw, "//")
	if i < 0 {
		return ""
	}
	rest := raw[i+2:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// stripURL keeps the parser's complaint but not the URL it quotes, which
// may carry secrets.
func stripURL(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

// canonicalHost returns the canonical host name and, when the host is an
// IP address, the address.
func canonicalHost(h string, bracketed bool) (string, netip.Addr, error) {
	var none netip.Addr
	if bracketed {
		ip, err := netip.ParseAddr(h)
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", none, invalid("bad ipv6 literal")
		}
		return ip.String(), ip, nil
	}
	ascii, err := idnaProfile.ToASCII(h)
	if err != nil {
		return "", none, invalid("bad host name: %v", err)
	}
	ascii = strings.ToLower(ascii)
	// The result must be stable: a second pass gives the same name.
	if again, err := idnaProfile.ToASCII(ascii); err != nil || again != ascii {
		return "", none, invalid("unstable host name")
	}
	if ascii == "" || len(ascii) > 253 {
		return "", none, invalid("bad host name length")
	}
	if endsInNumber(ascii) {
		ip, ok := parseIPv4(ascii)
		if !ok {
			return "", none, invalid("host ends in a number but is not an ipv4 address")
		}
		return ip.String(), ip, nil
	}
	for i := 0; i < len(ascii); i++ {
		c := ascii[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "", none, invalid("bad character in host name")
		}
	}
	if strings.HasPrefix(ascii, ".") || strings.Contains(ascii, "..") {
		return "", none, invalid("empty label in host name")
	}
	// A trailing dot names the same host; drop it so that one host has one
	// spelling (cache keys, robots.txt, rate limits).
	ascii = strings.TrimSuffix(ascii, ".")
	return ascii, none, nil
}

// endsInNumber implements the WHATWG "ends in a number" checker: the last
// non-empty label is all digits, or 0x followed by hex digits.
func endsInNumber(host string) bool {
	parts := strings.Split(host, ".")
	if parts[len(parts)-1] == "" {
		if len(parts) == 1 {
			return false
		}
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if last != "" && allIn(last, "0123456789") {
		return true
	}
	_, _, ok := ipv4Number(last)
	return ok
}

func allIn(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(set, rune(s[i])) {
			return false
		}
	}
	return true
}

// ipv4Number parses one part of a WHATWG IPv4 host: 0x-prefixed hex,
// 0-prefixed octal or decimal. It reports values up to 2^32; larger ones
// give ok=false.
func ipv4Number(s string) (n uint64, hex bool, ok bool) {
	if s == "" {
		return 0, false, false
	}
	base := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base, hex = s[2:], 16, true
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	if s == "" {
		return 0, hex, true
	}
	for i := 0; i < len(s); i++ {
		var d uint64
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, hex, false
		}
		if d >= uint64(base) {
			return 0, hex, false
		}
		n = n*uint64(base) + d
		if n > 1<<32 {
			return 0, hex, false
		}
	}
	return n, hex, true
}

// parseIPv4 implements the WHATWG IPv4 parser.
func parseIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if parts[len(parts)-1] == "" && len(parts) > 1 {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, _, ok := ipv4Number(p)
		if !ok {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	for _, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		v += n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}
