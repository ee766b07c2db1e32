package chromium

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/render"
)

const probeJS = `return {
  webdriver: navigator.webdriver,
  ua: navigator.userAgent,
  languages: navigator.languages,
  platform: navigator.platform,
  tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
  width: window.innerWidth,
  chrome: typeof window.chrome,
  plugins: navigator.plugins.length,
}`

type probe struct {
	Webdriver bool     `json:"webdriver"`
	UA        string   `json:"ua"`
	Languages []string `json:"languages"`
	Platform  string   `json:"platform"`
	TZ        string   `json:"tz"`
	Width     int      `json:"width"`
	Chrome    string   `json:"chrome"`
	Plugins   int      `json:"plugins"`
}

func TestStealth(t *testing.T) {
	// The handler runs on the server's goroutines, and the browser may
	// still ask for /favicon.ico after a render returned.
	var uaMu sync.Mutex
	var gotUA string
	s := site(t, map[string]any{
		"/": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/" {
				uaMu.Lock()
				gotUA = r.UserAgent()
				uaMu.Unlock()
			}
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<!doctype html><p>probe</p>`))
		}),
	})
	r := newTestRenderer(t, Config{Timezone: "Europe/Berlin"}, s)
	c, err := r.NewContext(context.Background())
	require.NoError(t, err)
	defer c.Close(context.Background())
	run := func(stealth bool) probe {
		resp, err := c.Render(context.Background(), &render.Request{URL: s.URL + "/", Stealth: stealth,
			Viewport: render.Viewport{Width: 1366, Height: 768},
			Actions:  []render.Action{render.Script(probeJS)}})
		require.NoError(t, err)
		var p probe
		require.NoError(t, json.Unmarshal(resp.Actions[0].Value, &p))
		return p
	}
	p := run(true)
	assert.False(t, p.Webdriver)
	assert.NotContains(t, p.UA, "Headless")
	uaMu.Lock()
	assert.NotContains(t, gotUA, "Headless", "the header matches navigator.userAgent")
	uaMu.Unlock()
	assert.Equal(t, []string{"en-US", "en"}, p.Languages)
	assert.Equal(t, "Linux x86_64", p.Platform)
	assert.Equal(t, "Europe/Berlin", p.TZ)
	assert.Equal(t, 1366, p.Width)
	assert.Equal(t, "object", p.Chrome)

	// The same warm tab without stealth goes back to the plain browser.
	p = run(false)
	assert.Contains(t, p.UA, "Headless")
	assert.NotEqual(t, "Europe/Berlin", p.TZ)
}
