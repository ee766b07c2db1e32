package extract

import (
	"context"
	"net/url"
	"time"

	"golang.org/x/net/html"
)

// Version is the native engine's version, reported in Document.Meta.
const Version = "0.1.0"

// Native is the built-in extraction engine. Its zero value is ready to use
// and it is safe for concurrent use.
type Native struct{}

var _ Extractor = (*Native)(nil)

// contentStats describe the main-content detection, for the quality score.
type contentStats struct {
	ContentFound bool
	TextChars    int
	LinkChars    int
	Paragraphs   int
	Headings     int
	NodesVisited int
	Degraded     bool
}

// Extract parses in.HTML and returns its Document.
func (n *Native) Extract(ctx context.Context, in Input) (*Document, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	base, _ := url.Parse(in.URL)
	if base == nil {
		base = &url.URL{}
	}
	root, err := html.Parse(bytesReader(in.HTML))
	if err != nil {
		return nil, err
	}
	doc := &Document{URL: in.URL}
	readMetadata(root, base, in, doc)
	content := root
	doc.Text = writeText(content)
	doc.Markdown = writeMarkdown(content, base)
	doc.HTML = writeHTML(content, base)
	doc.Links = collectLinks(root, content, base)
	doc.Media = collectMedia(content, base)
	doc.Tables = collectTables(content)
	doc.Quality = scoreQuality(doc, contentStats{})
	doc.Meta = Metadata{Engine: "native", Version: Version, Duration: time.Since(start)}
	return doc, nil
}
