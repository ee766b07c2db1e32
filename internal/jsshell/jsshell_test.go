package jsshell

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDetect(t *testing.T) {
	bigScripts := strings.Repeat(`<script src="/chunk.js"></script>`, 5) + strings.Repeat("<!-- padding -->", 300)
	cases := []struct {
		name   string
		html   string
		text   int
		reason string
	}{
		{"react root", `<html><body><div id="root"></div><script src="/app.js"></script></body></html>`, 0, "empty_mount_node"},
		{"next", `<body><div id="__next"><!-- --></div></body>`, 10, "empty_mount_node"},
		{"noscript", `<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="x">...</div></body>`, 0, "noscript_hint"},
		{"angular", `<body><app-root ng-version="17.0.0"></app-root></body>`, 20, "framework_marker"},
		{"script heavy", `<body><p>Loading</p>` + bigScripts + `</body>`, 7, "little_text"},
		{"article", `<body><div id="root"></div><article><p>` + strings.Repeat("words ", 200) + `</p></article></body>`, 1200, ""},
		{"small static page", `<body><h1>Hello</h1><p>Short page.</p></body>`, 18, ""},
		{"server-rendered react", `<body><div id="root" data-reactroot><p>` + strings.Repeat("text ", 150) + `</p></div></body>`, 750, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := Detect([]byte(tc.html), tc.text)
			assert.Equal(t, tc.reason != "", v.Shell)
			assert.Equal(t, tc.reason, v.Reason)
		})
	}
}
