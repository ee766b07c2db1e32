package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/httpapi"
	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/stream"
)

// sseEvent is one Server-Sent Event: its id, name and decoded data.
type sseEvent struct {
	id   string
	name string
	ev   stream.Event
}

// readSSE parses an event stream until EOF.
func readSSE(t *testing.T, r io.Reader) (evs []sseEvent, retry string) {
	t.Helper()
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 4<<20)
	var cur sseEvent
	var data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data != "" {
				require.NoError(t, json.Unmarshal([]byte(data), &cur.ev), "data %q", data)
				evs = append(evs, cur)
			}
			cur, data = sseEvent{}, ""
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "retry: "):
			retry = strings.TrimPrefix(line, "retry: ")
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data += strings.TrimPrefix(line, "data: ")
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
	}
	require.NoError(t, sc.Err())
	return evs, retry
}

func resultURL(t *testing.T, ev stream.Event) string {
	t.Helper()
	var r struct {
		URL string `json:"url"`
	}
	require.NoError(t, json.Unmarshal(ev.Result.(json.RawMessage), &r))
	return r.URL
}

func TestCrawlSSEResume(t *testing.T) {
	f := newFixture(t, httpapi.Options{})
	q := url.Values{"url": {f.site.URL("/gen/0.html")}, "follow": {"same_host"}, "max_depth": {"20"},
		"max_pages": {"40"}, "include": {"/gen/"}, "concurrency": {"1"}}
	get := func(lastID string) ([]sseEvent, string) {
		req, err := http.NewRequest("GET", f.srv.URL+"/crawl/sse?"+q.Encode(), nil)
		require.NoError(t, err)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := f.srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		return readSSE(t, resp.Body)
	}

	all, retry := get("")
	assert.Equal(t, "3000", retry)
	require.NotEmpty(t, all)
	assert.Equal(t, "start", all[0].name)
	assert.Equal(t, "summary", all[len(all)-1].name)
	byID := map[string]sseEvent{}
	for i, e := range all {
		assert.Equal(t, strconv.Itoa(i+1), e.id)
		assert.Equal(t, e.name, string(e.ev.Type))
		byID[e.id] = e
	}
	assert.Equal(t, 40, all[len(all)-1].ev.Summary.Total)

	resumed, _ := get("10")
	require.NotEmpty(t, resumed)
	assert.Equal(t, "11", resumed[0].id, "events up to Last-Event-ID are not sent again")
	assert.Equal(t, len(all)-10, len(resumed))
	for _, e := range resumed {
		orig, ok := byID[e.id]
		require.True(t, ok, "id %s", e.id)
		assert.Equal(t, orig.name, e.name, "id %s", e.id)
		if e.name == "result" {
			assert.Equal(t, resultURL(t, orig.ev), resultURL(t, e.ev), "id %s names the same page", e.id)
		}
	}

	t.Run("post", func(t *testing.T) {
		resp, b := f.postJSON(t, "/crawl/sse", map[string]any{"urls": []string{f.site.URL("/about.html")}})
		require.Equal(t, 200, resp.StatusCode)
		evs, _ := readSSE(t, bytes.NewReader(b))
		var names []string
		for _, e := range evs {
			names = append(names, e.name)
		}
		assert.Equal(t, []string{"start", "result", "summary"}, names)
	})
}

func wsURL(srv string, path string, q url.Values) string {
	return "ws" + strings.TrimPrefix(srv, "http") + path + "?" + q.Encode()
}

func readWS(t *testing.T, ctx context.Context, conn *websocket.Conn) ([]stream.Event, websocket.StatusCode) {
	t.Helper()
	var evs []stream.Event
	for {
		typ, msg, err := conn.Read(ctx)
		if err != nil {
			return evs, websocket.CloseStatus(err)
		}
		require.Equal(t, websocket.MessageText, typ)
		var ev stream.Event
		require.NoError(t, json.Unmarshal(msg, &ev), "message %q", msg)
		evs = append(evs, ev)
	}
}

