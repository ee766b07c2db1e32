// Package textenc decodes pages to UTF-8 for the extractors.
//
// Built with the riptide_utf8only tag (as the default WebAssembly guest
// is), it carries no charset tables: input that is not UTF-8 has its bad
// bytes replaced. The WebAssembly host decodes every page with the full
// version before a guest sees it, so the guest only ever gets UTF-8.
package textenc

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

var bom = []byte("\xef\xbb\xbf")

// ToUTF8 returns the page as UTF-8. Valid UTF-8 is returned as it is, less
// a byte order mark (no copy); otherwise the encoding is taken from the
// BOM, the Content-Type charset, a <meta> declaration, or a guess, as
// [golang.org/x/net/html/charset.DetermineEncoding] does. The result is
// always valid UTF-8.
func ToUTF8(b []byte, contentType string) []byte {
	if utf8.Valid(b) {
		return bytes.TrimPrefix(b, bom)
	}
	if out, ok := decode(b, contentType); ok && utf8.Valid(out) {
		// A UTF-16 decoder keeps the byte order mark, as U+FEFF.
		return bytes.TrimPrefix(out, bom)
	}
	return []byte(strings.ToValidUTF8(string(b), "\uFFFD"))
}
