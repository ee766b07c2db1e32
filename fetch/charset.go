package fetch

import (
	"bytes"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
)

// acceptedTypes are the media types the fetcher returns.
var acceptedTypes = map[string]bool{
	"text/html":             true,
	"application/xhtml+xml": true,
	"text/plain":            true,
}

// mediaType returns the lower-case media type of a Content-Type value, or
// "" when it is missing or cannot be parsed.
func mediaType(contentType string) string {
	if contentType == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		// Be lenient with broken parameters: the type before ';' decides.
		mt = strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0])
		if !strings.Contains(mt, "/") {
			return ""
		}
	}
	return strings.ToLower(mt)
}

// sniffType guesses the media type of a body that came without one.
func sniffType(body []byte) string {
	if len(body) > 512 {
		body = body[:512]
	}
	if enc := utf16Guess(body); enc != nil {
		if dec, err := enc.NewDecoder().Bytes(body); err == nil {
			body = dec
		}
	}
	return mediaType(http.DetectContentType(body))
}

// utf16Guess recognises UTF-16 text without a byte order mark by the zero
// bytes ASCII characters leave in every other position. It returns nil when
// the body does not look like UTF-16.
func utf16Guess(body []byte) encoding.Encoding {
	n := len(body)
	if n > 1024 {
		n = 1024
	}
	n &^= 1
	if n < 4 || bytes.HasPrefix(body, []byte{0xfe, 0xff}) || bytes.HasPrefix(body, []byte{0xff, 0xfe}) {
		return nil
	}
	evenZero, oddZero := 0, 0
	for i := 0; i < n; i += 2 {
		if body[i] == 0 {
			evenZero++
		}
		if body[i+1] == 0 {
			oddZero++
		}
	}
	pairs := n / 2
	switch {
	case oddZero*10 >= pairs*4 && evenZero*20 < pairs:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case evenZero*10 >= pairs*4 && oddZero*20 < pairs:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	}
	return nil
}

// toUTF8 decodes body to UTF-8 following the HTML standard's order: a
// byte order mark, then the Content-Type charset, then a <meta> charset in
// the first 1024 bytes, then UTF-16 and UTF-8 detection, then
// windows-1252. The output is always valid UTF-8 (bad input bytes become
// U+FFFD) and carries no byte order mark. It returns the charset name.
func toUTF8(body []byte, contentType string) ([]byte, string) {
	var enc encoding.Encoding
	var name string
	_, params, _ := mime.ParseMediaType(contentType)
	declared := false
	if cs := params["charset"]; cs != "" {
		if e, _ := charset.Lookup(cs); e != nil {
			declared = true
		}
	}
	hasBOM := bytes.HasPrefix(body, []byte{0xef, 0xbb, 0xbf}) ||
		bytes.HasPrefix(body, []byte{0xfe, 0xff}) || bytes.HasPrefix(body, []byte{0xff, 0xfe})
	if !declared && !hasBOM {
		if guess := utf16Guess(body); guess != nil {
			enc = guess
			name = "utf-16le"
			if bytes.IndexByte(body[:2], 0) == 0 {
				name = "utf-16be"
			}
		}
	}
	if enc == nil {
		enc, name, _ = charset.DetermineEncoding(body, contentType)
	}
	var out []byte
	if name == "utf-8" {
		out = body
	} else {
		dec, err := enc.NewDecoder().Bytes(body)
		if err != nil {
			// Decoders replace bad input; an error here means a broken
			// decoder state, so fall back to the bytes as UTF-8.
			dec, name = body, "utf-8"
		}
		out = dec
	}
	out = bytes.TrimPrefix(out, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(out) {
		out = bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	return out, name
}
