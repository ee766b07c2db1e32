// Command guest is an example riptide guest with its own extraction rule:
// it keeps only the page's <h2> sections (each heading and the text that
// follows it, up to the next <h2>), leaving out scripts, styles,
// navigation, asides and footers, and drops everything else.
//
// It implements the guest ABI of package
// github.com/riptide-go/riptide/extract/wasm (see ABI.md there) and is
// built as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o guest.wasm ./guest
//
// The rule lives in this portable file; abi_wasip1.go holds the exports.
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func main() {}

var info = []byte(`{"name":"h2-sections","version":"1.0.0","modes":["article"]}`)

type request struct {
	URL     string `json:"url"`
	HTMLLen int    `json:"html_len"`
}

// document holds the Document fields this guest fills (JSON snake_case,
// as the host expects).
type document struct {
	URL       string `json:"url,omitempty"`
	Title     string `json:"title,omitempty"`
	Markdown  string `json:"markdown,omitempty"`
	Text      string `json:"text,omitempty"`
	WordCount int    `json:"word_count"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type response struct {
	Document *document  `json:"document,omitempty"`
	Error    *errorBody `json:"error,omitempty"`
}

var out bytes.Buffer

// handle decodes a request buffer (u32 LE header length, header JSON, raw
// HTML) and returns the response JSON, valid until the next call.
func handle(buf []byte) []byte {
	out.Reset()
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(extract(buf))
	return out.Bytes()
}

func extract(buf []byte) response {
	if len(buf) < 4 || int(binary.LittleEndian.Uint32(buf)) > len(buf)-4 {
		return response{Error: &errorBody{Code: "internal", Message: "malformed request"}}
	}
	hl := int(binary.LittleEndian.Uint32(buf))
	var req request
	if err := json.Unmarshal(buf[4:4+hl], &req); err != nil {
		return response{Error: &errorBody{Code: "internal", Message: err.Error()}}
	}
	doc := sections(buf[4+hl:])
	if doc.Text == "" {
		return response{Error: &errorBody{Code: "extractor_error", Message: "no <h2> sections"}}
	}
	doc.URL = req.URL
	return response{Document: doc}
}

// sections scans the page's tokens and keeps the <h2> sections.
func sections(page []byte) *document {
	type section struct{ heading, body strings.Builder }
	var (
		doc       document
		all       []*section
		cur       *section
		inH2      bool
		inTitle   bool
		skipDepth int // inside script, style, nav, aside or footer
	)
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			var md, text strings.Builder
			for _, s := range all {
				h := collapse(s.heading.String())
				b := collapse(s.body.String())
				md.WriteString("## " + h + "\n\n" + b + "\n\n")
				text.WriteString(h + "\n\n" + b + "\n\n")
			}
			doc.Markdown = strings.TrimSpace(md.String())
			doc.Text = strings.TrimSpace(text.String())
			doc.WordCount = len(strings.Fields(doc.Text))
			return &doc
		case html.StartTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.H2:
				cur = &section{}
				all = append(all, cur)
				inH2 = true
			case atom.Title:
				inTitle = true
			case atom.Script, atom.Style, atom.Nav, atom.Footer, atom.Aside:
				skipDepth++
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.H2:
				inH2 = false
			case atom.Title:
				inTitle = false
			case atom.Script, atom.Style, atom.Nav, atom.Footer, atom.Aside:
				skipDepth = max(skipDepth-1, 0)
			}
		case html.TextToken:
			t := string(z.Text())
			switch {
			case skipDepth > 0:
			case inTitle:
				doc.Title = collapse(t)
			case cur != nil && inH2:
				cur.heading.WriteString(t)
			case cur != nil:
				cur.body.WriteString(t + " ")
			}
		}
	}
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
