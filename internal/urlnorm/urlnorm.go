// Package urlnorm normalises URLs so that addresses of the same page
// compare equal, for crawl deduplication and cache keys.
package urlnorm

import (
	"net/url"
	"path"
	"sort"
	"strings"
)

// Normalize returns the normal form of an absolute http(s) URL:
//   - scheme and host lower-cased, a trailing dot of the host removed;
//   - the default port (80 for http, 443 for https) removed;
//   - the fragment removed;
//   - dot segments of the path resolved and an empty path made "/"; a
//     trailing slash is kept as given, since servers may tell /a from /a/;
//   - query parameters sorted by key (stable for repeated keys), an empty
//     query removed;
//   - percent-encoding made canonical by re-encoding.
//
// It returns false for anything that is not an absolute http(s) URL.
func Normalize(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", false
	}
	return NormalizeURL(u)
}

// NormalizeURL is Normalize for a parsed URL. u is not modified.
func NormalizeURL(in *url.URL) (string, bool) {
	if in == nil {
		return "", false
	}
	u := *in
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, "..") {
		return "", false
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || strings.HasPrefix(host, ".") {
		return "", false
	}
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		u.Host = host + ":" + port
	} else {
		u.Host = host
	}
	u.Fragment, u.RawFragment = "", ""
	u.User = nil
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	trailing := strings.HasSuffix(p, "/")
	p = path.Clean(p)
	if trailing && p != "/" {
		p += "/"
	}
	if dp, err := url.PathUnescape(p); err == nil {
		u.Path = dp
		u.RawPath = ""
		if strings.Contains(strings.ToUpper(p), "%2F") {
			// An encoded slash carries meaning: keep the original escaping.
			u.RawPath = p
		}
	}
	u.ForceQuery = false
	if u.RawQuery != "" {
		u.RawQuery = sortQuery(u.RawQuery)
	}
	return u.String(), true
}

// sortQuery re-encodes each pair of a raw query canonically and sorts the
// pairs by key, keeping the order of repeated keys. Empty pairs are
// dropped.
func sortQuery(raw string) string {
	var pairs []string
	for _, p := range strings.Split(raw, "&") {
		k, v, hasV := strings.Cut(p, "=")
		k, v = canonQuery(k), canonQuery(v)
		switch {
		case k == "" && v == "":
			continue
		case hasV:
			pairs = append(pairs, k+"="+v)
		default:
			pairs = append(pairs, k)
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return key(pairs[i]) < key(pairs[j]) })
	return strings.Join(pairs, "&")
}

// canonQuery returns the canonical escaping of one query key or value.
func canonQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return url.QueryEscape(u)
	}
	return url.QueryEscape(s) // malformed escapes are escaped as text
}

func key(pair string) string {
	if i := strings.IndexByte(pair, '='); i >= 0 {
		return pair[:i]
	}
	return pair
}
