// Package jsshell tells whether a statically fetched page is a JavaScript
// shell: a page whose content only appears after scripts run, so that it
// must be rendered in a browser to be extracted.
package jsshell

import (
	"bytes"
	"regexp"
)

// Verdict is the outcome of Detect.
type Verdict struct {
	Shell bool
	// Reason names the signal that decided: "empty_mount_node",
	// "noscript_hint", "framework_marker", "little_text", or "" when the
	// page looks complete.
	Reason string
}

var (
	// An element used as a client-side mount point, empty in the HTML.
	emptyMount = regexp.MustCompile(`(?i)<(div|main|section|body)[^>]*\bid\s*=\s*["']?(root|app|__next|__nuxt|svelte|main-app|react-root|ember-app)["']?[^>]*>\s*(<!--[^>]*-->\s*)?</(div|main|section|body)>`)
	// A noscript element asking for JavaScript.
	noscriptHint = regexp.MustCompile(`(?is)<noscript[^>]*>[^<]{0,200}?(enable|requires?|need|turn on)[^<]{0,40}javascript`)
	// Markers of client-rendered frameworks.
	frameworkMarkers = [][]byte{
		[]byte("ng-version="), []byte("data-reactroot"), []byte("__NUXT__"),
		[]byte("ng-app"), []byte("data-ember-extension"), []byte("id=\"___gatsby\""),
	}
)

// Detect judges a page from its HTML and the length in characters of the
// text an extractor found in it. Pages with plenty of extracted text are
// never shells, whatever their markers say: server-rendered framework pages
// carry markers too.
func Detect(html []byte, textChars int) Verdict {
	const enoughText = 500
	if textChars >= enoughText {
		return Verdict{}
	}
	if emptyMount.Match(html) {
		return Verdict{Shell: true, Reason: "empty_mount_node"}
	}
	if noscriptHint.Match(html) {
		return Verdict{Shell: true, Reason: "noscript_hint"}
	}
	scripts := bytes.Count(html, []byte("<script"))
	for _, m := range frameworkMarkers {
		if bytes.Contains(html, m) && textChars < 200 {
			return Verdict{Shell: true, Reason: "framework_marker"}
		}
	}
	// Little text for a lot of markup, most of it script.
	if textChars < 200 && len(html) > 4096 && scripts >= 3 {
		return Verdict{Shell: true, Reason: "little_text"}
	}
	return Verdict{}
}
