// Package riptide turns URLs into clean, structured content, fast and
// safely, inside your Go program.
//
// A [Client] fetches a page over HTTP (or renders it in headless Chromium),
// extracts its main content and metadata into an [extract.Document], and
// returns a [Result]. Crawls of many URLs stream their results as they
// complete.
//
// # Architecture
//
// Data flows one way through small, swappable stages, each behind an
// interface declared in its own package:
//
//	URL -> admit (validate, SSRF guard, robots.txt, per-host limits)
//	    -> fetch.Fetcher (static HTTP)   or   render.Renderer (Chromium)
//	    -> extract.Extractor (native Go, or WebAssembly in a sandbox)
//	    -> Result
//
// The Client composes the stages; only it knows all of them. Each engine
// package can be used alone, and each interface has a fake in package
// riptidetest for users' tests.
//
// # Engines
//
// [EngineStatic] (the default) fetches over HTTP and extracts natively.
// [EngineWASM] extracts in a WebAssembly sandbox. [EngineHeadless] and
// [EngineStealth] render in a pooled Chromium. [EngineAuto] starts static
// and escalates to a browser when the page is a JavaScript shell.
//
// # Safety defaults
//
// Only http and https URLs without credentials are accepted. Every dial,
// including every redirect hop, is checked against the resolved IP:
// loopback, private, link-local and other non-public ranges are refused
// unless [AllowPrivateNetworks] is given. Bodies are capped after
// decompression (10 MiB by default) and never silently truncated. Every
// phase has a deadline. robots.txt is obeyed by default.
//
// # Lifecycle
//
// Create one Client with [New], share it, and [Client.Close] it when done.
// Close cancels calls in progress, waits for them, and releases
// connections, browsers and files; afterwards every method returns
// [ErrClosed]. Without [WithCacheDir] nothing is written to disk.
//
// # Concurrency
//
// A Client is safe for concurrent use by any number of goroutines. Global
// and per-host limits apply across all calls of one Client. Every blocking
// method takes a context.Context and returns promptly when it is
// cancelled, with an error matching [ErrCanceled] or [ErrTimeout] (and
// context.Canceled or context.DeadlineExceeded).
//
// # Errors
//
// Every error is an [*Error] with a [Kind] whose String form is a stable
// code ("timeout", "blocked", ...). Test it with errors.Is against the
// Err* sentinels, or read it with errors.As.
package riptide

// Version is the riptide version.
const Version = "0.1.0"
