package extract

import (
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Bounds on media.
const (
	maxMedia         = 2000
	maxSrcsetEntries = 64
)

// lazySrcAttrs are the attributes lazy-loading scripts keep the real image
// URL in, most common first.
var lazySrcAttrs = []string{"data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-hi-res-src", "data-full-src"}

// lazySrcsetAttrs are the lazy-loading variants of srcset.
var lazySrcsetAttrs = []string{"srcset", "data-srcset", "data-lazy-srcset"}

// collectMedia lists the media of the content subtree, in document order:
// images (img, with picture/source candidates), video and audio (src or
// the first source child), iframes (e.g. video embeds), embed and object.
//
// For an image the URL is the best srcset candidate (the widest "w", else
// the densest "x"), else src, else a lazy-loading attribute (data-src,
// data-lazy-src...); data: URIs and 1x1 tracking pixels are skipped. The
// caption is the figcaption of the enclosing figure. Items with the same
// kind and URL are listed once.
func collectMedia(content *html.Node, base *url.URL) []Media {
	if content == nil {
		return nil
	}
	if base == nil {
		base = &url.URL{}
	}
	var out []Media
	seen := make(map[string]bool)
	add := func(m Media) {
		if m.URL == "" || len(out) >= maxMedia {
			return
		}
		k := string(m.Kind) + "\x00" + m.URL
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, m)
	}
	stack := []*html.Node{content}
	for len(stack) > 0 && len(out) < maxMedia {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Type != html.ElementNode && n.Type != html.DocumentNode {
			continue
		}
		descend := true
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Template, atom.Head:
				descend = false
			case atom.Noscript:
				// Parsed as text; lazy-loading pages keep the real <img>
				// there. Images already listed (same URL) are not repeated.
				descend = false
				for _, img := range noscriptImages(n) {
					if m, ok := imageMedia(img, base); ok {
						m.Caption = figureCaption(n, content)
						add(m)
					}
				}
			case atom.Img:
				if m, ok := imageMedia(n, base); ok {
					add(m)
				}
			case atom.Video, atom.Audio:
				m := Media{Kind: MediaVideo, Title: collapseWS(attrOf(n, "title"))}
				if n.DataAtom == atom.Audio {
					m.Kind = MediaAudio
				}
				m.URL = resolveMediaURL(base, attrOf(n, "src"))
				for c := n.FirstChild; c != nil && m.URL == ""; c = c.NextSibling {
					if isElem(c, atom.Source) {
						m.URL = resolveMediaURL(base, attrOf(c, "src"))
					}
				}
				m.Width, m.Height = dimAttr(n, "width"), dimAttr(n, "height")
				m.Caption = figureCaption(n, content)
				add(m)
				descend = false
			case atom.Iframe, atom.Embed, atom.Object:
				m := Media{Kind: MediaIframe, Title: collapseWS(attrOf(n, "title"))}
				src := attrOf(n, "src")
				if src == "" {
					src = attrOf(n, "data-src")
				}
				switch n.DataAtom {
				case atom.Embed:
					m.Kind = MediaEmbed
				case atom.Object:
					m.Kind = MediaEmbed
					src = attrOf(n, "data")
				}
				if s := strings.TrimSpace(src); s != "" && !strings.EqualFold(s, "about:blank") {
					m.URL = resolveMediaURL(base, s)
				}
				m.Width, m.Height = dimAttr(n, "width"), dimAttr(n, "height")
				m.Caption = figureCaption(n, content)
				add(m)
				descend = n.DataAtom == atom.Object && m.URL == ""
			}
		}
		if descend {
			for c := n.LastChild; c != nil; c = c.PrevSibling {
				stack = append(stack, c)
			}
		}
	}
	return out
}

// noscriptImages parses the text of a <noscript> element (a bounded
// amount) and returns the img elements in it.
func noscriptImages(n *html.Node) []*html.Node {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	src := b.String()
	if len(src) > 16<<10 || !strings.Contains(strings.ToLower(src), "<img") {
		return nil
	}
	nodes, err := html.ParseFragment(strings.NewReader(src), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return nil
	}
	var imgs []*html.Node
	var find func(n *html.Node, depth int)
	find = func(n *html.Node, depth int) {
		if isElem(n, atom.Img) && len(imgs) < 16 {
			imgs = append(imgs, n)
		}
		if depth < 32 {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				find(c, depth+1)
			}
		}
	}
	for _, n := range nodes {
		find(n, 0)
	}
	return imgs
}

// resolveMediaURL resolves a media URL, refusing data: URIs.
func resolveMediaURL(base *url.URL, ref string) string {
	ref = cleanURLRef(ref)
	if len(ref) >= 5 && strings.EqualFold(ref[:5], "data:") {
		return ""
	}
	return resolveRef(base, ref)
}

