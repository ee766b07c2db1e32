// Package render describes how a page is rendered in a real browser: the
// [Renderer] contract, the [Request] and [Response] types, the declarative
// [Action]s run on the page (waits, scrolls, clicks, typing, scripts,
// screenshots, navigation), isolation levels and the package's errors.
//
// The package imports no browser driver. The Chromium implementation lives
// in render/chromium; tests and hosts can provide their own Renderer, for
// example with [Func].
//
// # Isolation
//
// A render runs in a browser context (cookies, storage, cache). The
// [Isolation] of a request says how much of that state it may share:
//
//   - [IsolationIncognito]: a fresh incognito context per request, disposed
//     after it. Strongest and slowest. The default for a lone render.
//   - [IsolationFreshTab]: a new tab in a context shared by the renderer's
//     untenanted renders, closed after the render.
//   - [IsolationWarmTab]: a warm tab reused across renders of the same
//     context. Fastest; the page is reset to about:blank between uses but
//     cookies and storage of the context persist.
//
// Renders of different sessions ([Request.SessionID]) or different context
// handles never share a browser context.
//
// # Timeouts
//
// Every phase has its own deadline ([Timeouts]); Timeouts.Total is a hard
// cap on the whole render. A render that runs out of time returns an error
// matching [context.DeadlineExceeded] with [errors.Is].
package render
