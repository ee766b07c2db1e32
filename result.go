package riptide

import (
	"time"

	"github.com/riptide-go/riptide/extract"
)

// Engine names how a page is obtained and extracted.
type Engine string

// Engines.
const (
	// EngineStatic fetches over HTTP and extracts with the native engine.
	// It is the default and the cheapest.
	EngineStatic Engine = "static"
	// EngineWASM fetches over HTTP and extracts in the WebAssembly sandbox.
	EngineWASM Engine = "wasm"
	// EngineHeadless renders the page in pooled headless Chromium first.
	EngineHeadless Engine = "headless"
	// EngineStealth is EngineHeadless with stealth evasions and a
	// consistent browser fingerprint.
	EngineStealth Engine = "stealth"
	// EngineAuto starts static and escalates to headless when the page is
	// a JavaScript shell or the request has actions.
	EngineAuto Engine = "auto"
)

// Valid reports whether e is a known engine.
func (e Engine) Valid() bool {
	switch e {
	case EngineStatic, EngineWASM, EngineHeadless, EngineStealth, EngineAuto:
		return true
	}
	return false
}

// Result is the outcome of extracting one URL.
type Result struct {
	// URL is the URL as requested (normalised, credentials removed);
	// FinalURL is where redirects ended.
	URL      string `json:"url"`
	FinalURL string `json:"final_url,omitempty"`
	// Status is the HTTP status of the final response (0 when the HTML was
	// given by the caller).
	Status int `json:"status,omitempty"`
	// Engine is the engine that produced Document; EngineReason says why it
	// was chosen (for example "default", "requested", "js_shell").
	Engine       Engine `json:"engine"`
	EngineReason string `json:"engine_reason,omitempty"`
	ContentType  string `json:"content_type,omitempty"`
	// Document is the extracted content.
	Document *extract.Document `json:"document,omitempty"`
	Timings  Timings           `json:"timings"`
	// BytesFetched counts the decoded body bytes received.
	BytesFetched int64 `json:"bytes_fetched"`
	// Truncated is set when the body was cut at the size cap because the
	// request allowed it.
	Truncated bool `json:"truncated,omitempty"`
	// Attempts is how many tries the fetch took (1 without retries).
	Attempts int `json:"attempts"`
	// FromCache is set when the result came from the result cache.
	FromCache bool `json:"from_cache,omitempty"`
	// NoIndex and NoFollow report robots directives of the page (from the
	// X-Robots-Tag header or a meta robots tag).
	NoIndex  bool `json:"noindex,omitempty"`
	NoFollow bool `json:"nofollow,omitempty"`
	// Depth is the link depth from the crawl's seeds (0 outside crawls).
	Depth int `json:"depth,omitempty"`

	// Validators of the response, kept for cache revalidation.
	etag, lastModified string
}

// Timings are the durations of a request's stages.
type Timings struct {
	Fetch   time.Duration `json:"fetch_ns,omitempty"`
	Render  time.Duration `json:"render_ns,omitempty"`
	Extract time.Duration `json:"extract_ns,omitempty"`
	Total   time.Duration `json:"total_ns"`
}
