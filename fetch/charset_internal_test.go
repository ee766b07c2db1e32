package fetch

import (
	"testing"
	"unicode/utf8"
)

// FuzzToUTF8: whatever the bytes and the declared charset, the output is
// valid UTF-8 and at most three times the input (plus one replacement
// character for a trailing partial sequence).
func FuzzToUTF8(f *testing.F) {
	for _, s := range []struct{ body, ct string }{
		{"<p>caf\xe9</p>", "text/html; charset=windows-1252"},
		{"\xff\xfe<\x00p\x00>\x00", "text/html"},
		{"<\x00h\x00t\x00m\x00l\x00>\x00", "text/html"},
		{"A", "text/html; charset=utf-16le"},
		{"<meta charset=shift_jis>\x82\xa0\x82", "text/html"},
		{"\xef\xbb\xbf\xff", "text/plain; charset=iso-2022-jp"},
		{"\x1b$B\x1b(J\x1b$", "text/html; charset=iso-2022-jp"},
	} {
		f.Add([]byte(s.body), s.ct)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		out, name := toUTF8(body, contentType)
		if !utf8.Valid(out) {
			t.Fatalf("invalid utf-8 output for charset %s", name)
		}
		if len(out) > 3*len(body)+3 {
			t.Fatalf("output %d bytes for %d input bytes (%s)", len(out), len(body), name)
		}
		if name == "" {
			t.Fatal("no charset name")
		}
	})
}
