package extract

import (
	"context"
	"errors"
)

// Mode selects what an extraction keeps.
type Mode string

// Extraction modes. The zero Mode is ModeArticle.
const (
	// ModeArticle keeps the main content (the article body) and drops
	// navigation, comments and other boilerplate.
	ModeArticle Mode = "article"
	// ModeFullPage keeps all visible text of the body.
	ModeFullPage Mode = "full_page"
	// ModeMetadata fills only the metadata fields (no content writers).
	ModeMetadata Mode = "metadata"
	// ModeSelectors keeps the elements matched by Options.Selectors.
	ModeSelectors Mode = "selectors"
)

// Options tune one extraction. The zero value means the defaults.
type Options struct {
	Mode Mode `json:"mode,omitempty"`
	// Selectors are simple CSS selectors (tag, #id, .class, tag.class,
	// [attr], [attr=value], descendant combinator) used by ModeSelectors.
	Selectors []string `json:"selectors,omitempty"`
	// MaxNodes bounds the number of nodes visited; 0 means the default
	// (2,000,000). Past it the extraction returns a degraded result.
	MaxNodes int `json:"max_nodes,omitempty"`
}

// Input is one page to extract.
type Input struct {
	// URL is the page address, used to resolve relative links and to tell
	// internal from external links. It may be empty.
	URL string
	// ContentType is the response's Content-Type, if known; a charset
	// parameter in it is honoured when HTML is not valid UTF-8.
	ContentType string
	// HTML is the page body. It is not modified.
	HTML []byte
	// Header values that carry metadata, if known (Content-Language,
	// Last-Modified, X-Robots-Tag). Optional.
	ContentLanguage string
	LastModified    string
	Options         Options
}

// Extractor turns one HTML page into a [Document].
//
// Implementations must be safe for concurrent use by multiple goroutines.
// Extract honours ctx: when it is cancelled or its deadline passes, Extract
// returns an error that matches ctx.Err() with [errors.Is]. A page that
// cannot be understood yields an error wrapping one of this package's
// sentinels, never a panic.
type Extractor interface {
	Extract(ctx context.Context, in Input) (*Document, error)
}

// Func adapts an ordinary function to the [Extractor] interface.
type Func func(ctx context.Context, in Input) (*Document, error)

// Extract calls f(ctx, in).
func (f Func) Extract(ctx context.Context, in Input) (*Document, error) { return f(ctx, in) }

// Sentinel errors of extraction. Extractors wrap them, so callers test with
// [errors.Is].
var (
	// ErrInvalidHTML: the input is empty or is not markup at all.
	ErrInvalidHTML = errors.New("extract: invalid html")
	// ErrParse: the parser failed and no fallback could recover text.
	ErrParse = errors.New("extract: parse error")
	// ErrResourceLimit: the input passed a size, node or memory limit.
	ErrResourceLimit = errors.New("extract: resource limit")
	// ErrUnsupportedMode: the extractor does not support the Mode asked.
	ErrUnsupportedMode = errors.New("extract: unsupported mode")
	// ErrNoContent: no main content was found.
	ErrNoContent = errors.New("extract: no content")
)
