package extract

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxLinks bounds the links listed for one page.
const maxLinks = 10_000

// collectLinks lists every link (<a href>, <area href>) of the page,
// marking those inside content.
//
// URLs are resolved against base; with no base, relative URLs stay
// relative. javascript: links and links to a fragment of the same page
// ("#top") are skipped. mailto:, tel: and other non-web links are kept as
// they are, never external: callers tell them apart by the URL scheme.
// External means the host differs from base's host, ignoring a leading
// "www." and letter case; with no base nothing is external. The text is
// the anchor text collapsed, or an image's alt text, or the title or
// aria-label. A link with the same URL and text as an earlier one is not
// repeated (its InContent is merged into the first).
func collectLinks(root, content *html.Node, base *url.URL) []Link {
	if root == nil {
		return nil
	}
	if base == nil {
		base = &url.URL{}
	}
	baseHost := ""
	if baseKnown(base) {
		baseHost = normHost(base.Hostname())
	}
	// content may be a subtree of root or a detached copy of it: links
	// found under content are in-content either way.
	var contentLinks []Link
	detached := content != nil && content != root && !isAncestor(root, content)
	if detached {
		contentLinks = walkLinks(content, nil, base, baseHost, maxLinks, true)
	}
	out := walkLinks(root, content, base, baseHost, maxLinks, false)
	if detached && len(contentLinks) > 0 {
		inContent := make(map[linkKey]bool, len(contentLinks))
		for _, l := range contentLinks {
			inContent[linkKey{l.URL, l.Text}] = true
		}
		seen := make(map[linkKey]bool, len(out))
		for i := range out {
			k := linkKey{out[i].URL, out[i].Text}
			seen[k] = true
			if inContent[k] {
				out[i].InContent = true
			}
		}
		// Links only the content copy has (rewritten by the cleaner).
		for _, l := range contentLinks {
			if k := (linkKey{l.URL, l.Text}); !seen[k] && len(out) < maxLinks {
				seen[k] = true
				out = append(out, l)
			}
		}
	}
	return out
}

// linkKey identifies a link for deduplication: its URL and text.
type linkKey struct{ url, text string }

// walkLinks lists the links under root in document order, deduplicated,
// marking those under content (when content is part of root's tree), or
// all of them when all is set.
func walkLinks(root, content *html.Node, base *url.URL, baseHost string, limit int, all bool) []Link {
	var out []Link
	index := make(map[linkKey]int)
	cache := make(map[string]resolvedHref)
	type entry struct {
		n         *html.Node
		inContent bool
	}
	stack := []entry{{root, all || root == content}}
	for len(stack) > 0 && len(out) < limit {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := e.n
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Template, atom.Head:
				continue
			case atom.A, atom.Area:
				if l, ok := makeLink(n, base, baseHost, e.inContent, cache); ok {
					key := linkKey{l.URL, l.Text}
					if i, dup := index[key]; dup {
						out[i].InContent = out[i].InContent || l.InContent
					} else {
						index[key] = len(out)
						out = append(out, l)
					}
				}
			}
		} else if n.Type != html.DocumentNode {
			continue
		}
		for c := n.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, entry{c, e.inContent || c == content})
		}
	}
	return out
}

// resolvedHref is what a link's href resolves to, cached per page since
// navigation repeats the same hrefs.
type resolvedHref struct {
	url      string
	external bool
	ok       bool
}

func resolveHref(href string, base *url.URL, baseHost string) resolvedHref {
	href = cleanURLRef(href)
	if href == "" || href[0] == '#' || unsafeScheme(href) {
		return resolvedHref{}
	}
	u, ok := resolveURL(base, href)
	// A link to the page itself plus a fragment is an in-page anchor.
	if !ok || u.samePage || len(u.url) > 8192 {
		return resolvedHref{}
	}
	r := resolvedHref{url: u.url, ok: true}
	if baseHost != "" && u.web {
		r.external = normHost(u.hostname) != baseHost
	}
	return r
}

func makeLink(n *html.Node, base *url.URL, baseHost string, inContent bool, cache map[string]resolvedHref) (Link, bool) {
	href := attrOf(n, "href")
	r, hit := cache[href]
	if !hit {
		r = resolveHref(href, base, baseHost)
		if len(cache) < 4096 {
			cache[href] = r
		}
	}
	if !r.ok {
		return Link{}, false
	}
	l := Link{URL: r.url, InContent: inContent, External: r.external}
	l.Text = truncUTF8(textOf(n, 2048), 1024)
	if l.Text == "" {
		l.Text = imageAltIn(n)
	}
	if l.Text == "" {
		l.Text = collapseWS(attrOf(n, "title"))
	}
	if l.Text == "" {
		l.Text = collapseWS(attrOf(n, "aria-label"))
	}
	if rel := strings.ToLower(collapseWS(attrOf(n, "rel"))); rel != "" {
		l.Rel = truncUTF8(rel, 256)
		l.NoFollow = tokenHas(rel, "nofollow")
	}
	return l, true
}

// imageAltIn returns the alt text of the first image inside n.
func imageAltIn(n *html.Node) string {
	budget := 64
	var find func(n *html.Node) string
	find = func(n *html.Node) string {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if budget--; budget < 0 {
				return ""
			}
			if isElem(c, atom.Img) {
				if alt := collapseWS(attrOf(c, "alt")); alt != "" {
					return alt
				}
			}
			if c.Type == html.ElementNode {
				if s := find(c); s != "" {
					return s
				}
			}
		}
		return ""
	}
	return find(n)
}

// normHost lower-cases a host name and drops a leading "www.".
func normHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	return strings.TrimPrefix(h, "www.")
}

// documentBase returns the URL relative references of the page resolve
// against: the first <base href> of the head, resolved against base, when
// it is an http(s) URL; otherwise base itself. Only the top levels of the
// tree are looked at.
func documentBase(root *html.Node, base *url.URL) *url.URL {
	if root == nil {
		return base
	}
	var head *html.Node
	for c := root.FirstChild; c != nil && head == nil; c = c.NextSibling {
		if isElem(c, atom.Html) {
			for h := c.FirstChild; h != nil; h = h.NextSibling {
				if isElem(h, atom.Head) {
					head = h
					break
				}
			}
		}
	}
	if head == nil {
		return base
	}
	for c := head.FirstChild; c != nil; c = c.NextSibling {
		if !isElem(c, atom.Base) || !hasAttrOf(c, "href") {
			continue
		}
		u, err := url.Parse(cleanURLRef(attrOf(c, "href")))
		if err != nil {
			return base
		}
		if base != nil {
			u = base.ResolveReference(u)
		}
		if (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			return u
		}
		return base
	}
	return base
}
