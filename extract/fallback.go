package extract

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// scanTokens is the fallback for pages the tree parser rejects (most often
// nesting deeper than it allows). It reads the page token by token and
// builds a flat tree, html > (head > title) + body > p*, one <p> per run
// of text between block boundaries. Structure is lost, text is not.
//
// Time and memory stay linear in the input: a token larger than
// maxTokenBytes ends the scan with ErrResourceLimit, and ctx is checked
// every 1024 tokens.
//
// At most maxParas paragraphs are made; past them, text joins the last
// one, so that the tree stays small whatever the page.
func scanTokens(ctx context.Context, b []byte, maxParas int) (*html.Node, error) {
	z := html.NewTokenizer(bytes.NewReader(b))
	z.SetMaxBuf(maxTokenBytes)
	doc := &html.Node{Type: html.DocumentNode}
	htmlEl := newElement(atom.Html)
	head := newElement(atom.Head)
	body := newElement(atom.Body)
	doc.AppendChild(htmlEl)
	htmlEl.AppendChild(head)
	htmlEl.AppendChild(body)

	var para strings.Builder
	var title strings.Builder
	space := false
	paras := 0
	flush := func() {
		if para.Len() == 0 {
			return
		}
		if paras >= maxParas-1 {
			// Over budget: keep collecting into one last paragraph.
			para.WriteByte('\n')
			return
		}
		paras++
		p := newElement(atom.P)
		p.AppendChild(&html.Node{Type: html.TextNode, Data: para.String()})
		body.AppendChild(p)
		para.Reset()
		space = false
	}
	var nameBuf [16]byte
	var skip atom.Atom // a dropped element being skipped, until its end tag
	skipDepth := 0
	inTitle := false
	for tokens := 1; ; tokens++ {
		if tokens&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			err := z.Err()
			if errors.Is(err, io.EOF) {
				maxParas = paras + 2 // the last flush always lands
				flush()
				if title.Len() > 0 {
					t := newElement(atom.Title)
					t.AppendChild(&html.Node{Type: html.TextNode, Data: title.String()})
					head.AppendChild(t)
				}
				if body.FirstChild == nil && head.FirstChild == nil {
					return nil, ErrNoContent
				}
				return doc, nil
			}
			if errors.Is(err, html.ErrBufferExceeded) {
				return nil, errResourcef("token larger than %d bytes", maxTokenBytes)
			}
			return nil, err
		case html.TextToken:
			if skip != 0 {
				continue
			}
			t := z.Text()
			if inTitle {
				title.Write(t)
				continue
			}
			for _, c := range t {
				if isHTMLSpace(c) {
					space = true
					continue
				}
				if space && para.Len() > 0 {
					para.WriteByte(' ')
				}
				space = false
				para.WriteByte(c)
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			// The tag name read from the raw token: TagName copies.
			a := atom.Lookup(rawTagName(z.Raw(), nameBuf[:0]))
			if skip != 0 {
				if a == skip {
					if tt == html.StartTagToken {
						skipDepth++
					} else if tt == html.EndTagToken {
						skipDepth--
						if skipDepth == 0 {
							skip = 0
						}
					}
				}
				continue
			}
			if a == atom.Title {
				inTitle = tt == html.StartTagToken
				continue
			}
			if tt == html.StartTagToken && dropTag(a) && !voidTag(a) && a != atom.Head {
				skip, skipDepth = a, 1
				continue
			}
			if blockTag(a) || a == atom.Br {
				flush()
			}
		}
	}
}

func newElement(a atom.Atom) *html.Node {
	return &html.Node{Type: html.ElementNode, DataAtom: a, Data: a.String()}
}

// voidTag reports elements that never have an end tag.
func voidTag(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img,
		atom.Input, atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}

// rawTagName returns the lowercased name of the tag token raw ("<DIV
// class=x>", "</p>"), in buf when it needs lowering. Names longer than
// buf are returned as they are: no known element is that long.
func rawTagName(raw, buf []byte) []byte {
	i := 1
	if i < len(raw) && raw[i] == '/' {
		i++
	}
	j := i
	for j < len(raw) && raw[j] != '>' && raw[j] != '/' && !isHTMLSpace(raw[j]) {
		j++
	}
	name := raw[i:j]
	for k, c := range name {
		if c >= 'A' && c <= 'Z' {
			if len(name) > cap(buf) {
				return name
			}
			buf = append(buf[:0], name...)
			for ; k < len(buf); k++ {
				if buf[k] >= 'A' && buf[k] <= 'Z' {
					buf[k] += 'a' - 'A'
				}
			}
			return buf
		}
	}
	return name
}
