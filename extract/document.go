package extract

import (
	"encoding/json"
	"time"
)

// Document is what an [Extractor] makes of one HTML page: the main content
// in several forms, the page's metadata and the structured parts of the
// content. Every JSON key is snake_case; empty fields are omitted.
//
// A Document is a plain value: it holds no reference to the parsed tree and
// may be kept, copied or sent across goroutines freely.
type Document struct {
	// URL is the address the page was fetched from (after redirects), or
	// the base URL the caller gave. CanonicalURL is the page's own
	// rel=canonical or og:url, resolved against URL.
	URL          string `json:"url,omitempty"`
	CanonicalURL string `json:"canonical_url,omitempty"`

	Title       string   `json:"title,omitempty"`
	Authors     []string `json:"authors,omitempty"`
	Published   string   `json:"published,omitempty"` // ISO 8601 (RFC 3339 or YYYY-MM-DD)
	Modified    string   `json:"modified,omitempty"`  // ISO 8601
	SiteName    string   `json:"site_name,omitempty"`
	Description string   `json:"description,omitempty"`
	Language    string   `json:"language,omitempty"` // BCP 47 tag, e.g. "en" or "pt-BR"
	Categories  []string `json:"categories,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	Favicon     string   `json:"favicon,omitempty"`
	LeadImage   string   `json:"lead_image,omitempty"`

	// Markdown, Text and HTML are the main content written three ways:
	// CommonMark with GFM tables, plain text with paragraphs separated by a
	// blank line, and cleaned HTML (no scripts, styles, handlers or
	// boilerplate).
	Markdown string `json:"markdown,omitempty"`
	Text     string `json:"text,omitempty"`
	HTML     string `json:"html,omitempty"`

	Links  []Link  `json:"links,omitempty"`
	Media  []Media `json:"media,omitempty"`
	Tables []Table `json:"tables,omitempty"`

	WordCount int `json:"word_count"`
	// ReadingTime is the estimated reading time of Text in whole seconds.
	ReadingTimeSeconds int `json:"reading_time_seconds"`
	// Quality is a 0-100 score of how likely the extracted content is a
	// complete, clean main text; Parts explains it.
	Quality Quality `json:"quality"`

	// Schema holds each schema.org object found on the page (JSON-LD
	// blocks and microdata items) as raw JSON.
	Schema []json.RawMessage `json:"schema,omitempty"`
	// OpenGraph and Twitter hold the og:* and twitter:* meta values, keyed
	// by property name without the prefix ("title", "image", ...).
	OpenGraph map[string]string `json:"open_graph,omitempty"`
	Twitter   map[string]string `json:"twitter,omitempty"`

	// Robots holds the page's meta robots directives (noindex, nofollow...).
	Robots []string `json:"robots,omitempty"`

	Meta Metadata `json:"extraction"`
}

// Link is one hyperlink of the page.
type Link struct {
	URL       string `json:"url"` // absolute
	Text      string `json:"text,omitempty"`
	Rel       string `json:"rel,omitempty"`
	NoFollow  bool   `json:"nofollow,omitempty"`
	External  bool   `json:"external,omitempty"`   // host differs from the page's host
	InContent bool   `json:"in_content,omitempty"` // inside the main content
}

// MediaKind says what a [Media] item is.
type MediaKind string

// Kinds of media.
const (
	MediaImage  MediaKind = "image"
	MediaVideo  MediaKind = "video"
	MediaAudio  MediaKind = "audio"
	MediaIframe MediaKind = "iframe"
	MediaEmbed  MediaKind = "embed"
)

// Media is one image, video, audio, iframe or embed of the main content.
type Media struct {
	Kind    MediaKind `json:"kind"`
	URL     string    `json:"url"` // absolute; for images the best srcset candidate
	Alt     string    `json:"alt,omitempty"`
	Title   string    `json:"title,omitempty"`
	Caption string    `json:"caption,omitempty"`
	Width   int       `json:"width,omitempty"`
	Height  int       `json:"height,omitempty"`
	// Srcset lists every srcset candidate, resolved to absolute URLs.
	Srcset []SrcsetCandidate `json:"srcset,omitempty"`
}

// SrcsetCandidate is one entry of an img srcset attribute.
type SrcsetCandidate struct {
	URL     string  `json:"url"`
	Width   int     `json:"width,omitempty"`   // from a "640w" descriptor
	Density float64 `json:"density,omitempty"` // from a "2x" descriptor
}

// Table is one data table of the main content. Cells spanning several rows
// or columns are repeated in every position they cover, so every row has
// the same number of cells.
type Table struct {
	Caption    string     `json:"caption,omitempty"`
	HeaderRows int        `json:"header_rows"`
	Rows       [][]string `json:"rows"`
}

// Quality is the extraction quality score and its parts. Score is the sum
// of the parts, clamped to 0-100.
type Quality struct {
	Score int            `json:"score"`
	Parts map[string]int `json:"parts,omitempty"`
}

// Metadata describes the extraction itself.
type Metadata struct {
	Engine       string        `json:"engine"`
	Version      string        `json:"version"`
	Duration     time.Duration `json:"duration_ns"`
	NodesVisited int           `json:"nodes_visited"`
	// Degraded is set when the page could not be parsed as a tree (for
	// example nesting deeper than the parser allows) and the text was
	// recovered by a token scan; structure is then missing.
	Degraded bool `json:"degraded,omitempty"`
	// Warnings lists what went wrong without failing the extraction.
	Warnings []string `json:"warnings,omitempty"`
}
