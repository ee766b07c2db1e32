package render_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/render"
)

func TestActionValidate(t *testing.T) {
	cases := []struct {
		name string
		a    render.Action
		ok   bool
	}{
		{"wait css", render.WaitCSS("#x"), true},
		{"wait css empty", render.Action{Kind: render.KindWaitCSS}, false},
		{"wait js", render.WaitJS("window.ready"), true},
		{"wait js empty", render.Action{Kind: render.KindWaitJS}, false},
		{"idle", render.WaitNetworkIdle(0), true},
		{"scroll", render.Scroll(3, 200, time.Millisecond), true},
		{"scroll negative", render.Scroll(-1, 0, 0), false},
		{"click", render.ClickAndWait("a"), true},
		{"type", render.Type("input", "hi"), true},
		{"type no selector", render.Action{Kind: render.KindType, Text: "x"}, false},
		{"script", render.Script("return 1"), true},
		{"screenshot", render.Screenshot(), true},
		{"navigate", render.Navigate("https://example.com/"), true},
		{"navigate file", render.Navigate("file:///etc/passwd"), false},
		{"no kind", render.Action{}, false},
		{"unknown", render.Action{Kind: "dance"}, false},
		{"negative timeout", render.WaitCSS("a").WithTimeout(-time.Second), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.a.Validate()
			if c.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

func TestRequestValidate(t *testing.T) {
	require.NoError(t, (&render.Request{URL: "http://example.com/"}).Validate())
	for _, bad := range []*render.Request{
		nil,
		{URL: "ftp://example.com/"},
		{URL: "javascript:alert(1)"},
		{URL: "http:///nohost"},
		{URL: "http://example.com/", Isolation: "shared"},
		{URL: "http://example.com/", Screenshot: &render.ScreenshotSpec{Format: "gif"}},
		{URL: "http://example.com/", SessionID: "a\x00b"},
		{URL: "http://example.com/", SessionID: "line\nbreak"},
		{URL: "http://example.com/", SessionID: strings.Repeat("s", 257)},
	} {
		assert.ErrorIs(t, bad.Validate(), render.ErrInvalidRequest)
	}
	err := (&render.Request{URL: "http://example.com/", Actions: []render.Action{render.WaitCSS("a"), {Kind: "x"}}}).Validate()
	var ae *render.ActionError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, 1, ae.Index)
	assert.ErrorIs(t, err, render.ErrAction)
	assert.ErrorIs(t, err, render.ErrInvalidRequest)
}

func TestActionErrorUnwrap(t *testing.T) {
	err := error(&render.ActionError{Index: 2, Kind: render.KindWaitCSS, Err: context.DeadlineExceeded})
	assert.ErrorIs(t, err, render.ErrAction)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, "render: action 2 (wait_css): context deadline exceeded", err.Error())
}

func TestJSONSnakeCase(t *testing.T) {
	b, err := json.Marshal(render.Request{
		URL:       "http://example.com/",
		SessionID: "s1",
		Actions:   []render.Action{render.ClickAndWait("a")},
		Timeouts:  render.Timeouts{IdleAfterDOMContentLoaded: time.Millisecond},
	})
	require.NoError(t, err)
	assert.JSONEq(t, `{"url":"http://example.com/","session_id":"s1",
		"actions":[{"kind":"click","selector":"a","wait_navigation":true}],
		"timeouts":{"idle_after_dom_content_loaded":1000000}}`, string(b))
}

func TestTimeoutsDefaults(t *testing.T) {
	d := render.Timeouts{Action: time.Second}.WithDefaults()
	assert.Equal(t, time.Second, d.Action)
	assert.Equal(t, render.DefaultTotalTimeout, d.Total)
}

func ExampleFunc() {
	var r render.Renderer = render.Func(func(ctx context.Context, req *render.Request) (*render.Response, error) {
		return &render.Response{URL: req.URL, FinalURL: req.URL, Status: 200, HTML: "<p>hi</p>"}, nil
	})
	resp, err := r.Render(context.Background(), &render.Request{URL: "https://example.com/"})
	if err != nil {
		panic(err)
	}
	_, _ = resp.Status, resp.HTML
	// Output:
}
