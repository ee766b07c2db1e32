package extract

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deepPage nests n <div>s around some prose, deeper than the tree parser
// accepts when n > 512.
func deepPage(n int) []byte {
	var b bytes.Buffer
	b.WriteString("<html><head><title>Deep</title></head><body>")
	for range n {
		b.WriteString("<div>")
	}
	b.WriteString("<p>" + prose[0] + "</p><script>var hidden = 1;</script><p>" + prose[1] + "</p>")
	for range n {
		b.WriteString("</div>")
	}
	b.WriteString("</body></html>")
	return b.Bytes()
}

func TestDeepNestingFallback(t *testing.T) {
	for _, depth := range []int{600, 100_000} {
		var n Native
		doc, err := n.Extract(context.Background(), Input{HTML: deepPage(depth)})
		require.NoError(t, err, depth)
		assert.True(t, doc.Meta.Degraded, depth)
		assert.NotEmpty(t, doc.Meta.Warnings, depth)
		assert.Contains(t, doc.Text, prose[0], depth)
		assert.Contains(t, doc.Text, prose[1], depth)
		assert.NotContains(t, doc.Text, "hidden", depth)
	}
	// Below the limit the tree parser is used.
	var n Native
	doc, err := n.Extract(context.Background(), Input{HTML: deepPage(400)})
	require.NoError(t, err)
	assert.False(t, doc.Meta.Degraded)
	assert.Contains(t, doc.Text, prose[0])
}

func TestInvalidInput(t *testing.T) {
	var n Native
	for name, in := range map[string][]byte{
		"nil":    nil,
		"empty":  {},
		"spaces": []byte(" \n\t "),
		"binary": bytes.Repeat([]byte{0, 1, 2, 3, 0xff, 0xfe, 7}, 200),
	} {
		_, err := n.Extract(context.Background(), Input{HTML: in})
		assert.ErrorIs(t, err, ErrInvalidHTML, name)
	}
	// A frameset page has metadata and no text.
	doc, err := n.Extract(context.Background(), Input{HTML: []byte(`<html><head><title>Frames</title></head><frameset><frame src="a.html"></frameset></html>`)})
	require.NoError(t, err)
	assert.Empty(t, doc.Text)

	// Plain text is a page of text.
	doc, err = n.Extract(context.Background(), Input{HTML: []byte(prose[0])})
	require.NoError(t, err)
	assert.Equal(t, prose[0], doc.Text)
}

func TestResourceLimits(t *testing.T) {
	var n Native
	t.Run("page too large", func(t *testing.T) {
		big := make([]byte, maxInputBytes+1)
		copy(big, "<p>")
		_, err := n.Extract(context.Background(), Input{HTML: big})
		assert.ErrorIs(t, err, ErrResourceLimit)
	})
	t.Run("node budget", func(t *testing.T) {
		html := page(strings.Repeat("<p>"+prose[0]+"</p>", 5000))
		doc, err := n.Extract(context.Background(), Input{HTML: []byte(html), Options: Options{MaxNodes: 2000}})
		require.NoError(t, err)
		assert.True(t, doc.Meta.Degraded)
		assert.Contains(t, doc.Text, prose[0])
		assert.LessOrEqual(t, doc.Meta.NodesVisited, 2000+1024)
	})
	t.Run("token larger than the fallback allows", func(t *testing.T) {
		// Deep nesting forces the token scan; a huge attribute then
		// passes its token limit.
		var b bytes.Buffer
		b.Write(deepPage(600))
		b.WriteString(`<div data-x="`)
		b.Write(bytes.Repeat([]byte("a"), maxTokenBytes+10))
		b.WriteString(`">x</div>`)
		_, err := n.Extract(context.Background(), Input{HTML: b.Bytes()})
		assert.ErrorIs(t, err, ErrResourceLimit)
	})
}

