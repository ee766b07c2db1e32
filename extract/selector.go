package extract

import (
	"fmt"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// selector is one parsed simple selector chain: compounds joined by the
// descendant combinator, matched right to left.
type selector []compound

// compound is tag, #id, .class and [attr] / [attr=value] tests on one
// element; empty fields match anything.
type compound struct {
	tag     string
	id      string
	classes []string
	attrs   []attrTest
}

type attrTest struct {
	key, val string
	hasVal   bool
}

// parseSelectors parses the selectors of ModeSelectors. Each string may
// hold several selectors separated by commas.
func parseSelectors(list []string) ([]selector, error) {
	var out []selector
	for _, s := range list {
		for _, part := range strings.Split(s, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			sel, err := parseSelector(part)
			if err != nil {
				return nil, fmt.Errorf("%w: selector %q: %v", ErrUnsupportedMode, part, err)
			}
			out = append(out, sel)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: selectors mode needs at least one selector", ErrUnsupportedMode)
	}
	return out, nil
}

func parseSelector(s string) (selector, error) {
	var sel selector
	for _, f := range strings.Fields(s) {
		c, err := parseCompound(f)
		if err != nil {
			return nil, err
		}
		sel = append(sel, c)
	}
	return sel, nil
}

func parseCompound(s string) (compound, error) {
	var c compound
	i := 0
	ident := func() string {
		j := i
		for j < len(s) && (isAlnumByte(s[j]) || s[j] == '-' || s[j] == '_' || s[j] >= 0x80) {
			j++
		}
		v := s[i:j]
		i = j
		return v
	}
	if i < len(s) && s[i] == '*' {
		i++
	} else if i < len(s) && isAlnumByte(s[i]) {
		c.tag = strings.ToLower(ident())
	}
	for i < len(s) {
		switch s[i] {
		case '#':
			i++
			if c.id = ident(); c.id == "" {
				return c, fmt.Errorf("empty id at %d", i)
			}
		case '.':
			i++
			cl := ident()
			if cl == "" {
				return c, fmt.Errorf("empty class at %d", i)
			}
			c.classes = append(c.classes, cl)
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return c, fmt.Errorf("unclosed [ at %d", i)
			}
			body := s[i+1 : i+end]
			i += end + 1
			var t attrTest
			if k, v, ok := strings.Cut(body, "="); ok {
				t.key, t.val, t.hasVal = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v), true
				if len(t.val) >= 2 && (t.val[0] == '"' || t.val[0] == '\'') && t.val[len(t.val)-1] == t.val[0] {
					t.val = t.val[1 : len(t.val)-1]
				}
			} else {
				t.key = strings.ToLower(strings.TrimSpace(body))
			}
			if t.key == "" {
				return c, fmt.Errorf("empty attribute name")
			}
			c.attrs = append(c.attrs, t)
		default:
			return c, fmt.Errorf("unexpected %q at %d", s[i], i)
		}
	}
	return c, nil
}

func (c *compound) match(n *html.Node) bool {
	if c.tag != "" && n.Data != c.tag {
		return false
	}
	if c.id != "" && attrVal(n, "id") != c.id {
		return false
	}
	if len(c.classes) > 0 {
		cls := attrVal(n, "class")
		for _, want := range c.classes {
			if !hasWord(cls, want) {
				return false
			}
		}
	}
	for _, t := range c.attrs {
		found := false
		for _, a := range n.Attr {
			if a.Namespace == "" && a.Key == t.key && (!t.hasVal || a.Val == t.val) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// match reports whether n matches the whole chain.
func (sel selector) match(n *html.Node) bool {
	last := len(sel) - 1
	if !sel[last].match(n) {
		return false
	}
	k := last - 1
	for p := n.Parent; p != nil && k >= 0; p = p.Parent {
		if p.Type == html.ElementNode && sel[k].match(p) {
			k--
		}
	}
	return k < 0
}

func hasWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if f == w {
			return true
		}
	}
	return false
}

// selectContent copies every element matched by one of sels (in document
// order, an element inside a matched one is not repeated) under one <div>.
func (s *scorer) selectContent(sels []selector) (*html.Node, contentStats) {
	root := newElement(atom.Div)
	var stats contentStats
	cp := &copier{s: s, fullPage: true}
	for i, seen := int32(0), 0; i < int32(len(s.infos)); seen++ {
		if seen&1023 == 1023 && s.ctx.Err() != nil {
			break
		}
		info := &s.infos[i]
		matched := false
		for _, sel := range sels {
			if sel.match(info.n) {
				matched = true
				break
			}
		}
		if !matched {
			i++
			continue
		}
		n := cp.clone(info.n)
		root.AppendChild(n)
		if info.ownText > 0 {
			cp.stats.TextChars += int(info.ownText)
			cp.stats.LinkChars += int(info.ownLink)
		}
		idx := i + 1
		cp.children(info.n, n, &idx)
		i = info.end
	}
	stats = cp.stats
	stats.ContentFound = stats.TextChars > 0
	return root, stats
}
