// Package sitemap reads sitemaps (the sitemaps.org protocol): URL sets and
// sitemap indexes, plain or gzip-compressed, within fixed bounds.
package sitemap

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// MaxURLs is the most URLs one sitemap may list (the protocol's limit).
const MaxURLs = 50000

// MaxBytes bounds a decompressed sitemap (the protocol's 50 MB limit).
const MaxBytes = 50 << 20

// ErrTooLarge reports a sitemap past MaxBytes once decompressed.
var ErrTooLarge = errors.New("sitemap: too large")

// Sitemap is what one sitemap document lists: page URLs (from a urlset)
// and further sitemaps (from a sitemapindex).
type Sitemap struct {
	URLs     []string
	Sitemaps []string
}

// Parse reads a sitemap document. Gzip-compressed input is decompressed.
// Entries past MaxURLs are ignored; malformed XML ends the parse with what
// was read so far and the error.
func Parse(body []byte) (Sitemap, error) {
	var out Sitemap
	var r io.Reader = bytes.NewReader(body)
	if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return out, err
		}
		defer zr.Close()
		data, err := io.ReadAll(io.LimitReader(zr, MaxBytes+1))
		if err != nil {
			return out, err
		}
		if len(data) > MaxBytes {
			return out, ErrTooLarge
		}
		r = bytes.NewReader(data)
	}
	dec := xml.NewDecoder(r)
	dec.Strict = false
	var inSitemap, inURL, inLoc bool
	var loc strings.Builder
	for len(out.URLs)+len(out.Sitemaps) < MaxURLs {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "sitemap":
				inSitemap = true
			case "url":
				inURL = true
			case "loc":
				inLoc = true
				loc.Reset()
			}
		case xml.CharData:
			if inLoc && loc.Len() < 4096 {
				loc.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "loc":
				inLoc = false
				u := strings.TrimSpace(loc.String())
				switch {
				case u == "":
				case inSitemap:
					out.Sitemaps = append(out.Sitemaps, u)
				case inURL:
					out.URLs = append(out.URLs, u)
				}
			case "sitemap":
				inSitemap = false
			case "url":
				inURL = false
			}
		}
	}
	return out, nil
}
