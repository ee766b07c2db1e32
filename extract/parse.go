package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/riptide-go/riptide/extract/internal/pageparse"
	"golang.org/x/net/html"
)

func init() {
	pageparse.Parse = func(ctx context.Context, page []byte, maxNodes int) (*html.Node, bool, error) {
		if !looksLikeMarkup(page) {
			return nil, false, ErrInvalidHTML
		}
		if maxNodes <= 0 {
			maxNodes = defaultMaxNodes
		}
		return parsePage(ctx, elideRawText(page), maxNodes)
	}
}

// Limits on the input. They bound time and memory whatever the page.
const (
	// maxInputBytes is the largest page accepted; bigger inputs fail with
	// ErrResourceLimit before any work.
	maxInputBytes = MaxInputBytes
	// maxTokenBytes bounds one token (a tag with its attributes, or a
	// text run) in the token-scan fallback.
	maxTokenBytes = 16 << 20
	// defaultMaxNodes is the node budget when Options.MaxNodes is 0.
	defaultMaxNodes = 2_000_000
	// readChunk is the most the parser reads at once; ctx is checked
	// between reads.
	readChunk = 64 << 10
)

// ctxReader hands the input to the parser in bounded chunks and stops
// with ctx's error once ctx is done.
type ctxReader struct {
	ctx context.Context
	b   []byte
}

func (r *ctxReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) > readChunk {
		p = p[:readChunk]
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// errTooDeep is how x/net/html reports nesting past its limit.
const errTooDeepText = "open stack of elements exceeds"

// parsePage parses b (UTF-8). When the tree parser gives up (nesting
// deeper than it allows, or any other parser error), the page is scanned
// token by token instead, and degraded is true.
//
// A page with more tags than maxNodes is not parsed as a tree at all (the
// tree would cost memory in proportion): it is scanned, and degraded.
func parsePage(ctx context.Context, b []byte, maxNodes int) (root *html.Node, degraded bool, err error) {
	var perr error
	// A page cannot hold more tags than bytes: most are not counted.
	if len(b) <= maxNodes || bytes.Count(b, []byte{'<'}) <= maxNodes {
		root, err = html.ParseWithOptions(&ctxReader{ctx: ctx, b: b})
		if err == nil {
			return root, false, nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return nil, false, cerr
		}
		perr = err
	} else {
		perr = errResourcef("more than %d tags", maxNodes)
	}
	root, err = scanTokens(ctx, b, max(maxNodes/8, 2))
	if err != nil {
		if errors.Is(err, ErrResourceLimit) || ctx.Err() != nil {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("%w: %v; fallback: %v", ErrParse, perr, err)
	}
	return root, true, nil
}

// looksLikeMarkup reports whether b could be a page: not only white
// space, and not binary (too many control bytes in the first kilobyte).
// A UTF-16 byte order mark is taken at its word.
func looksLikeMarkup(b []byte) bool {
	if len(bytes.TrimSpace(b)) == 0 {
		return false
	}
	if bytes.HasPrefix(b, []byte{0xff, 0xfe}) || bytes.HasPrefix(b, []byte{0xfe, 0xff}) {
		return true
	}
	head := b
	if len(head) > 1024 {
		head = head[:1024]
	}
	ctl := 0
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' {
			ctl++
		}
	}
	return ctl*10 < len(head)
}
