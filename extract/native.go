package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/riptide-go/riptide/extract/internal/textenc"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Version is the native engine's version, reported in Document.Meta.
const Version = "0.1.0"

// MaxInputBytes is the largest page the extractors accept: a bigger
// Input.HTML fails with ErrResourceLimit before any work.
const MaxInputBytes = 64 << 20

// Native is the built-in extraction engine. Its zero value is ready to use
// and it is safe for concurrent use.
type Native struct{}

var _ Extractor = (*Native)(nil)

// contentStats describe the main-content detection, for the quality score.
type contentStats struct {
	ContentFound bool
	TextChars    int // collapsed characters of the content's text
	LinkChars    int // part of TextChars inside links
	Paragraphs   int // <p> elements with text in the content
	Headings     int // h1-h6 elements in the content
	NodesVisited int // elements and text nodes walked
	Degraded     bool
	// PageTextChars is the visible text of the whole body, so that
	// TextChars/PageTextChars is the share of the page kept as content.
	PageTextChars int
	// BoilerplateChars is the part of PageTextChars under elements
	// marked as boilerplate (navigation, comments, share bars...).
	BoilerplateChars int
}

// Extract parses in.HTML and returns its Document.
//
// The page is decoded to UTF-8 when it is not already (BOM, Content-Type
// charset, <meta> declaration), parsed, and its main content found as
// in.Options.Mode asks. Pages the tree parser rejects are read token by
// token instead, and the Document is marked Meta.Degraded.
func (n *Native) Extract(ctx context.Context, in Input) (*Document, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sels, err := checkMode(in.Options)
	if err != nil {
		return nil, err
	}
	if len(in.HTML) > maxInputBytes {
		return nil, errResourcef("page of %d bytes is larger than %d", len(in.HTML), maxInputBytes)
	}
	if !looksLikeMarkup(in.HTML) {
		return nil, ErrInvalidHTML
	}
	limit := in.Options.MaxNodes
	if limit <= 0 {
		limit = defaultMaxNodes
	}
	page := textenc.ToUTF8(in.HTML, in.ContentType)
	// The text of scripts and styles is never read (JSON-LD aside):
	// leaving it out halves what the parser reads on a typical page.
	root, degraded, err := parsePage(ctx, elideRawText(page), limit)
	if err != nil {
		return nil, err
	}
	return extractParsed(ctx, in, sels, limit, page, root, degraded, start)
}

// ExtractNode returns the Document of a page that is already parsed, as
// root, by [html.Parse] or a library built on it (goquery's Document
// holds such a tree), so the page is not parsed a second time. root is
// not modified, and nothing in the Document refers to it.
//
// in.HTML is optional. When set it must be the page root was parsed
// from: a page whose content is mostly inside <noscript> is then parsed
// again with scripting off, as [Native.Extract] does. The other fields of
// in are used as Extract uses them, and in.Options.MaxNodes bounds the
// nodes visited.
func (n *Native) ExtractNode(ctx context.Context, in Input, root *html.Node) (*Document, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if root == nil {
		return nil, fmt.Errorf("%w: no tree", ErrInvalidHTML)
	}
	sels, err := checkMode(in.Options)
	if err != nil {
		return nil, err
	}
	if len(in.HTML) > maxInputBytes {
		return nil, errResourcef("page of %d bytes is larger than %d", len(in.HTML), maxInputBytes)
	}
	limit := in.Options.MaxNodes
	if limit <= 0 {
		limit = defaultMaxNodes
	}
	return extractParsed(ctx, in, sels, limit, nil, root, false, start)
}

// checkMode checks o.Mode, and parses o.Selectors for ModeSelectors.
func checkMode(o Options) ([]selector, error) {
	switch o.Mode {
	case "", ModeArticle, ModeFullPage, ModeMetadata:
		return nil, nil
	case ModeSelectors:
		return parseSelectors(o.Selectors)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedMode, o.Mode)
	}
}

