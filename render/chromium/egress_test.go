package chromium

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
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
	sen := testenv.NewSentinel(t, "")
	p := sen.Port()
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
	reached := int(sen.Hits())
	st := r.Stats()
	testenv.Figure(t, "ssrf_browser", "vectors", len(vectors), "reached", reached, "refused", st.EgressRefused)
	assert.Equal(t, 0, reached)
	assert.Positive(t, st.EgressRefused)
}

// Extra request headers reach the page's origin only: not a
// cross-origin subresource, iframe or redirect target.
func TestHeadersStayOnOrigin(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	record := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Secret") == "s3cret" {
				mu.Lock()
				got[name]++
				mu.Unlock()
			}
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<p>"+name+"</p>")
		}
	}
	other := site(t, map[string]any{"/": record("other")})
	srv := site(t, map[string]any{
		"/page": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Secret") == "s3cret" {
				mu.Lock()
				got["main"]++
				mu.Unlock()
			}
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<!doctype html><p id=ok>ok</p><img src="%[1]s/img"><iframe src="%[1]s/frame"></iframe>
<img src="/same.png"><img src="/redir">`, other.URL)
		}),
		"/same.png": record("main"),
		"/redir": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/redirected", http.StatusFound)
		}),
	})
	r := newTestRenderer(t, Config{}, srv, other)
	_, err := r.Render(context.Background(), &render.Request{URL: srv.URL + "/page",
		Headers: map[string]string{"X-Secret": "s3cret"},
		Actions: []render.Action{render.Script("await new Promise(r => setTimeout(r, 300)); return 1")}})
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	testenv.Figure(t, "render_header_leak", "leaked", got["other"], "sent_to_origin", got["main"])
	assert.Equal(t, 0, got["other"], "secret header sent to another origin")
	assert.GreaterOrEqual(t, got["main"], 2, "the page's origin gets the header")
}
