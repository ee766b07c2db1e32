package extract

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Bounds on microdata reading.
const (
	maxMicrodataItems = 64
	maxMicrodataProps = 256
	maxMicrodataDepth = 16
	maxMicrodataText  = 4096
)

// readMicrodataItem converts the item rooted at the itemscope element n
// into a schema object: {"@type": "Article", "headline": "...", ...}.
// Nested items become nested objects; repeated properties become arrays.
// Types from schema.org lose their prefix. itemref is not followed.
func readMicrodataItem(n *html.Node, base *url.URL, depth int) schemaObj {
	obj := schemaObj{}
	if t := strings.Fields(attrOf(n, "itemtype")); len(t) > 0 {
		if len(t) == 1 {
			obj["@type"] = trimSchemaPrefix(t[0])
		} else {
			ts := make([]any, 0, len(t))
			for _, s := range t {
				ts = append(ts, trimSchemaPrefix(s))
			}
			obj["@type"] = ts
		}
	}
	if id := strings.TrimSpace(attrOf(n, "itemid")); id != "" {
		obj["@id"] = id
	}
	props := 0
	var walk func(c *html.Node)
	walk = func(c *html.Node) {
		for ; c != nil && props < maxMicrodataProps; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			names := attrOf(c, "itemprop")
			scoped := hasAttrOf(c, "itemscope")
			if names != "" {
				var v any
				if scoped {
					if depth < maxMicrodataDepth {
						v = readMicrodataItem(c, base, depth+1)
					}
				} else {
					v = microdataValue(c, base)
				}
				if v != nil {
					for _, name := range strings.Fields(names) {
						props++
						addProp(obj, name, v)
					}
				}
			}
			if !scoped {
				walk(c.FirstChild)
			}
		}
	}
	if depth <= maxMicrodataDepth*4 {
		walk(n.FirstChild)
	}
	return obj
}

func addProp(obj schemaObj, name string, v any) {
	name = trimSchemaPrefix(name)
	switch old := obj[name].(type) {
	case nil:
		obj[name] = v
	case []any:
		obj[name] = append(old, v)
	default:
		obj[name] = []any{old, v}
	}
}

// microdataValue is the value of a non-item property element, as the
// microdata specification defines it per element.
func microdataValue(n *html.Node, base *url.URL) any {
	var v string
	switch n.DataAtom {
	case atom.Meta:
		v = attrOf(n, "content")
	case atom.Audio, atom.Embed, atom.Iframe, atom.Img, atom.Source, atom.Track, atom.Video:
		v = resolveRef(base, attrOf(n, "src"))
	case atom.A, atom.Area, atom.Link:
		v = resolveRef(base, attrOf(n, "href"))
	case atom.Object:
		v = resolveRef(base, attrOf(n, "data"))
	case atom.Data, atom.Meter:
		v = attrOf(n, "value")
	case atom.Time:
		if hasAttrOf(n, "datetime") {
			v = attrOf(n, "datetime")
		} else {
			v = textOf(n, maxMicrodataText)
		}
	default:
		if hasAttrOf(n, "content") {
			v = attrOf(n, "content") // common, though not in the spec
		} else {
			v = textOf(n, maxMicrodataText)
		}
	}
	return collapseWS(v)
}
