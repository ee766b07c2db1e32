package chromium

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/render"
)

const jsPage = `<!doctype html><html><head><title>t</title></head><body><div id=root></div>
<script>
document.addEventListener('DOMContentLoaded', () => {
  const root = document.getElementById('root');
  for (let i = 0; i < 50; i++) { const p = document.createElement('p'); p.textContent = 'para ' + i; root.appendChild(p); }
  fetch('/api').then(r => r.text()).then(t => { const d = document.createElement('div'); d.id = 'done'; d.textContent = t; document.body.appendChild(d); });
});
</script></body></html>`

func TestRenderBasic(t *testing.T) {
	s := site(t, map[string]any{"/": jsPage, "/api": "api-ok"})
	r := newTestRenderer(t, Config{}, s)
	ctx := context.Background()
	for _, iso := range []render.Isolation{render.IsolationDefault, render.IsolationFreshTab, render.IsolationWarmTab, render.IsolationWarmTab} {
		resp, err := r.Render(ctx, &render.Request{URL: s.URL + "/", Isolation: iso,
			Actions: []render.Action{render.WaitCSS("#done")}})
		require.NoError(t, err, iso)
		assert.Equal(t, 200, resp.Status)
		assert.Contains(t, resp.HTML, "para 49")
		assert.Contains(t, resp.HTML, "api-ok")
		assert.Contains(t, resp.HTML, "<!DOCTYPE html>")
		assert.Equal(t, s.URL+"/", resp.FinalURL)
		assert.GreaterOrEqual(t, resp.Network.Requests, 2)
		t.Logf("%s: %+v", iso, resp.Timings)
	}
}

func TestRenderConsoleErrors(t *testing.T) {
	s := site(t, map[string]any{"/": `<!doctype html><p>x</p><script>
console.error('bad thing', 42); console.log('fine');
setTimeout(() => { throw new Error('uncaught boom'); }, 0);
</script>`})
	r := newTestRenderer(t, Config{}, s)
	resp, err := r.Render(context.Background(), &render.Request{URL: s.URL + "/",
		Actions: []render.Action{render.Script("await new Promise(r => setTimeout(r, 50))")}})
	require.NoError(t, err)
	require.Len(t, resp.ConsoleErrors, 2, "%q", resp.ConsoleErrors)
	assert.Equal(t, "bad thing 42", resp.ConsoleErrors[0])
	assert.Contains(t, resp.ConsoleErrors[1], "uncaught boom")
}

func TestRenderBlock(t *testing.T) {
	s := site(t, map[string]any{
		"/":      `<!doctype html><link rel=stylesheet href="/s.css"><img src="/i.png"><script src="/ads/x.js"></script><script src="/app.js"></script><p>x</p>`,
		"/s.css": "p{}", "/i.png": "x", "/ads/x.js": "window.ad=1", "/app.js": "window.app=1",
	})
	r := newTestRenderer(t, Config{}, s)
	resp, err := r.Render(context.Background(), &render.Request{URL: s.URL + "/",
		Block:   render.BlockSpec{Images: true, Stylesheets: true, URLPatterns: []string{"*/ads/*"}},
		Actions: []render.Action{render.Script("return [window.ad || 0, window.app || 0]")}})
	require.NoError(t, err)
	assert.Equal(t, 3, resp.Network.Blocked)
	assert.JSONEq(t, `[0,1]`, string(resp.Actions[0].Value))
}

func TestRenderArtifacts(t *testing.T) {
	s := site(t, map[string]any{"/": `<!doctype html><h1 id=h>Title</h1><div style="height:3000px"></div>`})
	r := newTestRenderer(t, Config{}, s)
	resp, err := r.Render(context.Background(), &render.Request{URL: s.URL + "/",
		Screenshot: &render.ScreenshotSpec{FullPage: true}, PDF: true, MHTML: true})
	require.NoError(t, err)
	assert.Equal(t, "\x89PNG", string(resp.Screenshot[:4]))
	assert.Equal(t, "%PDF", string(resp.PDF[:4]))
	assert.Contains(t, string(resp.MHTML), "Title")
	resp, err = r.Render(context.Background(), &render.Request{URL: s.URL + "/",
		Screenshot: &render.ScreenshotSpec{Selector: "#h", Format: render.FormatJPEG}})
	require.NoError(t, err)
	assert.Equal(t, []byte{0xff, 0xd8}, resp.Screenshot[:2])
}