// imageMedia describes one img element.
func imageMedia(n *html.Node, base *url.URL) (Media, bool) {
	m := Media{Kind: MediaImage, Alt: collapseWS(attrOf(n, "alt")), Title: collapseWS(attrOf(n, "title"))}
	m.Width, m.Height = dimAttr(n, "width"), dimAttr(n, "height")
	if m.Width == 1 && m.Height == 1 {
		return m, false
	}
	// Candidates: <picture><source srcset> first, then the img's own.
	if p := n.Parent; isElem(p, atom.Picture) {
		for c := p.FirstChild; c != nil; c = c.NextSibling {
			if isElem(c, atom.Source) {
				for _, a := range lazySrcsetAttrs {
					m.Srcset = appendSrcset(m.Srcset, attrOf(c, a), base)
				}
			}
		}
	}
	for _, a := range lazySrcsetAttrs {
		m.Srcset = appendSrcset(m.Srcset, attrOf(n, a), base)
	}
	m.URL = bestCandidate(m.Srcset)
	if m.URL == "" {
		m.URL = imageSrc(n, base)
	}
	if m.URL == "" {
		return m, false
	}
	m.Caption = figureCaption(n, nil)
	return m, true
}

// imageSrc returns an img's URL: src unless it is missing or a data: URI
// placeholder, then the lazy-loading attributes.
func imageSrc(n *html.Node, base *url.URL) string {
	if u := resolveMediaURL(base, attrOf(n, "src")); u != "" {
		return u
	}
	for _, a := range lazySrcAttrs {
		if u := resolveMediaURL(base, attrOf(n, a)); u != "" {
			return u
		}
	}
	return ""
}

// bestImageURL returns the URL to show for an img: the src (or a lazy
// variant), else the best srcset candidate of the img or of its
// <picture> sources.
func bestImageURL(n *html.Node, base *url.URL) string {
	if u := imageSrc(n, base); u != "" {
		return u
	}
	var cands []SrcsetCandidate
	for _, a := range lazySrcsetAttrs {
		cands = appendSrcset(cands, attrOf(n, a), base)
	}
	if len(cands) == 0 && isElem(n.Parent, atom.Picture) {
		for c := n.Parent.FirstChild; c != nil; c = c.NextSibling {
			if isElem(c, atom.Source) {
				for _, a := range lazySrcsetAttrs {
					cands = appendSrcset(cands, attrOf(c, a), base)
				}
			}
		}
	}
	return bestCandidate(cands)
}

// appendSrcset parses a srcset attribute ("a.jpg 640w, b.jpg 2x, c.jpg")
// as the HTML specification splits it (URLs may contain commas; a comma
// after white space separates candidates) and appends the candidates with
// resolved URLs.
func appendSrcset(dst []SrcsetCandidate, s string, base *url.URL) []SrcsetCandidate {
	i := 0
	for i < len(s) && len(dst) < maxSrcsetEntries {
		// Skip white space and commas.
		for i < len(s) && (isSpaceByte(s[i]) || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		for i < len(s) && !isSpaceByte(s[i]) {
			i++
		}
		rawURL := s[start:i]
		desc := ""
		if strings.HasSuffix(rawURL, ",") {
			rawURL = strings.TrimRight(rawURL, ",")
		} else {
			// Descriptors run to the next comma outside parentheses.
			ds := i
			depth := 0
			for i < len(s) {
				c := s[i]
				if c == '(' {
					depth++
				} else if c == ')' && depth > 0 {
					depth--
				} else if c == ',' && depth == 0 {
					break
				}
				i++
			}
			desc = s[ds:i]
			if i < len(s) {
				i++ // the comma
			}
		}
		c := SrcsetCandidate{URL: resolveMediaURL(base, rawURL)}
		if c.URL == "" {
			continue
		}
		for _, d := range strings.Fields(desc) {
			if len(d) < 2 {
				continue
			}
			num, unit := d[:len(d)-1], d[len(d)-1]
			switch unit {
			case 'w', 'W':
				if w, err := strconv.Atoi(num); err == nil && w > 0 {
					c.Width = w
				}
			case 'x', 'X':
				if x, err := strconv.ParseFloat(num, 64); err == nil && x > 0 && x < 100 {
					c.Density = x
				}
			}
		}
		dst = append(dst, c)
	}
	return dst
}

// bestCandidate picks the widest candidate with a width descriptor, else
// the densest one (a candidate with no descriptor is 1x).
func bestCandidate(cands []SrcsetCandidate) string {
	best, bestW := "", 0
	for _, c := range cands {
		if c.Width > bestW {
			best, bestW = c.URL, c.Width
		}
	}
	if best != "" {
		return best
	}
	bestD := 0.0
	for _, c := range cands {
		d := c.Density
		if d == 0 {
			d = 1
		}
		if d > bestD {
			best, bestD = c.URL, d
		}
	}
	return best
}

// dimAttr reads a width or height attribute in pixels ("640", "640px");
// 0 when absent or relative ("100%").
func dimAttr(n *html.Node, key string) int {
	v := strings.TrimSpace(attrOf(n, key))
	v = strings.TrimSuffix(v, "px")
	if v == "" || len(v) > 6 {
		return 0
	}
	if i := strings.IndexByte(v, '.'); i > 0 {
		v = v[:i]
	}
	k, err := strconv.Atoi(v)
	if err != nil || k < 0 {
		return 0
	}
	return k
}

// figureCaption returns the figcaption text of the figure enclosing n (up
// to a few levels up, not past stop).
func figureCaption(n, stop *html.Node) string {
	p := n.Parent
	for depth := 0; p != nil && depth < 4 && p != stop; depth++ {
		if isElem(p, atom.Figure) {
			for c := p.FirstChild; c != nil; c = c.NextSibling {
				if isElem(c, atom.Figcaption) {
					return truncUTF8(textOf(c, 4096), 2048)
				}
			}
			return ""
		}
		p = p.Parent
	}
	return ""
}
