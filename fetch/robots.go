package fetch

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// MaxRobotsBytes is how much of a robots.txt file is parsed; the rest is
// ignored (RFC 9309 asks for at least 500 KiB).
const MaxRobotsBytes = 500 << 10

// maxCrawlDelay caps the Crawl-delay a robots.txt file can ask for.
const maxCrawlDelay = 30 * time.Second

// Robots is a parsed robots.txt file (RFC 9309). The zero value and a nil
// *Robots allow everything. A Robots is immutable and safe for concurrent
// use.
type Robots struct {
	groups   []robotsGroup
	sitemaps []string
	// disallowAll is set for robots.txt files that could not be fetched
	// because of a server or network error.
	disallowAll bool
}

type robotsGroup struct {
	agents     []string // lower-case product tokens, "*" for any
	rules      []robotsRule
	crawlDelay time.Duration
	hasDelay   bool
}

type robotsRule struct {
	allow   bool
	pattern string // normalised
}

// robotsDisallowAll is the answer for a robots.txt that is unreachable
// because of a server error, a timeout or a network error.
var robotsDisallowAll = &Robots{disallowAll: true}

// ParseRobots parses a robots.txt body. It never fails: unknown lines and
// garbage (HTML error pages included) are ignored, a UTF-8 BOM is skipped,
// and lines may end in LF, CRLF or a lone CR. Only the first
// [MaxRobotsBytes] are read.
func ParseRobots(body []byte) *Robots {
	if len(body) > MaxRobotsBytes {
		body = body[:MaxRobotsBytes]
	}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	r := &Robots{}
	var cur *robotsGroup
	inAgents := false // the previous significant line was a user-agent
	for len(body) > 0 {
		var line []byte
		i := bytes.IndexAny(body, "\r\n")
		if i < 0 {
			line, body = body, nil
		} else {
			line = body[:i]
			if body[i] == '\r' && i+1 < len(body) && body[i+1] == '\n' {
				i++
			}
			body = body[i+1:]
		}
		if j := bytes.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		k := bytes.IndexByte(line, ':')
		if k < 0 {
			continue
		}
		key := strings.ToLower(string(bytes.TrimSpace(line[:k])))
		val := string(bytes.TrimSpace(line[k+1:]))
		switch key {
		case "user-agent", "useragent", "user agent":
			if !inAgents || cur == nil {
				r.groups = append(r.groups, robotsGroup{})
				cur = &r.groups[len(r.groups)-1]
			}
			cur.agents = append(cur.agents, agentToken(val))
			inAgents = true
		case "allow", "disallow":
			inAgents = false
			if cur == nil || val == "" {
				// Rules before any user-agent line are ignored; an empty
				// pattern matches nothing.
				continue
			}
			cur.rules = append(cur.rules, robotsRule{allow: key == "allow", pattern: normalisePath(val)})
		case "crawl-delay":
			inAgents = false
			if cur == nil {
				continue
			}
			if d, err := strconv.ParseFloat(val, 64); err == nil && d >= 0 {
				if d > maxCrawlDelay.Seconds() {
					d = maxCrawlDelay.Seconds()
				}
				cur.crawlDelay, cur.hasDelay = time.Duration(d*float64(time.Second)), true
			}
		case "sitemap", "site-map":
			if val != "" && len(r.sitemaps) < 1000 {
				r.sitemaps = append(r.sitemaps, val)
			}
		default:
			// Other records (host, clean-param, ...) end nothing and start
			// nothing.
		}
	}
	return r
}

// agentToken reduces a user-agent value to its product token, lower-case:
// "Googlebot/2.1 (+http://...)" -> "googlebot".
func agentToken(v string) string {
	v = strings.TrimSpace(v)
	if v == "*" || strings.HasPrefix(v, "* ") {
		return "*"
	}
	end := 0
	for end < len(v) {
		c := v[end]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' {
			end++
			continue
		}
		break
	}
	return strings.ToLower(v[:end])
}

// groupsFor returns the groups that apply to agent: every group naming its
// product token (merged), or else every "*" group.
func (r *Robots) groupsFor(agent string) []*robotsGroup {
	token := agentToken(agent)
	var exact, star []*robotsGroup
	for i := range r.groups {
		g := &r.groups[i]
		isExact, isStar := false, false
		for _, a := range g.agents {
			isStar = isStar || a == "*"
			isExact = isExact || (a != "" && a != "*" && a == token)
		}
		if isExact {
			exact = append(exact, g)
		}
		if isStar {
			star = append(star, g)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return star
}

// Allowed reports whether agent (a product token such as "riptide", or a
// full User-Agent string whose first token is used) may fetch path, which
// is a URL path with an optional query ("/a/b?c=d"). The longest matching
// rule wins; between an Allow and a Disallow of the same length, Allow
// wins. /robots.txt itself is always allowed.
func (r *Robots) Allowed(agent, path string) bool {
	if r == nil {
		return true
	}
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	if path == "/robots.txt" {
		return true
	}
	if r.disallowAll {
		return false
	}
	path = normalisePath(path)
	best, allowed := -1, true
	for _, g := range r.groupsFor(agent) {
		for _, rule := range g.rules {
			n := len(rule.pattern)
			if n < best || (n == best && !rule.allow) {
				continue
			}
			if matchPattern(rule.pattern, path) {
				best, allowed = n, rule.allow
			}
		}
	}
	return allowed
}

// CrawlDelay returns the Crawl-delay of the groups that apply to agent,
// capped at 30 s, and whether one was given.
func (r *Robots) CrawlDelay(agent string) (time.Duration, bool) {
	if r == nil {
		return 0, false
	}
	var d time.Duration
	found := false
	for _, g := range r.groupsFor(agent) {
		if g.hasDelay && g.crawlDelay >= d {
			d, found = g.crawlDelay, true
		}
	}
	return d, found
}

// Sitemaps returns the Sitemap URLs the file lists, as written.
func (r *Robots) Sitemaps() []string {
	if r == nil {
		return nil
	}
	return append([]string(nil), r.sitemaps...)
}

// matchPattern reports whether path matches a robots.txt pattern, in which
// '*' matches any sequence and a final '$' anchors the end. It runs in
// O(len(pattern)*len(path)) at worst, without recursion.
func matchPattern(pattern, path string) bool {
	anchored := strings.HasSuffix(pattern, "$")
	if anchored {
		pattern = pattern[:len(pattern)-1]
	}
	p, s := 0, 0
	star, mark := -1, 0
	for s < len(path) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, s
			p++
		case p < len(pattern) && pattern[p] == path[s]:
			p++
			s++
		case p == len(pattern) && !anchored:
			return true
		case star >= 0:
			p = star + 1
			mark++
			s = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// normalisePath puts a path or pattern in one form for comparison:
// percent-escapes upper-case, escaped unreserved characters decoded, and
// bytes outside printable ASCII (UTF-8 included) percent-encoded.
func normalisePath(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if isUnreserved(v) {
				b.WriteByte(v)
			} else {
				b.WriteByte('%')
				b.WriteByte(upperHex[v>>4])
				b.WriteByte(upperHex[v&15])
			}
			i += 2
		case c <= 0x20 || c >= 0x7f:
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

const upperHex = "0123456789ABCDEF"

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