func TestContextCancelled(t *testing.T) {
	var n Native
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := n.Extract(ctx, Input{HTML: []byte(page(paras(3)))})
	assert.ErrorIs(t, err, context.Canceled)

	// Cancelled while reading a large page: the parser stops at the
	// next chunk.
	big := []byte(page(strings.Repeat(para(0), 20000)))
	ctx2, cancel2 := context.WithCancel(context.Background())
	r := &ctxReader{ctx: ctx2, b: big}
	buf := make([]byte, 1<<20)
	k, err := r.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, readChunk, k)
	cancel2()
	_, err = r.Read(buf)
	assert.ErrorIs(t, err, context.Canceled)

	// The token scan checks ctx too.
	_, err = scanTokens(ctx, deepPage(5000), 100)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestCharsets(t *testing.T) {
	latin1 := []byte("<html><head><meta charset=\"iso-8859-1\"></head><body><p>Caf\xe9 cr\xe8me br\xfbl\xe9e, na\xefve r\xe9sum\xe9.</p></body></html>")
	win1252 := []byte("<html><body><p>\x93Quoted\x94 \x96 dash</p></body></html>")
	sjis := []byte("<html><body><p>\x93\xfa\x96\x7b\x8c\xea</p></body></html>") // 日本語
	cases := []struct {
		name, ctype string
		in          []byte
		want        string
	}{
		{"meta charset", "", latin1, "Café crème brûlée, naïve résumé."},
		{"content-type charset", "text/html; charset=windows-1252", win1252, "“Quoted” – dash"},
		{"content-type shift_jis", "text/html; charset=Shift_JIS", sjis, "日本語"},
		{"utf-8 with BOM", "", append([]byte("\xef\xbb\xbf"), []byte("<p>ünïcödé</p>")...), "ünïcödé"},
	}
	var n Native
	for _, tc := range cases {
		doc, err := n.Extract(context.Background(), Input{HTML: tc.in, ContentType: tc.ctype, Options: Options{Mode: ModeFullPage}})
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, doc.Text, tc.name)
	}
}

func TestOutputValidUTF8(t *testing.T) {
	inputs := [][]byte{
		[]byte("<p>broken \xff\xfe utf8 \xc3</p>"),
		[]byte("<p>soft\u00adhyphen and nul \x00 and \u200bzero width</p>"),
		[]byte("<pre>  keep\n   spaces \xed\xa0\x80</pre>"),
	}
	var n Native
	for _, in := range inputs {
		doc, err := n.Extract(context.Background(), Input{HTML: in, Options: Options{Mode: ModeFullPage}})
		require.NoError(t, err)
		assert.True(t, utf8.ValidString(doc.Text), "%q", doc.Text)
		assert.NotContains(t, doc.Text, "\u00ad")
		assert.NotContains(t, doc.Text, "\x00")
	}
}

// BenchmarkPathological shows that hostile pages finish in time linear in
// their size.
func BenchmarkPathological(b *testing.B) {
	cases := map[string][]byte{
		"deep-100k":  deepPage(100_000),
		"attr-8MiB":  []byte(`<html><body><div title="` + strings.Repeat("x", 8<<20) + `">` + prose[0] + `</div></body></html>`),
		"text-8MiB":  []byte(`<html><body><p>` + strings.Repeat("word ", 8<<20/5) + `</p></body></html>`),
		"many-p-1M":  []byte(page(strings.Repeat("<p>a</p>", 1<<20/8))),
		"attr-60MiB": []byte(`<html><body><p data-blob="` + strings.Repeat("y", 60<<20) + `">` + prose[0] + `</p></body></html>`),
		"tags-32MB":  []byte(page(strings.Repeat("<p>a</p>", 4<<20))),
		"page-100MB": append([]byte("<html><body><p>"), make([]byte, 100_000_000)...),
	}
	for name, in := range cases {
		b.Run(name, func(b *testing.B) {
			var n Native
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				_, err := n.Extract(context.Background(), Input{HTML: in})
				if err != nil && !errors.Is(err, ErrResourceLimit) {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestUTF16(t *testing.T) {
	// "<p>hi</p>" in UTF-16LE with a byte order mark.
	in := []byte{0xff, 0xfe}
	for _, r := range "<p>hi there</p>" {
		in = append(in, byte(r), 0)
	}
	var n Native
	doc, err := n.Extract(context.Background(), Input{HTML: in, Options: Options{Mode: ModeFullPage}})
	require.NoError(t, err)
	assert.Equal(t, "hi there", doc.Text)
}
