// Render renders a page whose content is built by JavaScript, waits for
// the element the script adds last, scrolls, and saves a screenshot.
//
//	go run ./examples/render            # renders the embedded demo site
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/render"
	"github.com/riptide-go/riptide/render/chromium"
	"github.com/riptide-go/riptide/riptidetest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, "screenshot.png", os.Getenv("RIPTIDE_CHROME")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, shotPath, chrome string) error {
	site := riptidetest.NewSite()
	defer site.Close()
	c, err := riptide.New(riptide.AllowPrivateNetworks(), riptide.WithChromium(chromium.Config{Bin: chrome}))
	if err != nil {
		return err
	}
	defer c.Close()

	resp, err := c.Render(ctx, render.Request{
		URL: site.URL("/js/app.html"),
		Actions: []render.Action{
			render.WaitCSS("#done"),  // the element the page's script adds last
			render.Scroll(2, 400, 0), // scroll down twice
			render.Script(`return document.querySelectorAll("p").length`),
		},
		Screenshot: &render.ScreenshotSpec{FullPage: true},
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(shotPath, resp.Screenshot, 0o644); err != nil {
		return err
	}
	for _, a := range resp.Actions {
		fmt.Fprintf(w, "action %d %s ok=%v value=%s\n", a.Index, a.Kind, a.OK, a.Value)
	}
	fmt.Fprintf(w, "status %d, %d bytes of HTML, screenshot %s (%d bytes)\n", resp.Status, len(resp.HTML), shotPath, len(resp.Screenshot))
	return nil
}