func TestRenderNavigationError(t *testing.T) {
	s := site(t, map[string]any{"/": "ok"})
	r := newTestRenderer(t, Config{}, s)
	// The egress proxy refuses loopback ports that are not allow-listed.
	sen := testenv.NewSentinel(t, "")
	_, err := r.Render(context.Background(), &render.Request{URL: "http://127.0.0.1:" + sen.Port() + "/"})
	require.Error(t, err)
	assert.ErrorIs(t, err, render.ErrNavigation)
	assert.Equal(t, 0, int(sen.Hits()))
}

func TestRenderInvalid(t *testing.T) {
	r := newTestRenderer(t, Config{})
	_, err := r.Render(context.Background(), &render.Request{URL: "file:///etc/passwd"})
	assert.ErrorIs(t, err, render.ErrInvalidRequest)
	_, err = r.Render(context.Background(), &render.Request{URL: "http://x/", Actions: []render.Action{{Kind: "nope"}}})
	var ae *render.ActionError
	assert.True(t, errors.As(err, &ae))
}

func TestRenderAfterClose(t *testing.T) {
	s := site(t, map[string]any{"/": "ok"})
	r := newTestRenderer(t, Config{}, s)
	require.NoError(t, r.Close(context.Background()))
	_, err := r.Render(context.Background(), &render.Request{URL: s.URL})
	assert.ErrorIs(t, err, render.ErrClosed)
	_ = time.Second
}

// TestCloseLeavesNothing runs renders on two browsers at once, then
// checks that Close leaves no browser process (scanning /proc), no
// profile directory and (TestMain) no goroutine.
func TestCloseLeavesNothing(t *testing.T) {
	s := site(t, map[string]any{"/": jsPage, "/api": "api-ok"})
	before := chromePIDs()
	dir := t.TempDir()
	r, err := New(Config{Bin: testenv.ChromePath(t), TempDir: dir, MaxBrowsers: 2, TabsPerBrowser: 1,
		AllowHostPorts: []string{s.Listener.Addr().String()}})
	require.NoError(t, err)
	defer r.Close(context.Background())
	ctx := context.Background()
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			_, err := r.Render(ctx, &render.Request{URL: s.URL + "/", Actions: []render.Action{render.WaitCSS("#done")}})
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		require.NoError(t, <-errs)
	}
	st := r.Stats()
	assert.Len(t, st.Browsers, 2)
	for _, b := range st.Browsers {
		assert.Positive(t, b.RSS)
	}
	during := len(chromePIDs()) - len(before)
	require.NoError(t, r.Close(ctx))
	left := leftover(before)
	ents, _ := os.ReadDir(dir)
	testenv.Figure(t, "browser_close", "procs_during", during, "procs_left", len(left), "dirs_left", len(ents))
	assert.Empty(t, left)
	assert.Empty(t, ents)
}

func TestNoBrowser(t *testing.T) {
	_, err := New(Config{Bin: "/nonexistent/chromium"})
	assert.ErrorIs(t, err, render.ErrNoBrowser)

	// A binary that exits at once: the render fails with ErrNoBrowser and
	// the start failure's output.
	r, err := New(Config{Bin: "/bin/false", TempDir: t.TempDir()})
	require.NoError(t, err)
	defer r.Close(context.Background())
	start := time.Now()
	_, err = r.Render(context.Background(), &render.Request{URL: "http://example.com/"})
	assert.ErrorIs(t, err, render.ErrNoBrowser)
	assert.Less(t, time.Since(start), 5*time.Second)
}
