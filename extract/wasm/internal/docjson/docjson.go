// Package docjson writes an [extract.Document] as JSON without reflection.
//
// It exists for the WebAssembly guest, which returns each document it
// extracts as JSON. encoding/json finds its way through a value by
// reflection, which runs about nine times slower inside WebAssembly than
// natively: encoding took a visible share of each extraction there.
// [AppendDocument] writes the same bytes as a json.Encoder with
// SetEscapeHTML(false), from code written against the types, five to six
// times faster inside WebAssembly.
//
// # Keeping in step with extract.Document
//
// The encoder follows the json tags of [extract.Document] and of the types
// it holds, by hand: key names, field order, omitempty. A field added,
// removed or retagged there must be changed here too. The package's tests
// fill every exported field by reflection and compare the output with
// encoding/json's, so they fail until it is.
package docjson

import (
	"slices"
	"strconv"

	"github.com/riptide-go/riptide/extract"
)

// AppendDocument appends the JSON form of d, as encoding/json writes it
// with HTML escaping off, to b.
//
// The output is byte for byte what a json.Encoder with SetEscapeHTML(false)
// writes, without its trailing newline, wherever encoding/json succeeds; a
// nil d is written as null. Where encoding/json would fail, AppendDocument
// writes a stand-in instead and carries on:
//   - a NaN or infinite float (SrcsetCandidate.Density) is written as 0;
//   - a Schema entry that is not valid JSON is written as null.
//
// AppendDocument allocates only to grow b.
func AppendDocument(b []byte, d *extract.Document) []byte {
	if d == nil {
		return append(b, "null"...)
	}
	// One allocation up front for the bulk of the output, rather than a
	// copy at each doubling of b.
	b = slices.Grow(b, len(d.Markdown)+len(d.Text)+len(d.HTML)+128*(len(d.Links)+len(d.Media))+1024)
	return appendDocument(b, d)
}

// appendDocument writes each field of d with a comma before it, and
// closeObject turns the first comma into the opening brace, so that
// omitted fields need no bookkeeping. The other object writers do the same.
func appendDocument(b []byte, d *extract.Document) []byte {
	start := len(b)
	if d.URL != "" {
		b = append(b, `,"url":`...)
		b = appendString(b, d.URL)
	}
	if d.CanonicalURL != "" {
		b = append(b, `,"canonical_url":`...)
		b = appendString(b, d.CanonicalURL)
	}
	if d.Title != "" {
		b = append(b, `,"title":`...)
		b = appendString(b, d.Title)
	}
	if len(d.Authors) > 0 {
		b = append(b, `,"authors":`...)
		b = appendStrings(b, d.Authors)
	}
	if d.Published != "" {
		b = append(b, `,"published":`...)
		b = appendString(b, d.Published)
	}
	if d.Modified != "" {
		b = append(b, `,"modified":`...)
		b = appendString(b, d.Modified)
	}
	if d.SiteName != "" {
		b = append(b, `,"site_name":`...)
		b = appendString(b, d.SiteName)
	}
	if d.Description != "" {
		b = append(b, `,"description":`...)
		b = appendString(b, d.Description)
	}
	if d.Language != "" {
		b = append(b, `,"language":`...)
		b = appendString(b, d.Language)
	}
	if len(d.Categories) > 0 {
		b = append(b, `,"categories":`...)
		b = appendStrings(b, d.Categories)
	}
	if len(d.Tags) > 0 {
		b = append(b, `,"tags":`...)
		b = appendStrings(b, d.Tags)
	}
	if d.Favicon != "" {
		b = append(b, `,"favicon":`...)
		b = appendString(b, d.Favicon)
	}
	if d.LeadImage != "" {
		b = append(b, `,"lead_image":`...)
		b = appendString(b, d.LeadImage)
	}
	if d.Markdown != "" {
		b = append(b, `,"markdown":`...)
		b = appendString(b, d.Markdown)
	}
	if d.Text != "" {
		b = append(b, `,"text":`...)
		b = appendString(b, d.Text)
	}
	if d.HTML != "" {
		b = append(b, `,"html":`...)
		b = appendString(b, d.HTML)
	}
	if len(d.Links) > 0 {
		b = append(b, `,"links":`...)
		b = appendArray(b, d.Links, appendLink)
	}
	if len(d.Media) > 0 {
		b = append(b, `,"media":`...)
		b = appendArray(b, d.Media, appendMedia)
	}
	if len(d.Tables) > 0 {
		b = append(b, `,"tables":`...)
		b = appendArray(b, d.Tables, appendTable)
	}
	b = append(b, `,"word_count":`...)
	b = strconv.AppendInt(b, int64(d.WordCount), 10)
	b = append(b, `,"reading_time_seconds":`...)
	b = strconv.AppendInt(b, int64(d.ReadingTimeSeconds), 10)
	b = append(b, `,"quality":`...)
	b = appendQuality(b, &d.Quality)
	if len(d.Schema) > 0 {
		b = append(b, `,"schema":`...)
		b = appendArray(b, d.Schema, appendRaw)
	}
	if len(d.OpenGraph) > 0 {
		b = append(b, `,"open_graph":`...)
		b = appendMap(b, d.OpenGraph, appendString)
	}
	if len(d.Twitter) > 0 {
		b = append(b, `,"twitter":`...)
		b = appendMap(b, d.Twitter, appendString)
	}
	if len(d.Robots) > 0 {
		b = append(b, `,"robots":`...)
		b = appendStrings(b, d.Robots)
	}
	b = append(b, `,"extraction":`...)
	b = appendMetadata(b, &d.Meta)
	return closeObject(b, start)
}

