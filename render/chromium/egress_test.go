package chromium

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/render"
)

// TestSSRFBrowser loads an allowed page whose subresources, frames,
// scripts, redirects and sockets all aim at a loopback sentinel on
// another port. The egress proxy must refuse every one: the sentinel sees
// no connection.
func TestSSRFBrowser(t *testing.T) {
	sen := newSentinel(t)
	p := sen.port()
	hosts := []string{"127.0.0.1", "2130706433", "0x7f.1", "127.1", "localhost", "[::ffff:127.0.0.1]", "[::1]", "0177.0.0.1"}
	var vectors []string
	add := func(v string) { vectors = append(vectors, v) }
	for _, h := range hosts {
		base := "http://" + h + ":" + p
		add(fmt.Sprintf(`<img src="%s/img">`, base))
		add(fmt.Sprintf(`<iframe src="%s/frame"></iframe>`, base))
		add(fmt.Sprintf(`<script>fetch(%q).catch(() => {});</script>`, base+"/fetch"))
		add(fmt.Sprintf(`<script>try { new WebSocket(%q); } catch (e) {}</script>`, "ws://"+h+":"+p+"/ws"))
		add(fmt.Sprintf(`<link rel=stylesheet href="%s/css">`, base))
		add(fmt.Sprintf(`<img src="https://%s:%s/tls">`, h, p))
	}
	add(`<img src="/redirect">`)
	add(`<iframe src="/redirect"></iframe>`)
	add(`<script>fetch('/redirect').catch(() => {});</script>`)
	add(`<script>var x = new XMLHttpRequest(); x.open('GET', 'http://127.0.0.1:` + p + `/xhr'); x.send();</script>`)
	add(`<script>navigator.sendBeacon('http://127.0.0.1:` + p + `/beacon', 'x');</script>`)
	add(`<script>try { new EventSource('http://127.0.0.1:` + p + `/sse'); } catch (e) {}</script>`)
	add(`<iframe src="http://169.254.169.254/latest/meta-data/"></iframe>`)
	page := "<!doctype html><body><p id=ok>ok</p>" + strings.Join(vectors, "\n") + "</body>"
	s := site(t, map[string]any{
		"/": page,
		"/redirect": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:"+p+"/redirected", http.StatusFound)
		}),
	})
	r := newTestRenderer(t, Config{}, s)
	resp, err := r.Render(context.Background(), &render.Request{URL: s.URL + "/",
		Actions: []render.Action{render.Script("await new Promise(r => setTimeout(r, 1000)); return 1")}})
	require.NoError(t, err)
	assert.Contains(t, resp.HTML, `id="ok"`)
	// A navigation straight to the sentinel fails too.
	_, err = r.Render(context.Background(), &render.Request{URL: "http://127.0.0.1:" + p + "/"})
	assert.ErrorIs(t, err, render.ErrNavigation)
	vectors = append(vectors, "navigation")
	time.Sleep(200 * time.Millisecond)
	reached := sen.hits()
	st := r.Stats()
	testenv.Figure(t, "ssrf_browser", "vectors", len(vectors), "reached", reached, "refused", st.EgressRefused)
	assert.Equal(t, 0, reached)
	assert.Positive(t, st.EgressRefused)
}
