package chromium

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/render"
)

const actionsPage = `<!doctype html><html><body>
<div id=list></div>
<input id=q value="old">
<a id=next href="/second">next</a>
<button id=btn onclick="document.getElementById('out').textContent='clicked'">go</button>
<div id=out></div>
<div id=hidden style="display:none">later visible</div>
<div style="height:5000px"></div>
<script>
setTimeout(() => { const d = document.createElement('span'); d.id = 'late'; document.body.appendChild(d); }, 150);
setTimeout(() => { document.getElementById('hidden').style.display = 'block'; }, 200);
setTimeout(() => { window.appReady = {n: 42}; }, 120);
document.getElementById('q').addEventListener('input', e => { document.getElementById('out').dataset.typed = e.target.value; });
window.addEventListener('scroll', () => { document.body.dataset.scrolled = String(Math.round(scrollY)); });
setTimeout(() => fetch('/slow'), 50);
</script></body></html>`

func actionSite(t *testing.T) (*Renderer, string) {
	s := site(t, map[string]any{
		"/":       actionsPage,
		"/second": `<!doctype html><title>second</title><p id=two>two</p>`,
		"/slow": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(300 * time.Millisecond)
			fmt.Fprint(w, "slow")
		}),
	})
	return newTestRenderer(t, Config{}, s), s.URL + "/"
}

func TestActions(t *testing.T) {
	r, u := actionSite(t)
	c, err := r.NewContext(context.Background())
	require.NoError(t, err)
	defer c.Close(context.Background())

	cases := []struct {
		name   string
		action render.Action
		check  func(t *testing.T, resp *render.Response)
	}{
		{"wait_css", render.WaitCSS("#late"), func(t *testing.T, resp *render.Response) {
			assert.Contains(t, resp.HTML, `id="late"`)
		}},
		{"wait_css_visible", render.WaitVisible("#hidden"), func(t *testing.T, resp *render.Response) {
			assert.Contains(t, resp.HTML, `display: block`)
		}},
		{"wait_js", render.WaitJS("window.appReady"), func(t *testing.T, resp *render.Response) {
			assert.JSONEq(t, `{"n":42}`, string(resp.Actions[0].Value))
		}},
		{"wait_network_idle", render.WaitNetworkIdle(100 * time.Millisecond), func(t *testing.T, resp *render.Response) {
			assert.GreaterOrEqual(t, resp.Actions[0].Duration, 200*time.Millisecond, "must wait for /slow")
		}},
		{"scroll", render.Scroll(3, 400, 20*time.Millisecond), func(t *testing.T, resp *render.Response) {
			assert.Regexp(t, `data-scrolled="1[2-9]\d\d"`, resp.HTML)
		}},
		{"click", render.Click("#btn"), func(t *testing.T, resp *render.Response) {
			assert.Contains(t, resp.HTML, `<div id="out">clicked</div>`)
		}},
		{"click_wait_navigation", render.ClickAndWait("#next"), func(t *testing.T, resp *render.Response) {
			assert.Contains(t, resp.HTML, `<p id="two">two</p>`)
			assert.True(t, strings.HasSuffix(resp.FinalURL, "/second"))
		}},
		{"type", render.Action{Kind: render.KindType, Selector: "#q", Text: "héllo", Clear: true, KeyDelay: 5 * time.Millisecond}, func(t *testing.T, resp *render.Response) {
			assert.Contains(t, resp.HTML, `data-typed="héllo"`)
		}},
		{"script", render.Script("return {title: document.title, n: 1 + 1}"), func(t *testing.T, resp *render.Response) {
			var v map[string]any
			require.NoError(t, json.Unmarshal(resp.Actions[0].Value, &v))
			assert.Equal(t, float64(2), v["n"])
		}},
		{"script_async", render.Script("await new Promise(r => setTimeout(r, 20)); return 'later'"), func(t *testing.T, resp *render.Response) {
			assert.Equal(t, `"later"`, string(resp.Actions[0].Value))
		}},
		{"screenshot", render.Screenshot(), func(t *testing.T, resp *render.Response) {
			assert.True(t, len(resp.Actions[0].Image) > 100 && string(resp.Actions[0].Image[1:4]) == "PNG")
		}},
		{"navigate", render.Navigate(strings.TrimSuffix(u, "/") + "/second"), func(t *testing.T, resp *render.Response) {
			assert.Contains(t, resp.HTML, `<p id="two">two</p>`)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Render(context.Background(), &render.Request{URL: u, Actions: []render.Action{tc.action}})
			require.NoError(t, err)
			require.Len(t, resp.Actions, 1)
			assert.True(t, resp.Actions[0].OK)
			tc.check(t, resp)
		})
	}
}