func appendLink(b []byte, l *extract.Link) []byte {
	start := len(b)
	b = append(b, `,"url":`...)
	b = appendString(b, l.URL)
	if l.Text != "" {
		b = append(b, `,"text":`...)
		b = appendString(b, l.Text)
	}
	if l.Rel != "" {
		b = append(b, `,"rel":`...)
		b = appendString(b, l.Rel)
	}
	if l.NoFollow {
		b = append(b, `,"nofollow":true`...)
	}
	if l.External {
		b = append(b, `,"external":true`...)
	}
	if l.InContent {
		b = append(b, `,"in_content":true`...)
	}
	return closeObject(b, start)
}

func appendMedia(b []byte, m *extract.Media) []byte {
	start := len(b)
	b = append(b, `,"kind":`...)
	b = appendString(b, string(m.Kind))
	b = append(b, `,"url":`...)
	b = appendString(b, m.URL)
	if m.Alt != "" {
		b = append(b, `,"alt":`...)
		b = appendString(b, m.Alt)
	}
	if m.Title != "" {
		b = append(b, `,"title":`...)
		b = appendString(b, m.Title)
	}
	if m.Caption != "" {
		b = append(b, `,"caption":`...)
		b = appendString(b, m.Caption)
	}
	if m.Width != 0 {
		b = append(b, `,"width":`...)
		b = strconv.AppendInt(b, int64(m.Width), 10)
	}
	if m.Height != 0 {
		b = append(b, `,"height":`...)
		b = strconv.AppendInt(b, int64(m.Height), 10)
	}
	if len(m.Srcset) > 0 {
		b = append(b, `,"srcset":`...)
		b = appendArray(b, m.Srcset, appendSrcsetCandidate)
	}
	return closeObject(b, start)
}

func appendSrcsetCandidate(b []byte, c *extract.SrcsetCandidate) []byte {
	start := len(b)
	b = append(b, `,"url":`...)
	b = appendString(b, c.URL)
	if c.Width != 0 {
		b = append(b, `,"width":`...)
		b = strconv.AppendInt(b, int64(c.Width), 10)
	}
	if c.Density != 0 { // -0 included, as in encoding/json
		b = append(b, `,"density":`...)
		b = appendFloat(b, c.Density)
	}
	return closeObject(b, start)
}

func appendTable(b []byte, t *extract.Table) []byte {
	start := len(b)
	if t.Caption != "" {
		b = append(b, `,"caption":`...)
		b = appendString(b, t.Caption)
	}
	b = append(b, `,"header_rows":`...)
	b = strconv.AppendInt(b, int64(t.HeaderRows), 10)
	b = append(b, `,"rows":`...)
	b = appendArray(b, t.Rows, func(b []byte, row *[]string) []byte { return appendStrings(b, *row) })
	return closeObject(b, start)
}

func appendQuality(b []byte, q *extract.Quality) []byte {
	start := len(b)
	b = append(b, `,"score":`...)
	b = strconv.AppendInt(b, int64(q.Score), 10)
	if len(q.Parts) > 0 {
		b = append(b, `,"parts":`...)
		b = appendMap(b, q.Parts, appendInt)
	}
	return closeObject(b, start)
}

func appendMetadata(b []byte, m *extract.Metadata) []byte {
	start := len(b)
	b = append(b, `,"engine":`...)
	b = appendString(b, m.Engine)
	b = append(b, `,"version":`...)
	b = appendString(b, m.Version)
	b = append(b, `,"duration_ns":`...)
	b = strconv.AppendInt(b, int64(m.Duration), 10)
	b = append(b, `,"nodes_visited":`...)
	b = strconv.AppendInt(b, int64(m.NodesVisited), 10)
	if m.Degraded {
		b = append(b, `,"degraded":true`...)
	}
	if len(m.Warnings) > 0 {
		b = append(b, `,"warnings":`...)
		b = appendStrings(b, m.Warnings)
	}
	return closeObject(b, start)
}
