package extract

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func contentFuzzSeeds(f *testing.F) {
	f.Add([]byte(page(navBlock + `<article>` + paras(3) + `</article>` + commentBlock)))
	f.Add([]byte("<table><tr><td>a<td>b</table><pre>x\n y</pre>"))
	f.Add([]byte("<p>a\xffb\u00ad</p><br><svg><p>x</svg>"))
	f.Add([]byte("<div><div><div><span>deep</span>"))
	f.Add([]byte("<html><head><meta charset=latin1></head><body>\xe9\xe8</body>"))
	f.Add([]byte("<noscript><p>n</p></noscript><template>t</template><select><option>o"))
	f.Add([]byte(""))
}

// FuzzExtract: any input yields valid UTF-8 text or an error, never a
// panic, in every mode.
func FuzzExtract(f *testing.F) {
	contentFuzzSeeds(f)
	var n Native
	modes := []Options{{}, {Mode: ModeFullPage}, {Mode: ModeSelectors, Selectors: []string{"p", "div.x [id]"}}, {MaxNodes: 50}}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, o := range modes {
			doc, err := n.Extract(context.Background(), Input{HTML: b, Options: o})
			if err != nil {
				continue
			}
			if !utf8.ValidString(doc.Text) {
				t.Fatalf("invalid UTF-8 text %q", doc.Text)
			}
			if strings.ContainsRune(doc.Text, '\u00ad') {
				t.Fatalf("soft hyphen left in %q", doc.Text)
			}
		}
	})
}

// FuzzWriteText: the text writer on any parsed tree gives valid UTF-8
// without leading or trailing white space.
func FuzzWriteText(f *testing.F) {
	contentFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		root, err := html.Parse(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		s := writeText(root)
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 %q", s)
		}
		// <pre> keeps its white space, in any spelling of the tag.
		if s != strings.TrimSpace(s) && !strings.Contains(strings.ToLower(string(b)), "pre") {
			t.Fatalf("untrimmed %q", s)
		}
	})
}
