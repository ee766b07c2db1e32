package websocket_test

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/coder/websocket"

	"github.com/riptide-go/riptide/stream"
	wsstream "github.com/riptide-go/riptide/stream/websocket"
)

func ExampleHandler() {
	results := func(ctx context.Context, r *http.Request) iter.Seq[stream.Event] {
		return func(yield func(stream.Event) bool) {
			for _, url := range []string{"https://example.com/a", "https://example.com/b"} {
				if !yield(stream.NewResult(map[string]string{"url": url})) {
					return
				}
			}
		}
	}
	srv := httptest.NewServer(wsstream.Handler(results, nil))
	defer srv.Close()

	ctx := context.Background()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.CloseNow()
	for {
		_, msg, err := conn.Read(ctx)
		if err != nil {
			fmt.Println("closed:", websocket.CloseStatus(err))
			return
		}
		var ev stream.Event
		if err := json.Unmarshal(msg, &ev); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ev.ID, ev.Type)
	}
	// Output:
	// 1 start
	// 2 result
	// 3 result
	// 4 summary
	// closed: StatusNormalClosure
}
