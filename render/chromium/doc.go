// Package chromium renders pages in headless Chromium: it implements
// render.Renderer on top of the DevTools protocol (go-rod's protocol
// library; nothing else in riptide imports go-rod).
//
// # Browsers
//
// [New] finds the binary (Config.Bin, else [LookPath], else a download
// when Config.AllowDownload is set) but launches nothing: the first
// render starts a browser. A download is bounded in size and time, its
// archive is unpacked only where it belongs (no absolute or ".." paths, no
// links leading out), and the build must run headless once before it is
// kept; Config.DownloadMirror points it at a mirror of Google's Chromium
// snapshot bucket. Browsers come from a pool.Pool and serve
// several tabs at once (Config.TabsPerBrowser); up to Config.MaxBrowsers
// run, Config.WarmBrowsers stay up. A browser is recycled after
// Config.MaxRendersPerBrowser renders, Config.MaxBrowserAge, or when the
// resident memory of its process tree (read from /proc) passes
// Config.MaxBrowserRSS. A browser whose DevTools connection ends or whose
// page crashes fails its renders with render.ErrBrowserCrashed, is
// discarded and replaced in the background.
//
// The DevTools protocol runs over a pipe (--remote-debugging-pipe), so no
// debugging port is open to other local processes. Every browser gets a
// fresh profile directory under Config.TempDir,
// removed when it closes, and is launched with --headless --no-sandbox
// --disable-gpu --disable-quic --no-first-run, background networking,
// component updates and sync disabled (otherwise it hangs on blocked
// network calls), WebRTC limited to proxied UDP, and, unless
// Config.DisableTuning, a --disable-features list that roughly halves
// warm render latency.
//
// # Egress
//
// All browser traffic goes through an in-process proxy that dials through
// the SSRF guard, with --proxy-bypass-list=<-loopback> so that loopback
// and link-local destinations are proxied (and refused) too. Pages,
// redirects, subresources, iframes, fetch/XHR and WebSockets to private
// addresses fail unless Config.AllowPrivateNetworks or
// Config.AllowHostPorts allows them.
//
// Config.Proxy chains that in-process proxy through an upstream proxy
// (http, https or socks5, with credentials): each destination is checked
// first, then reached through the upstream. A request's own
// render.Request.Proxy gets a browser context of its own whose traffic
// goes through an in-process proxy chained to that upstream (one per
// distinct proxy URL, kept while in use); it needs the default
// (incognito) isolation and no session, since warm tabs and sessions
// share a context. A request is input, so its proxy's own address must
// pass the guard like any destination (Config.Proxy is trusted as
// configuration): a "proxy" on an internal address is never dialled
// unless AllowPrivateNetworks or AllowHostPorts allows it.
//
// # Isolation and cost
//
// Measured on a 2-core machine with local pages (p50, warm browser):
//
//   - warm tab (a [Context], or IsolationWarmTab): 25-65 ms per page;
//   - fresh tab (IsolationFreshTab): about 150 ms;
//   - fresh incognito context (the default for a lone Render): about
//     240 ms and several times the CPU (a new renderer process);
//   - a browser per request: 600-900 ms.
//
// Renders of different sessions or [Context]s never share a browser
// context. A crawl should take one Context and render all its pages
// through it.
//
// # Hostile pages
//
// Dialogs are dismissed (beforeunload accepted) by a handler installed
// before navigation; popups are closed; downloads are denied; main-frame
// navigations after the wait point are refused, so the document read is
// the one that loaded; service workers are bypassed. A page that does not
// finish within Timeouts.Total is stopped: Runtime.terminateExecution,
// then the target is closed with a short deadline, then the browser is
// killed if the close does not go through. Closing never takes go-rod's
// browser-wide page lock, so a stuck page does not block other checkouts.
//
// # Goroutines and processes
//
// A Renderer runs one maintenance goroutine, one event reader per
// browser and short-lived goroutines that close tabs; [Renderer.Close]
// ends them all, stops every browser (waiting for the processes to exit,
// killing them if needed) and removes their profile directories.
package chromium
