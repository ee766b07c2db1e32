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
func scanTokens(ctx context.Context, b []byte) (*html.Node, error) {
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
	flush := func() {
		if para.Len() == 0 {
			return
		}
		p := newElement(atom.P)
		p.AppendChild(&html.Node{Type: html.TextNode, Data: para.String()})
		body.AppendChild(p)
		para.Reset()
		space = false
	}
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
			name, _ := z.TagName()
			a := atom.Lookup(name)
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