// extractParsed finishes Extract once the page (as UTF-8) is parsed to
// root. A nil page is decoded from in.HTML if it is needed (a page whose
// content may be in <noscript>).
func extractParsed(ctx context.Context, in Input, sels []selector, limit int, page []byte, root *html.Node, degraded bool, start time.Time) (*Document, error) {
	mode := in.Options.Mode
	body := findElement(root, atom.Body)
	if body == nil || body.FirstChild == nil {
		if !hasHeadContent(root) {
			return nil, ErrInvalidHTML
		}
		if body == nil {
			// A frameset page: metadata, and no content of its own.
			body = newElement(atom.Body)
		}
	}
	base, _ := url.Parse(in.URL)
	if base == nil {
		base = &url.URL{}
	}
	// A <base href> changes how the page's relative URLs resolve, as in
	// a browser.
	base = documentBase(root, base)
	doc := &Document{URL: in.URL}
	readMetadata(root, base, in, doc)
	warnings := doc.Meta.Warnings // invalid JSON-LD blocks and the like
	if degraded {
		warnings = append(warnings, "page not parsed as a tree; text recovered by a token scan")
	}
	if mode == ModeMetadata {
		doc.Meta = Metadata{Engine: "native", Version: Version, Duration: time.Since(start), Degraded: degraded, Warnings: warnings}
		return doc, nil
	}

	s := getScorer(ctx, limit)
	defer putScorer(s)
	s.title = pageTitle(root)
	s.walk(body)
	if s.err != nil {
		if errors.Is(s.err, ErrResourceLimit) {
			degraded = true
			warnings = append(warnings, fmt.Sprintf("node budget of %d exhausted; content from the first part of the page", limit))
		} else {
			return nil, s.err
		}
	}
	content, stats, err := s.detect(ctx, mode, degraded, sels)
	if err != nil {
		return nil, err
	}
	if !degraded && mode != ModeSelectors && stats.TextChars < noscriptRetry && s.ariaHidden > 0 {
		// Little text, and aria-hidden elements skipped: a page showing
		// a dialog hides its whole wrapper that way. Walk them too.
		s.showAria = true
		s.walk(body)
		if s.err == nil {
			if c2, st2, err := s.detect(ctx, mode, false, nil); err == nil && st2.TextChars > stats.TextChars {
				content, stats = c2, st2
				warnings = append(warnings, "content read from aria-hidden elements")
			}
		}
		s.showAria = false
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	retry := !degraded && mode != ModeSelectors && stats.TextChars < noscriptRetry
	if retry && page == nil {
		page = textenc.ToUTF8(in.HTML, in.ContentType)
	}
	if retry && containsFoldBytes(page, "<noscript") {
		// Little text, and a <noscript>: the page may keep its text
		// there for readers without scripts. Parse again with
		// scripting off, so that it is markup, and keep what says more.
		if root2, err := html.ParseWithOptions(&ctxReader{ctx: ctx, b: page}, html.ParseOptionEnableScripting(false)); err == nil {
			if body2 := findElement(root2, atom.Body); body2 != nil {
				s.noscript = true
				s.walk(body2)
				if s.err == nil {
					if c2, st2, err := s.detect(ctx, mode, false, nil); err == nil && st2.TextChars > stats.TextChars {
						content, stats = c2, st2
						warnings = append(warnings, "content read from <noscript>")
					}
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if stats.PageTextChars == 0 && len(s.infos) > 0 {
		stats.PageTextChars = int(s.infos[0].text)
	}
	stats.NodesVisited = s.visited
	stats.Degraded = degraded
	if !stats.ContentFound {
		warnings = append(warnings, "no main content found")
	}
	if mode == ModeFullPage {
		doc.Text = writeTextCaptions(content, true)
	} else {
		doc.Text = writeText(content)
	}
	doc.Markdown = writeMarkdown(content, base)
	doc.HTML = writeHTML(content, base)
	// content is a detached copy of the main content, so links are
	// marked in-content by being found under content, not by ancestry in
	// root.
	doc.Links = collectLinks(root, content, base)
	doc.Media = collectMedia(content, base)
	doc.Tables = collectTables(content)
	doc.Quality = scoreQuality(doc, stats)
	doc.Meta = Metadata{
		Engine: "native", Version: Version, Duration: time.Since(start),
		NodesVisited: s.visited, Degraded: degraded, Warnings: warnings,
	}
	return doc, nil
}

// noscriptRetry: below this many characters of content, a page with a
// <noscript> is parsed again with scripting off.
const noscriptRetry = 200

// detect finds the content after s.walk, as mode asks.
func (s *scorer) detect(ctx context.Context, mode Mode, degraded bool, sels []selector) (*html.Node, contentStats, error) {
	var content *html.Node
	var stats contentStats
	switch {
	case mode == ModeSelectors:
		content, stats = s.selectContent(sels)
		if err := ctx.Err(); err != nil {
			return nil, stats, err
		}
	case mode == ModeFullPage || degraded:
		content, stats = s.copyContent(0, true)
	default:
		best := s.choose()
		content, stats = s.copyContent(best, false)
		if !stats.ContentFound && best != 0 {
			content, stats = s.copyContent(0, true)
		}
		stats.PageTextChars = int(s.infos[0].text)
		stats.BoilerplateChars = s.boilerChars()
	}
	return content, stats, nil
}

// containsFoldBytes reports whether b holds sub, ASCII case folded.
func containsFoldBytes(b []byte, sub string) bool {
	for i := 0; i+len(sub) <= len(b); i++ {
		j := bytes.IndexByte(b[i:], sub[0])
		if j < 0 {
			return false
		}
		i += j
		if i+len(sub) > len(b) {
			return false
		}
		k := 0
		for k < len(sub) && b[i+k]|0x20 == sub[k]|0x20 {
			k++
		}
		if k == len(sub) {
			return true
		}
	}
	return false
}

// scorers recycles the detection state (the element slice and the class
// cache) between extractions.
var scorers = sync.Pool{New: func() any { return &scorer{classes: make(map[string]uint32, 256)} }}

func getScorer(ctx context.Context, limit int) *scorer {
	s := scorers.Get().(*scorer)
	s.ctx, s.limit = ctx, limit
	return s
}

// putScorer clears s of every reference into the page and pools it,
// unless a huge page made it too big to keep.
func putScorer(s *scorer) {
	if cap(s.infos) > 1<<16 {
		return
	}
	clear(s.infos)
	s.infos = s.infos[:0]
	clear(s.classes)
	s.ctx, s.err, s.visited, s.title, s.noscript, s.showAria = nil, nil, 0, "", false, false
	scorers.Put(s)
}

// boilerChars sums the text under effective boilerplate marks.
func (s *scorer) boilerChars() int {
	n := 0
	for i := 0; i < len(s.infos); {
		if s.infos[i].flags&fBoiler != 0 {
			n += int(s.infos[i].text)
			i = int(s.infos[i].end)
			continue
		}
		i++
	}
	return n
}

// findElement returns the first element a in document order, looking
// only at the top levels where html, head and body live.
func findElement(root *html.Node, a atom.Atom) *html.Node {
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if c.DataAtom == a {
			return c
		}
		if c.DataAtom == atom.Html {
			if f := findElement(c, a); f != nil {
				return f
			}
		}
	}
	return nil
}

// hasHeadContent reports whether the head holds any element (a page of
// metadata only is still a page).
func hasHeadContent(root *html.Node) bool {
	h := findElement(root, atom.Head)
	if h == nil {
		return false
	}
	for c := h.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			return true
		}
	}
	return false
}

// errResourcef returns an error wrapping ErrResourceLimit.
func errResourcef(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrResourceLimit}, args...)...)
}
