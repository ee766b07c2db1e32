//go:build !riptide_utf8only

package textenc

import "golang.org/x/net/html/charset"

// decode converts b from the encoding its BOM, contentType or <meta>
// declares (or a guess).
func decode(b []byte, contentType string) ([]byte, bool) {
	enc, _, _ := charset.DetermineEncoding(b, contentType)
	out, err := enc.NewDecoder().Bytes(b)
	return out, err == nil
}
