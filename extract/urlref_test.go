package extract

import (
	"context"
	"net/url"
	"testing"

	"golang.org/x/net/html"
)

var simpleBases = []string{
	"https://example.com/dir/page.html?x=1",
	"https://example.com",
	"https://example.com/",
	"http://www.Example.COM:8080/a/b/",
	"https://example.com/a/./b/../c",
	"https://example.com/a%20b/c",  // not plain: escaped path
	"https://user@example.com/a",   // not plain: user
	"https://[::1]/a",              // not plain: IPv6
	"ftp://example.com/a",          // not plain: scheme
	"https://example.com/a(b)/c;d", // plain, with RawPath-sensitive characters
	"https:///a",                   // no host
}

var simpleRefs = []string{
	"https://other.com/a/b", "http://other.com", "https://other.com/", "https://other.com?q",
	"https://other.com/a/../b/./c", "https://Other.COM:443/a", "https://other.com:/a", "https://other.com:x/a",
	"https://example.com/dir/page.html?x=1#top", "https://example.com/dir/page.html?x=2#top",
	"https://example.com/dir/page.html#top", "page.html?x=1#top",
	"/", "/a/b?c=d&e#f", "/a/b?", "/a/b??", "/a/b?#", "/a/b#", "/a//b", "//cdn.example.com/x", "///x",
	"rel", "rel/path", "./rel", "../up", "../../../../up", "a/./b/../c/.", "a/..", ".", "..", "...", ".hidden",
	"a:b", "./a:b", "a/b:c", "mailto:a@b.c", "tel:+1", "HTTP://X.COM/", "http:/x", "http:x", "data:,x",
	"?q", "?", "#f", "", "a b", "a%20b", "/%zz", "/a?b c", "/a?é", "/é", "/a#b#c", "/a#b c",
	"/a(b)'*!$&+,;=:@~", "/a[b]", "/a\\b", "/a|b", "/a^b", "/a{b}", "/a\"b", "/a<b>", "/a`b",
	"https://a_b.com/x", "https://a.com./x", "https://xn--bcher-kva.example/x", "https://1.2.3.4/x",
	"https://a.com/x#y?z/w", "https://a.com/x?y#z?w", "/x;y=z", "/x?a=%zz", "/x#%41",
}

// checkSimple holds resolveURL to net/url (url.Parse, then
// ResolveReference when the base is known, then String), with the same
// host name and in-page verdict, and reports whether the reference took
// resolveSimple's path: whatever that path accepts, net/url parses too.
func checkSimple(t *testing.T, base *url.URL, ref string) (accepted bool) {
	t.Helper()
	if plainBase(base) {
		if base.EscapedPath() != base.Path {
			t.Fatalf("plain base %q: EscapedPath %q != Path %q", base, base.EscapedPath(), base.Path)
		}
		_, accepted = resolveSimple(base, ref)
	}
	got, ok := resolveURL(base, ref)
	u, err := url.Parse(ref)
	if err != nil {
		if accepted || ok {
			t.Fatalf("base %q, ref %q: resolved, but url.Parse fails: %v", base, ref, err)
		}
		return false
	}
	var same bool
	if baseKnown(base) {
		u = base.ResolveReference(u)
		same = u.Fragment != "" && u.Scheme == base.Scheme && u.Host == base.Host && u.Path == base.Path && u.RawQuery == base.RawQuery
	}
	web := (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	want := resolvedRef{url: u.String(), web: web, samePage: same}
	if web {
		want.hostname = u.Hostname()
	}
	if !ok || got != want {
		t.Fatalf("base %q, ref %q: got %+v (%v), net/url gives %+v", base, ref, got, ok, want)
	}
	return accepted
}

func TestResolveSimple(t *testing.T) {
	accepted := 0
	for _, b := range simpleBases {
		base, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, ref := range simpleRefs {
			if checkSimple(t, base, ref) {
				accepted++
			}
		}
	}
	// The common forms take the fast path.
	base, _ := url.Parse("https://example.com/dir/page.html")
	for _, ref := range []string{"https://other.com/a/b", "/a/b?c=d#f", "rel/path", "../up", "./x", "page.html#top", "https://example.com:8443/x"} {
		if _, ok := resolveSimple(base, ref); !ok {
			t.Errorf("%q: not resolved by the fast path", ref)
		}
	}
	// What it must leave to net/url.
	for _, ref := range []string{"//cdn.com/x", "a:b", "mailto:x", "HTTP://X.COM/", "?q", "", "/a%20b", "/é", "https://a_b.com/", "https://h:x/"} {
		if _, ok := resolveSimple(base, ref); ok {
			t.Errorf("%q: resolved by the fast path", ref)
		}
	}
	t.Logf("%d of %d pairs took the fast path", accepted, len(simpleBases)*len(simpleRefs))
}

// TestResolveSimpleBench: every href and src of the benchmark pages,
// against their page's URL, resolves as net/url resolves it.
func TestResolveSimpleBench(t *testing.T) {
	base, _ := url.Parse("https://www.example.com/news/2024/article.html?id=7")
	total, fast := 0, 0
	for _, page := range benchPages(t) {
		root, _, err := parsePage(context.Background(), page, 1<<30)
		if err != nil {
			continue
		}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			for _, a := range n.Attr {
				if a.Key == "href" || a.Key == "src" {
					ref := cleanURLRef(a.Val)
					total++
					if checkSimple(t, base, ref) {
						fast++
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(root)
	}
	t.Logf("%d of %d references took the fast path", fast, total)
	if fast < total/2 {
		t.Errorf("only %d of %d references took the fast path", fast, total)
	}
}

func FuzzResolveSimple(f *testing.F) {
	for _, b := range simpleBases {
		for _, r := range simpleRefs {
			f.Add(b, r)
		}
	}
	f.Fuzz(func(t *testing.T, b, ref string) {
		base, err := url.Parse(b)
		if err != nil {
			return
		}
		checkSimple(t, base, ref)
	})
}

func TestResolvePath(t *testing.T) {
	for _, tc := range []struct{ base, ref, want string }{
		{"", "", ""},
		{"/a/b", "", "/a/b"},
		{"/a/b", "c", "/a/c"},
		{"/a/b/", "c", "/a/b/c"},
		{"/a/b", "/c/./d/../e", "/c/e"},
		{"/a/b", "../../../c", "/c"},
		{"/a/b", ".", "/a/"},
		{"/a/b", "..", "/"},
		{"", "a", "/a"},
		{"/a//b", "", "/a//b"},
		{"/a/b", "c/..", "/a/"},
	} {
		if got := resolvePath(tc.base, tc.ref); got != tc.want {
			t.Errorf("resolvePath(%q, %q) = %q, want %q", tc.base, tc.ref, got, tc.want)
		}
	}
}
