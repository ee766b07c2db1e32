// Command guest is riptide's default extraction module: the native engine
// ([extract.Native]) compiled to a WASI preview 1 reactor that speaks the
// guest ABI documented in package [github.com/riptide-go/riptide/extract/wasm].
//
// It is built, and embedded as extract/wasm/default.wasm, by
//
//	go generate ./extract/wasm
//
// The request/response logic lives in this portable file so it can be
// tested natively; exports_wasip1.go only adds the //go:wasmexport
// wrappers that move bytes across linear memory.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm/htmltree"
	"github.com/riptide-go/riptide/extract/wasm/internal/docjson"
	"golang.org/x/net/html"
)

// abiVersion is the guest ABI version this module implements.
const abiVersion = 1

// info is what riptide_info returns.
// "tree" asks the host for the page's parse tree (htmltree's format)
// alongside the page: parsing is most of an extraction's work, and the
// host parses natively.
var info = []byte(`{"name":"riptide-native","version":"` + extract.Version + `","modes":["article","full_page","metadata","selectors"],"tree":1}`)

func main() {}

// request is the JSON header that precedes the raw HTML (and the parsed
// tree, if any) in a request buffer.
type request struct {
	URL             string          `json:"url"`
	ContentType     string          `json:"content_type"`
	ContentLanguage string          `json:"content_language"`
	LastModified    string          `json:"last_modified"`
	HTMLLen         int             `json:"html_len"`
	TreeLen         int             `json:"tree_len"`
	Options         extract.Options `json:"options"`
	Limits          struct {
		MemoryBytes int64 `json:"memory_bytes"`
		TimeoutNS   int64 `json:"timeout_ns"`
	} `json:"limits"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type response struct {
	Document *extract.Document `json:"document,omitempty"`
	Error    *errorBody        `json:"error,omitempty"`
}

// guest holds the state kept between calls: the response buffer (valid
// until the next call), the memory limit already applied and where the
// last collection left the allocation count.
type guest struct {
	native   extract.Native
	doc      []byte       // a document response
	out      bytes.Buffer // an error response
	memLimit int64
	gcMark   uint64 // allocated bytes at the end of the last collection
}

// The collector does not run while a document is extracted: the
// automatic collector is off, and handle collects between documents once
// gcBudget bytes were allocated since the last collection. A document's
// garbage is short-lived, and on the single-threaded wasm runtime a
// collection that overlaps the extraction is paid for by the extraction
// itself (write barriers and mark assists, about 8% of a document's time),
// while one between documents only marks the little that stays live.
// The soft memory limit, 3/4 of the linear memory limit the host tells
// (of defaultMemoryLimit until it does), still collects in the middle of a
// document that allocates that much.
const (
	gcBudget           = 16 << 20
	defaultMemoryLimit = 256 << 20
)

func init() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(defaultMemoryLimit / 4 * 3)
}

// allocated is the runtime's count of bytes allocated since it started.
var allocated = []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}

// collect runs the collector if gcBudget bytes were allocated since
// the last time it did.
func (g *guest) collect() {
	metrics.Read(allocated)
	if allocated[0].Value.Uint64()-g.gcMark < gcBudget {
		return
	}
	runtime.GC()
	metrics.Read(allocated)
	g.gcMark = allocated[0].Value.Uint64()
}

// handle decodes one request buffer (u32 LE header length, header JSON,
// raw HTML, tree) and returns the JSON response, after collecting the
// previous documents' garbage if it is time. The returned slice is g's
// and stays valid until the next call.
func (g *guest) handle(buf []byte) []byte {
	g.collect()
	resp := g.extract(buf)
	g.out.Reset()
	if resp.Document != nil {
		// The usual answer, without reflection (six times faster in
		// WebAssembly), into a buffer kept between calls; errors are rare
		// and go through encoding/json.
		g.doc = append(g.doc[:0], `{"document":`...)
		g.doc = docjson.AppendDocument(g.doc, resp.Document)
		g.doc = append(g.doc, "}\n"...)
		return g.doc
	}
	enc := json.NewEncoder(&g.out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		g.out.Reset()
		_ = enc.Encode(response{Error: &errorBody{Code: "internal", Message: "encode response: " + err.Error()}})
	}
	return g.out.Bytes()
}

func (g *guest) extract(buf []byte) (resp response) {
	defer func() {
		if r := recover(); r != nil {
			resp = response{Error: &errorBody{Code: "internal", Message: "guest panic"}}
		}
	}()
	if len(buf) < 4 {
		return response{Error: &errorBody{Code: "internal", Message: "request shorter than its header length"}}
	}
	hl := int(binary.LittleEndian.Uint32(buf))
	if hl > len(buf)-4 {
		return response{Error: &errorBody{Code: "internal", Message: "request header length past the buffer"}}
	}
	var req request
	if err := json.Unmarshal(buf[4:4+hl], &req); err != nil {
		return response{Error: &errorBody{Code: "internal", Message: "decode request: " + err.Error()}}
	}
	page := buf[4+hl:]
	if req.HTMLLen < 0 || req.TreeLen < 0 || req.HTMLLen+req.TreeLen != len(page) {
		return response{Error: &errorBody{Code: "internal", Message: "html_len and tree_len do not match the buffer"}}
	}
	var root *html.Node
	if req.TreeLen > 0 {
		var err error
		if root, err = htmltree.Decode(page[req.HTMLLen:]); err != nil {
			return response{Error: &errorBody{Code: "internal", Message: "decode tree: " + err.Error()}}
		}
	}
	page = page[:req.HTMLLen]
	if l := req.Limits.MemoryBytes; l > 0 && l != g.memLimit {
		g.memLimit = l
		debug.SetMemoryLimit(l / 4 * 3)
	}
	ctx := context.Background()
	if req.Limits.TimeoutNS > 0 {
		ctx = &deadlineCtx{Context: ctx, deadline: time.Now().Add(time.Duration(req.Limits.TimeoutNS))}
	}
	in := extract.Input{
		URL:             req.URL,
		ContentType:     req.ContentType,
		HTML:            page,
		ContentLanguage: req.ContentLanguage,
		LastModified:    req.LastModified,
		Options:         req.Options,
	}
	var doc *extract.Document
	var err error
	if root != nil {
		doc, err = g.native.ExtractNode(ctx, in, root)
	} else {
		doc, err = g.native.Extract(ctx, in)
	}
	if err != nil {
		return response{Error: &errorBody{Code: code(err), Message: err.Error()}}
	}
	return response{Document: doc}
}

// deadlineCtx is a context whose Err reads the clock. The wasm runtime is
// single-threaded and runs timers only when the guest yields, so a
// context.WithDeadline would not expire while the extractor is busy; the
// extractor polls Err, and this one answers from the clock.
type deadlineCtx struct {
	context.Context
	deadline time.Time
}

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *deadlineCtx) Err() error {
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// code maps an extraction error to its ABI error code.
func code(err error) string {
	switch {
	case errors.Is(err, extract.ErrInvalidHTML):
		return "invalid_html"
	case errors.Is(err, extract.ErrParse):
		return "parse_error"
	case errors.Is(err, extract.ErrResourceLimit):
		return "resource_limit"
	case errors.Is(err, extract.ErrUnsupportedMode):
		return "unsupported_mode"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	default:
		return "extractor_error"
	}
}
