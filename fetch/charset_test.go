package fetch_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"github.com/riptide-go/riptide/fetch"
)

func utf16(t *testing.T, s string, bigEndian, bom bool) []byte {
	t.Helper()
	e := unicode.LittleEndian
	if bigEndian {
		e = unicode.BigEndian
	}
	b := unicode.IgnoreBOM
	if bom {
		b = unicode.UseBOM
	}
	out, err := unicode.UTF16(e, b).NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return out
}

func TestCharsets(t *testing.T) {
	sjis, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte("<p>日本語のページ</p>"))
	require.NoError(t, err)
	page := "<html><head><title>Café</title></head><body><p>Crème brûlée — “quotes”</p></body></html>"
	cases := []struct {
		name        string
		contentType string
		body        []byte
		want        string // substring of the decoded body
		charset     string
	}{
		{"utf-8 header", "text/html; charset=utf-8", []byte(page), "Crème brûlée — “quotes”", "utf-8"},
		{"windows-1252 header", "text/html; charset=windows-1252", []byte("<p>Cr\xe8me \x93q\x94 \x80</p>"), "Crème “q” €", "windows-1252"},
		{"latin1 label means windows-1252", "text/html; charset=ISO-8859-1", []byte("<p>\x93x\x94</p>"), "“x”", "windows-1252"},
		{"meta charset", "text/html", []byte("<meta charset=\"windows-1252\"><p>caf\xe9</p>"), "café", "windows-1252"},
		{"meta http-equiv", "text/html", []byte(`<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">` + string(sjis)), "日本語のページ", "shift_jis"},
		{"shift_jis header", "text/html; charset=Shift_JIS", sjis, "日本語のページ", "shift_jis"},
		{"header beats meta", "text/html; charset=utf-8", []byte(`<meta charset="windows-1252"><p>café</p>`), "café", "utf-8"},
		{"bom beats header", "text/html; charset=windows-1252", append([]byte("\xef\xbb\xbf"), "<p>café</p>"...), "<p>café</p>", "utf-8"},
		{"utf-16le bom beats header and meta", "text/html; charset=windows-1252", utf16(t, `<meta charset="shift_jis"><p>café</p>`, false, true), "<p>café</p>", "utf-16le"},
		{"utf-16be bom", "text/html", utf16(t, "<p>café ☃</p>", true, true), "<p>café ☃</p>", "utf-16be"},
		{"utf-16le without bom", "text/html", utf16(t, "<html><p>café ☃</p></html>", false, false), "<p>café ☃</p>", "utf-16le"},
		{"utf-16be without bom", "text/html", utf16(t, "<html><p>café ☃</p></html>", true, false), "<p>café ☃</p>", "utf-16be"},
		{"invalid utf-8 declared", "text/html; charset=utf-8", []byte("<p>a\xff\xfeb\xc3</p>"), "a\uFFFDb\uFFFD", "utf-8"},
		{"undeclared utf-8 detected", "text/html", []byte("<p>naïve</p>"), "naïve", "utf-8"},
		{"undeclared high bytes fall back to windows-1252", "text/html", []byte("<p>na\xefve</p>"), "naïve", "windows-1252"},
		{"unknown charset label ignored", "text/html; charset=x-bogus", []byte(`<meta charset="utf-8"><p>ü</p>`), "ü", "utf-8"},
		{"lone byte", "text/html; charset=utf-16le", []byte{0x41}, "\uFFFD", "utf-16le"},
		{"text/plain", "text/plain; charset=windows-1252", []byte("caf\xe9"), "café", "windows-1252"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", c.contentType)
				_, _ = w.Write(c.body)
			}))
			defer srv.Close()
			f := open(t, fetch.Config{IgnoreRobots: true})
			resp, err := get(f, srv.URL)
			require.NoError(t, err)
			assert.True(t, utf8.Valid(resp.Body), "output is valid utf-8")
			assert.False(t, bytes.HasPrefix(resp.Body, []byte("\xef\xbb\xbf")), "no bom in output")
			assert.Contains(t, string(resp.Body), c.want)
			assert.Equal(t, c.charset, resp.Charset)
			assert.LessOrEqual(t, len(resp.Body), 3*len(c.body)+3)
		})
	}
}

func TestContentTypes(t *testing.T) {
	cases := []struct {
		contentType string
		body        string
		want        string // media type, or "" for refused
	}{
		{"text/html", "<p>x</p>", "text/html"},
		{"TEXT/HTML; charset=utf-8", "<p>x</p>", "text/html"},
		{"application/xhtml+xml", "<html/>", "application/xhtml+xml"},
		{"text/plain", "x", "text/plain"},
		{"", "<!DOCTYPE html><p>sniffed</p>", "text/html"},
		{"", "just words", "text/plain"},
		{"", "%PDF-1.4 binary", ""},
		{"application/pdf", "%PDF-1.4", ""},
		{"image/png", "\x89PNG", ""},
		{"application/json", "{}", ""},
	}
	for _, c := range cases {
		t.Run(c.contentType+"/"+c.body, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if c.contentType == "" {
					w.Header()["Content-Type"] = nil // no sniffing by the server
				} else {
					w.Header().Set("Content-Type", c.contentType)
				}
				_, _ = w.Write([]byte(c.body))
			}))
			defer srv.Close()
			f := open(t, fetch.Config{IgnoreRobots: true})
			resp, err := get(f, srv.URL)
			if c.want == "" {
				require.ErrorIs(t, err, fetch.ErrUnsupportedType)
				assert.False(t, fetch.Retryable(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, resp.ContentType)
		})
	}
	t.Run("type named in the error", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/pdf")
		}))
		defer srv.Close()
		f := open(t, fetch.Config{IgnoreRobots: true})
		_, err := get(f, srv.URL)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "application/pdf")
	})
}
