package chromium_test

import (
	"context"
	"fmt"
	"log"

	"github.com/riptide-go/riptide/render"
	"github.com/riptide-go/riptide/render/chromium"
)

// A lone render: a fresh incognito context, a wait for the content, the
// HTML.
func ExampleRenderer_Render() {
	bin, err := chromium.LookPath() // a CLI may prefer its own override
	if err != nil {
		log.Fatal(err)
	}
	r, err := chromium.New(chromium.Config{Bin: bin})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close(context.Background())
	resp, err := r.Render(context.Background(), &render.Request{
		URL:     "https://example.com/",
		Actions: []render.Action{render.WaitCSS("h1"), render.Scroll(3, 0, 0)},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, len(resp.HTML) > 0)
}

// A crawl renders all its pages through one Context: warm tabs are
// reused, and its cookies are its own.
func ExampleRenderer_NewContext() {
	r, err := chromium.New(chromium.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close(context.Background())
	c, err := r.NewContext(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(context.Background())
	for _, u := range []string{"https://example.com/a", "https://example.com/b"} {
		resp, err := c.Render(context.Background(), &render.Request{URL: u})
		if err != nil {
			log.Print(err)
			continue
		}
		fmt.Println(resp.FinalURL, resp.Timings.Total)
	}
}

// Sessions keep cookies and storage across renders.
func ExampleRenderer_CloseSession() {
	r, err := chromium.New(chromium.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close(context.Background())
	ctx := context.Background()
	_, _ = r.Render(ctx, &render.Request{URL: "https://example.com/login", SessionID: "alice",
		Actions: []render.Action{render.Type("#user", "alice"), render.ClickAndWait("#submit")}})
	_, _ = r.Render(ctx, &render.Request{URL: "https://example.com/account", SessionID: "alice"})
	fmt.Println(len(r.ListSessions()))
	_ = r.CloseSession(ctx, "alice")
}

// Bench backs `riptide bench render`.
func ExampleBench() {
	res, err := chromium.Bench(context.Background(), chromium.BenchConfig{Pages: 50, Concurrency: 4})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res) // last line: cold_p50_ms=… warm_p50_ms=… pages_per_s=… naive_pages_per_s=… speedup=…
}
