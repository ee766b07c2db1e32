// Package redact removes secrets from URLs and header values before they
// reach logs, errors, events, metrics or disk.
package redact

import (
	"net/url"
	"strings"
)

// Mask replaces a secret value.
const Mask = "REDACTED"

// secretKeys are query parameter names (lower-case substrings) whose values
// are treated as secrets.
var secretKeys = []string{
	"token", "key", "secret", "password", "passwd", "pwd", "auth", "sig",
	"session", "sess", "code", "credential", "access", "jwt", "bearer", "otp",
}

// URL returns raw without userinfo and with token-like query values masked.
// A string that does not parse as a URL is returned with everything after
// the first '?' or '@' dropped, so a malformed secret never leaks whole.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?@#"); i >= 0 {
			raw = raw[:i] + "?" + Mask
		}
		return raw
	}
	return Redacted(u)
}

// Redacted is URL for a parsed URL. u is not modified.
func Redacted(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for k, vs := range q {
			if IsSecretKey(k) || anyLooksSecret(vs) {
				for i := range vs {
					vs[i] = Mask
				}
				changed = true
			}
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	c.Fragment = ""
	c.RawFragment = ""
	return c.String()
}

// IsSecretKey reports whether a query parameter or header name suggests a
// secret value.
func IsSecretKey(name string) bool {
	n := strings.ToLower(name)
	for _, k := range secretKeys {
		if strings.Contains(n, k) {
			return true
		}
	}
	return false
}

// anyLooksSecret reports whether a value looks like a credential: long and
// made of token characters with mixed letters and digits.
func anyLooksSecret(vs []string) bool {
	for _, v := range vs {
		if len(v) >= 24 && isTokenLike(v) {
			return true
		}
	}
	return false
}

func isTokenLike(v string) bool {
	var letters, digits int
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			letters++
		case r >= '0' && r <= '9':
			digits++
		case r == '-' || r == '_' || r == '.' || r == '=' || r == '+' || r == '/':
		default:
			return false
		}
	}
	return letters > 0 && digits > 0
}

// safeHeaders may be shown as they are; every other header value is masked.
var safeHeaders = map[string]bool{
	"accept": true, "accept-language": true, "accept-encoding": true,
	"content-type": true, "content-length": true, "user-agent": true,
	"referer": false, "cache-control": true, "if-none-match": true,
	"if-modified-since": true,
}

// Header returns the value to show for header name: the value itself for a
// small allow-list of harmless headers, Mask otherwise.
func Header(name, value string) string {
	if safeHeaders[strings.ToLower(name)] {
		return value
	}
	return Mask
}

// Text returns s with every URL in it redacted (see URL). Spacing and the
// rest of the text are kept as they are.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "://")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		start := i
		for start > 0 && !isURLBoundary(rest[start-1]) {
			start--
		}
		end := i + 3
		for end < len(rest) && !isURLBoundary(rest[end]) {
			end++
		}
		b.WriteString(rest[:start])
		b.WriteString(URL(rest[start:end]))
		rest = rest[end:]
	}
}

func isURLBoundary(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', '<', '>', '(', ')', '[', ']', ',', ';', '`':
		return true
	}
	return false
}
