package extract

import (
	"bytes"
	"net/url"
	"strings"
)

// Most references a page holds are plain: an absolute http(s) URL or a
// path, made of characters that net/url leaves as they are. resolveSimple
// resolves those with string operations, giving exactly what
//
//	u, _ := url.Parse(ref)
//	base.ResolveReference(u).String()
//
// gives, without the three allocations per step of url.Parse,
// ResolveReference and String (a page resolves hundreds of links, and in
// WebAssembly allocation costs several times what it does natively).
// Anything else, or a base that is not plain, reports false and goes
// through net/url. FuzzResolveSimple holds the two to the same results.

// Character classes of plain references.
const (
	refPath    = 1 << iota // kept as is in a path
	refFrag                // kept as is in a fragment
	refHost                // a host name's letters, digits, '.' and '-'
	refQuery               // kept as is in a query
	refEscaped             // what url.URL.EscapedPath leaves as is in a path it escapes
)

var refChars = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		alnum := 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
		if alnum || b == '.' || b == '-' {
			t[c] |= refHost
		}
		if alnum || strings.IndexByte("-._~!$&'()*+,;=:@/", b) >= 0 {
			t[c] |= refPath | refFrag
		}
		if b == '?' {
			t[c] |= refFrag
		}
		// '!', '\'', '(', ')' and '*' survive in a path as written (net/url
		// keeps it as RawPath) but not in one it escapes itself.
		if alnum || strings.IndexByte("-._~$&+,;=:@/", b) >= 0 {
			t[c] |= refEscaped
		}
		if 0x20 <= b && b < 0x7f {
			t[c] |= refQuery
		}
	}
	return t
}()

// plainChars reports whether every byte of s is of class class.
func plainChars(s string, class uint8) bool {
	for i := 0; i < len(s); i++ {
		if refChars[s[i]]&class == 0 {
			return false
		}
	}
	return true
}

// plainHost reports whether h is a host name, optionally with a port of
// digits, that net/url neither rejects nor escapes; it returns the name
// without the port.
func plainHost(h string) (string, bool) {
	name, port, hasPort := strings.Cut(h, ":")
	if name == "" || !plainChars(name, refHost) {
		return "", false
	}
	if hasPort {
		if port == "" {
			return "", false
		}
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return "", false
			}
		}
	}
	return name, true
}

// plainBase reports whether base is an http(s) URL that resolveSimple can
// resolve against: a plain host, a plain path and nothing else unusual.
func plainBase(base *url.URL) bool {
	if base == nil || base.Scheme != "http" && base.Scheme != "https" ||
		base.User != nil || base.Opaque != "" || base.RawPath != "" || base.OmitHost {
		return false
	}
	if _, ok := plainHost(base.Host); !ok {
		return false
	}
	return base.Path == "" || base.Path[0] == '/' && plainChars(base.Path, refEscaped)
}

// resolvedRef is a reference resolved against a page's URL.
type resolvedRef struct {
	url      string // as url.URL.String writes it
	web      bool   // an http(s) URL with a host
	hostname string // its host without the port, if web
	samePage bool   // it is the base itself plus a fragment
}