func TestActionErrors(t *testing.T) {
	r, u := actionSite(t)
	cases := []struct {
		name    string
		actions []render.Action
		index   int
		timeout bool
	}{
		{"wait_css_timeout", []render.Action{render.WaitCSS("#late"), render.WaitCSS("#never").WithTimeout(200 * time.Millisecond)}, 1, true},
		{"wait_js_timeout", []render.Action{render.WaitJS("window.never").WithTimeout(200 * time.Millisecond)}, 0, true},
		{"wait_js_throws", []render.Action{render.WaitJS("undefinedVar.x")}, 0, false},
		{"click_missing", []render.Action{render.Click("#missing")}, 0, false},
		{"type_missing", []render.Action{render.Type("#missing", "x")}, 0, false},
		{"script_throws", []render.Action{render.Script("throw new Error('boom')")}, 0, false},
		{"script_timeout", []render.Action{render.Script("await new Promise(() => {})").WithTimeout(200 * time.Millisecond)}, 0, true},
		{"bad_selector", []render.Action{render.WaitCSS("##")}, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			resp, err := r.Render(context.Background(), &render.Request{URL: u, Actions: tc.actions, Isolation: render.IsolationWarmTab})
			require.Error(t, err)
			// The action's own timeout ended it, not the 10 s default.
			assert.Less(t, time.Since(start), render.DefaultActionTimeout)
			var ae *render.ActionError
			require.True(t, errors.As(err, &ae), "%v", err)
			assert.Equal(t, tc.index, ae.Index)
			assert.Equal(t, tc.actions[tc.index].Kind, ae.Kind)
			assert.ErrorIs(t, err, render.ErrAction)
			assert.Contains(t, err.Error(), fmt.Sprintf("action %d (%s)", tc.index, tc.actions[tc.index].Kind))
			if tc.timeout {
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			}
			require.NotNil(t, resp)
			assert.NotEmpty(t, resp.HTML, "html at the failure is kept")
			assert.False(t, resp.Actions[len(resp.Actions)-1].OK)
		})
	}
}

func TestTotalTimeout(t *testing.T) {
	r, u := actionSite(t)
	start := time.Now()
	_, err := r.Render(context.Background(), &render.Request{URL: u,
		Timeouts: render.Timeouts{Total: 400 * time.Millisecond},
		Actions:  []render.Action{render.WaitCSS("#never")}})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), render.DefaultActionTimeout, "the hard cap ended it, not the action default")
}

func TestCallerCancel(t *testing.T) {
	r, u := actionSite(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err := r.Render(ctx, &render.Request{URL: u, Actions: []render.Action{render.WaitCSS("#never")}})
	assert.ErrorIs(t, err, context.Canceled)
}

// A page whose load event is held up by a slow subresource: once the
// navigation timeout passes, the document as of DOMContentLoaded is used
// (with a warning) instead of failing.
func TestNavigationTimeoutAfterDCL(t *testing.T) {
	release := make(chan struct{})
	s := site(t, map[string]any{
		"/": `<!doctype html><p id=p>content</p><img src="/slow.png">`,
		"/slow.png": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}),
	})
	defer close(release)
	r := newTestRenderer(t, Config{}, s)
	// Start the browser first, so only the navigation is timed.
	_, err := r.Render(context.Background(), &render.Request{URL: s.URL + "/", Timeouts: render.Timeouts{Navigation: 100 * time.Millisecond}})
	require.NoError(t, err)
	start := time.Now()
	resp, err := r.Render(context.Background(), &render.Request{URL: s.URL + "/",
		Timeouts: render.Timeouts{Navigation: 500 * time.Millisecond}})
	require.NoError(t, err)
	// The navigation timeout ended the wait, not the slow image (10 s).
	assert.Less(t, time.Since(start), 9*time.Second)
	assert.Contains(t, resp.HTML, `id="p"`)
	assert.NotEmpty(t, resp.Warnings)
}
