package extract

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func bodyOf(t *testing.T, s string) *html.Node {
	t.Helper()
	root, err := html.Parse(strings.NewReader(s))
	require.NoError(t, err)
	return findElement(root, atom.Body)
}

func TestWriteText(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"paragraphs", "<p>One.</p><p>Two.</p>", "One.\n\nTwo."},
		{"collapse", "<p>  a \n\t b   <b> c </b>d</p>", "a b c d"},
		{"blocks", "<div>a</div><div>b</div>", "a\nb"},
		{"br", "<p>line one<br>line two<br><br>line three</p>", "line one\nline two\n\nline three"},
		{"br with spaces", "<div>a<br> <br>\n<br>b</div>", "a\n\nb"},
		{"heading and list", "<h2>Title</h2><ul><li>x</li><li>y</li></ul><p>after</p>", "Title\n\nx\ny\n\nafter"},
		{"table", "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>", "a\tb\n1\t2"},
		{"pre keeps spaces", "<p>x</p><pre>  a\n    b</pre>", "x\n\n  a\n    b"},
		{"soft hyphen and zero width", "<p>hy\u00adphen\u200bated</p>", "hyphenated"},
		{"nbsp is a space", "<p>a&nbsp;&nbsp;b</p>", "a b"},
		{"inline elements join", "<p>foo<a href=x>bar</a>baz <em>qux</em></p>", "foobarbaz qux"},
		{"invalid utf-8 replaced", "<p>a\xffb</p>", "a\ufffdb"},
		{"scripts and captions skipped", "<p>a</p><script>x()</script><figure><img src=x><figcaption>cap</figcaption></figure><p>b</p>", "a\n\nb"},
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, writeText(bodyOf(t, tc.in)))
		})
	}
	assert.Equal(t, "", writeText(nil))
}

func TestCollapsedLen(t *testing.T) {
	for s, want := range map[string]int{"": 0, "   ": 0, "a": 1, " a  b ": 3, "\n\tab \n cd\n": 5} {
		assert.Equal(t, want, collapsedLen(s), "%q", s)
	}
}