// resolveURL resolves the (cleaned) reference ref against base as
// url.Parse, ResolveReference (when base is known) and String do; ok is
// false when ref does not parse. Plain references against a plain base
// take resolveSimple's path, without net/url.
func resolveURL(base *url.URL, ref string) (r resolvedRef, ok bool) {
	if plainBase(base) {
		if r, ok := resolveSimple(base, ref); ok {
			return r, true
		}
	}
	u, err := url.Parse(ref)
	if err != nil {
		return r, false
	}
	if baseKnown(base) {
		u = base.ResolveReference(u)
		r.samePage = u.Fragment != "" && u.Scheme == base.Scheme && u.Host == base.Host && u.Path == base.Path && u.RawQuery == base.RawQuery
	}
	r.url = u.String()
	if r.web = (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""; r.web {
		r.hostname = u.Hostname()
	}
	return r, true
}

// resolveSimple resolves ref against base, which must be plain
// (plainBase), if ref is plain. ok is false otherwise: the caller then
// uses net/url.
func resolveSimple(base *url.URL, ref string) (r resolvedRef, ok bool) {
	rest, frag, _ := strings.Cut(ref, "#")
	if !plainChars(frag, refFrag) {
		return r, false
	}
	rest, query, hasQuery := strings.Cut(rest, "?")
	if !plainChars(query, refQuery) || !plainChars(rest, refPath) {
		return r, false
	}
	scheme, host, path := base.Scheme, base.Host, ""
	abs, asIs := true, false // absolute; its path needs no normalising
	switch {
	case strings.HasPrefix(rest, "https://"):
		scheme, rest = "https", rest[len("https://"):]
	case strings.HasPrefix(rest, "http://"):
		scheme, rest = "http", rest[len("http://"):]
	default:
		abs = false
	}
	if abs {
		// An absolute URL: host, then a path to normalise.
		host, path = rest, ""
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			host, path = rest[:i], rest[i:]
		}
		raw := path
		path = resolvePath(path, "")
		asIs = path == raw
	} else {
		// A path, absolute or relative. "//host" and "///x" are not
		// paths to net/url; a colon in the first segment makes a scheme
		// or an error.
		if rest == "" || strings.HasPrefix(rest, "//") {
			return r, false
		}
		if seg, _, _ := strings.Cut(rest, "/"); strings.IndexByte(seg, ':') >= 0 {
			return r, false
		}
		path = resolvePath(base.Path, rest)
	}
	hostname, ok := plainHost(host)
	if !ok {
		return r, false
	}
	r.web, r.hostname = true, hostname
	r.samePage = frag != "" && scheme == base.Scheme && host == base.Host && path == base.Path && query == base.RawQuery
	n := len(scheme) + 3 + len(host) + len(path)
	if hasQuery {
		n += 1 + len(query)
	}
	if frag != "" {
		n += 1 + len(frag)
	}
	if asIs && n == len(ref) {
		// The same parts in the same order (the path had nothing to
		// normalise, no empty fragment was dropped): the URL is ref.
		r.url = ref
		return r, true
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	b.WriteString(path)
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(query)
	}
	if frag != "" {
		b.WriteByte('#')
		b.WriteString(frag)
	}
	r.url = b.String()
	return r, true
}

// resolvePath is RFC 3986's merge of a reference's path into the base's,
// with dot segments removed, exactly as net/url does it: ref relative to
// base's directory, or ref alone if it starts with '/', or base alone if
// ref is empty. The result starts with '/' unless both are empty.
func resolvePath(base, ref string) string {
	full := ref
	switch {
	case ref == "":
		full = base
	case ref[0] != '/':
		full = base[:strings.LastIndexByte(base, '/')+1] + ref
	}
	if full == "" {
		return ""
	}
	// Nothing to remove: the path is its own result.
	if full[0] == '/' && !hasDotSegment(full) {
		return full
	}
	dst := make([]byte, 0, len(full)+1)
	dst = append(dst, '/')
	var elem string
	remaining, found, first := full, true, true
	for found {
		elem, remaining, found = strings.Cut(remaining, "/")
		switch elem {
		case ".":
			first = false
		case "..":
			if i := bytes.LastIndexByte(dst[1:], '/'); i >= 0 {
				dst = dst[:i+1]
			} else {
				dst = dst[:1]
			}
			first = len(dst) == 1
		default:
			if !first {
				dst = append(dst, '/')
			}
			dst = append(dst, elem...)
			first = false
		}
	}
	if elem == "." || elem == ".." {
		dst = append(dst, '/')
	}
	if len(dst) > 1 && dst[1] == '/' {
		return string(dst[1:])
	}
	return string(dst)
}

// hasDotSegment reports whether the path p has a "." or ".." segment.
func hasDotSegment(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '.' || i > 0 && p[i-1] != '/' {
			continue
		}
		j := i + 1
		if j < len(p) && p[j] == '.' {
			j++
		}
		if j == len(p) || p[j] == '/' {
			return true
		}
	}
	return false
}
