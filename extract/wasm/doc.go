// Package wasm runs extraction engines compiled to WebAssembly in a wazero
// sandbox. An [Engine] loads one guest module, checks that it speaks the
// guest ABI, and implements [extract.Extractor] on top of it: each
// document is copied into a pooled guest instance, extracted there and the
// resulting [extract.Document] decoded back.
//
// The embedded default module ([DefaultModule]) is riptide's own native
// engine ([extract.Native]) built for wasip1, so the WASM engine gives the
// same results as the native one; custom modules (any language that
// targets WASI preview 1) plug in with [Module].
//
// # Guest ABI (version 1)
//
// A guest is a WASI preview 1 reactor module: if it exports _initialize,
// the host calls it once per instance before anything else. It must export
//
//	memory                                  its linear memory
//	riptide_abi_version() i32               must return 1 ([ABIVersion])
//	riptide_info() i64                      packed ptr<<32|len of a JSON object
//	                                        {"name","version","modes":[...],"tree"}
//	riptide_alloc(size i32) i32             a buffer of size bytes, owned by the host
//	riptide_free(ptr i32, size i32)         gives a buffer back
//	riptide_extract(ptr i32, len i32) i64   extracts one document
//
// Packed values hold a pointer in the high 32 bits and a length in the low
// 32 bits. A request is one buffer obtained from riptide_alloc:
//
//	u32 little-endian header length H | H bytes of header JSON | the HTML as UTF-8 | the tree, if any
//
// The header is {"url","content_type","content_language","last_modified",
// "html_len","tree_len","options":{"mode","selectors","max_nodes"},
// "limits":{"memory_bytes","timeout_ns"}}. The HTML travels as raw bytes,
// not base64 and not inside the JSON, so the host copies it exactly once,
// straight into guest memory, and the guest can parse it in place. The
// host decodes every page to UTF-8 first (from its byte order mark,
// Content-Type charset or <meta> declaration, as the native engine does),
// so no guest needs charset tables.
// riptide_extract takes ownership of the request buffer (it frees or reuses
// it) and returns a packed pointer to a JSON response that stays valid
// until the next call into the instance:
//
//	{"document": {...extract.Document JSON...}}
//	{"error": {"code": "...", "message": "..."}}
//
// Error codes are invalid_html, parse_error, resource_limit,
// unsupported_mode, timeout, extractor_error and internal; the host returns
// them as a *[GuestError] wrapping the matching extract sentinel. ABI.md in
// this directory is the full specification, with a checklist for guest
// authors.
//
// # Parsed trees
//
// Parsing HTML is most of an extraction's work, and Go compiled to
// WebAssembly runs it about nine times slower than natively. A guest whose
// info says "tree": 1 (the default module's does) therefore gets, after
// the page, the tree the native engine's parser builds from it, in the
// flat binary form of package [github.com/riptide-go/riptide/extract/wasm/htmltree]
// (specified in ABI.md), and extracts from that tree instead of parsing:
// with the default module a page takes about 3.3 times the native
// engine's time instead of 9 (one core, the article benchmark). The host
// sends no tree, and the guest parses the page itself, when the native
// engine would not build one (not markup, nesting past the parser's limit,
// more tags than the node budget). [Info] reports whether trees are sent.
//
// The host's parser is the one the native engine runs on every page, under
// the same limits (input size, node budget, the document's deadline, which
// it checks between 64 KiB reads), and is fuzzed with it; what runs in the
// sandbox is the module's own code. [WithHostParse](false) keeps parsing
// inside the sandbox too, at the cost above.
//
// # Sandbox
//
// Guests get no file system, network, environment variables or arguments;
// they get a monotonic clock, a fixed wall clock and crypto-grade random
// bytes. Their stdout and stderr go to the [WithLogger] logger, one record
// per line, at most [DefaultMaxOutput] bytes per instance. Each instance's
// linear memory is capped ([WithMemoryLimit], default 256 MiB): a
// memory.grow past it fails inside the guest. Each document has a time
// budget ([WithTimeout], default 5 s). Every pointer and length a guest
// returns is checked against its memory before the host reads it, and
// responses are capped ([WithMaxResponse]). A guest that traps, exits, runs
// out of time or breaks the ABI loses its instance; the next document gets
// a fresh one, so one bad document never poisons the next.
//
// # Interruption and its cost
//
// A guest stuck in a loop must be stopped when its document's timeout
// passes, the caller's ctx ends or the Engine closes. wazero's own
// mechanism (close-on-context-done) leaves native code for the Go runtime
// at every loop back-edge, which makes a Go-built guest about seven times
// slower. Instead, the host rewrites the module before compiling it: a
// counter in a new global is decremented at every loop header (for the
// loop Go compiles each function to, at every jump back instead) and at
// the entry of functions that call others, and when it reaches zero the
// guest calls the host function riptide_interrupt.check (imported by the
// rewrite), which stops the guest if its call's ctx is done and otherwise
// refills the counter. A guest therefore runs at most a few thousand
// iterations past its deadline, and the check costs a Go-built guest
// about 5%. Recursion without loops is
// caught too, since those entries count. The embedded default module is
// rewritten when it is generated, so loading it costs nothing more.
// Modules the rewriter does not handle (SIMD, threads, exception handling)
// fall back to wazero's checks; [WithInterrupt](false) runs a trusted
// module as given. [Info] reports which applies.
//
// # Instances, pooling and recycling
//
// The module is compiled once per Engine (through a
// [github.com/riptide-go/riptide/wasmcache.Cache] with [WithCache], so a
// new process loads it from disk in milliseconds). Instances come from a
// [github.com/riptide-go/riptide/pool.Pool]: [WithPool] bounds how many
// exist (and so how many documents run at once), [WithInstancePerCall]
// gives every document a fresh instance instead, and [WithRecycle]
// replaces an instance after a number of documents or once its linear
// memory passes a size, since a Go guest's memory never shrinks.
//
// # Concurrency
//
// An Engine is safe for concurrent use; each Extract checks out its own
// instance. [Engine.Close] waits for running extractions until its ctx
// ends, then interrupts them.
package wasm
