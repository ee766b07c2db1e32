package textenc_test

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"github.com/riptide-go/riptide/extract/internal/textenc"
)

func enc(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

func TestToUTF8(t *testing.T) {
	const text = "<p>Café crème, naïve</p>"
	for _, tc := range []struct {
		name, contentType string
		in                []byte
		want              string
	}{
		{"utf-8", "text/html", []byte(text), text},
		{"utf-8 with BOM", "", append([]byte("\xef\xbb\xbf"), text...), text},
		{"windows-1252 by header", "text/html; charset=windows-1252", enc(t, charmap.Windows1252, text), text},
		{"latin-1 by meta", "text/html", enc(t, charmap.Windows1252, `<meta charset="iso-8859-1">`+text), `<meta charset="iso-8859-1">` + text},
		{"shift_jis by meta", "", enc(t, japanese.ShiftJIS, `<meta charset="shift_jis"><p>日本語のページ</p>`), `<meta charset="shift_jis"><p>日本語のページ</p>`},
		{"utf-16le with BOM", "", enc(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), text), text},
		{"undeclared, not utf-8: windows-1252 guess", "", []byte("<p>Caf\xe9</p>"), "<p>Café</p>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := textenc.ToUTF8(tc.in, tc.contentType)
			assert.Equal(t, tc.want, string(got))
			assert.True(t, utf8.Valid(got))
		})
	}
}

func TestToUTF8NoCopy(t *testing.T) {
	in := []byte("<p>déjà</p>")
	out := textenc.ToUTF8(in, "text/html; charset=utf-8")
	assert.Same(t, &in[0], &out[0], "valid UTF-8 is returned as it is")
}

// TestToUTF8Broken: a page declared UTF-8 with bad bytes comes out valid,
// the bad bytes replaced.
func TestToUTF8Broken(t *testing.T) {
	got := textenc.ToUTF8([]byte("<p>ok \xff\xfe then \xc3</p>"), "text/html; charset=utf-8")
	assert.True(t, utf8.Valid(got))
	assert.Contains(t, string(got), "ok ")
	assert.Contains(t, string(got), " then ")
}