func TestCrawlWebSocket(t *testing.T) {
	const token = "ws-token-value"
	f := newFixture(t, httpapi.Options{Token: token})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q := url.Values{"url": {f.site.URL("/gen/0.html")}, "follow": {"same_host"}, "max_depth": {"20"},
		"max_pages": {"30"}, "include": {"/gen/"}, "concurrency": {"1"}}
	dial := func(q url.Values) ([]stream.Event, websocket.StatusCode) {
		conn, resp, err := websocket.Dial(ctx, wsURL(f.srv.URL, "/crawl/ws", q), &websocket.DialOptions{
			HTTPHeader: http.Header{"Authorization": {"Bearer " + token}},
		})
		require.NoError(t, err)
		if resp.Body != nil {
			resp.Body.Close()
		}
		defer conn.CloseNow()
		return readWS(t, ctx, conn)
	}

	evs, status := dial(q)
	assert.Equal(t, websocket.StatusNormalClosure, status)
	require.NotEmpty(t, evs)
	assert.Equal(t, stream.TypeStart, evs[0].Type)
	last := evs[len(evs)-1]
	require.Equal(t, stream.TypeSummary, last.Type)
	assert.Equal(t, 30, eventTypes(evs)[stream.TypeResult])

	q.Set("last_event_id", "20")
	resumed, _ := dial(q)
	require.NotEmpty(t, resumed)
	assert.Equal(t, int64(21), resumed[0].ID)
	assert.Equal(t, stream.TypeSummary, resumed[len(resumed)-1].Type)

	t.Run("token required before the upgrade", func(t *testing.T) {
		_, resp, err := websocket.Dial(ctx, wsURL(f.srv.URL, "/crawl/ws", q), nil)
		require.Error(t, err)
		require.NotNil(t, resp)
		assert.Equal(t, 401, resp.StatusCode)
	})
	t.Run("validation before the upgrade", func(t *testing.T) {
		_, resp, err := websocket.Dial(ctx, wsURL(f.srv.URL, "/crawl/ws", url.Values{"url": {"nope"}}), &websocket.DialOptions{
			HTTPHeader: http.Header{"Authorization": {"Bearer " + token}},
		})
		require.Error(t, err)
		require.NotNil(t, resp)
		assert.Equal(t, 400, resp.StatusCode)
	})
}

// TestCanaries puts secrets where a careless server would echo them (the
// bearer token, token query parameters of the seeds, of a failing seed and
// of an extracted URL) and looks for them in every byte the API sends.
func TestCanaries(t *testing.T) {
	const tokenCanary = "CANARYTOKEN7f3a9c"
	const queryCanary = "CANARYQUERY51d2e8"
	f := newFixture(t, httpapi.Options{Token: tokenCanary})
	auth := []string{"Authorization", "Bearer " + tokenCanary}
	seeds := []string{
		f.site.URL("/gen/0.html?token=" + queryCanary),
		f.site.URL("/broken?token=" + queryCanary),
		f.site.URL("/articles/rip-currents.html?access_key=" + queryCanary),
	}
	var sent bytes.Buffer
	body := map[string]any{"urls": seeds, "follow": "same_host", "max_depth": 3, "max_pages": 20, "include": []string{"/gen/"}}

	_, b := f.postJSON(t, "/crawl", body, auth...)
	sent.Write(b)
	nd := readNDJSON(t, bytes.NewReader(b))
	require.Equal(t, stream.TypeSummary, nd[len(nd)-1].Type)
	_, b = f.postJSON(t, "/crawl/sse", body, auth...)
	sent.Write(b)
	_, b = f.postJSON(t, "/extract", map[string]string{"url": seeds[2]}, auth...)
	sent.Write(b)
	_, b = f.postJSON(t, "/extract", map[string]string{"url": seeds[1]}, auth...)
	sent.Write(b)
	_, b = f.do(t, "POST", "/extract", "application/json", `{"url":"`+seeds[0]+`"}`, "Authorization", "Bearer wrong-"+tokenCanary)
	sent.Write(b)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, wsURL(f.srv.URL, "/crawl/ws", url.Values{"url": seeds, "max_pages": {"10"}}),
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + tokenCanary}}})
	require.NoError(t, err)
	if resp.Body != nil {
		resp.Body.Close()
	}
	evs, _ := readWS(t, ctx, conn)
	conn.CloseNow()
	for _, ev := range evs {
		m, err := json.Marshal(ev)
		require.NoError(t, err)
		sent.Write(m)
	}
	require.Greater(t, sent.Len(), 10_000, "the streams carried pages")

	found := strings.Count(sent.String(), tokenCanary) + strings.Count(sent.String(), queryCanary)
	testenv.Figure(t, "canaries", "found", found, "bytes_scanned", sent.Len())
	assert.Zero(t, found, "secrets echoed by the API")
	assert.Contains(t, sent.String(), "REDACTED", "the seeds' secret values were masked")
}
