package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/render"
	"github.com/riptide-go/riptide/render/chromium"
)

// runRender implements "riptide render URL": it renders the page in
// headless Chromium, runs the actions asked for and prints the Response as
// JSON; a screenshot goes to the file named by --screenshot.
func runRender(ctx context.Context, e env, args []string) int {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var g globals
	g.register(fs, e.getenv)
	waitCSS := fs.String("wait-css", "", "wait for an element matching this CSS selector")
	waitJS := fs.String("wait-js", "", "wait until this JavaScript expression is truthy")
	actionsFile := fs.String("actions", "", "JSON file with a list of actions")
	shot := fs.String("screenshot", "", "write a PNG screenshot of the final page to this file")
	fullPage := fs.Bool("full-page", false, "screenshot the whole page, not only the viewport")
	session := fs.String("session", "", "render in this session (cookies and storage kept)")
	stealth := fs.Bool("stealth", false, "apply stealth evasions and a consistent fingerprint")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "usage: riptide render [flags] URL")
		return exitUsage
	}
	req := render.Request{URL: pos[0], SessionID: *session, Stealth: *stealth}
	if *actionsFile != "" {
		b, err := os.ReadFile(*actionsFile)
		if err != nil {
			fmt.Fprintln(e.stderr, "riptide:", err)
			return exitInvalid
		}
		if err := json.Unmarshal(b, &req.Actions); err != nil {
			fmt.Fprintf(e.stderr, "riptide: actions file %s: %v\n", *actionsFile, err)
			return exitInvalid
		}
	}
	if *waitCSS != "" {
		req.Actions = append(req.Actions, render.WaitCSS(*waitCSS))
	}
	if *waitJS != "" {
		req.Actions = append(req.Actions, render.WaitJS(*waitJS))
	}
	if *shot != "" {
		req.Screenshot = &render.ScreenshotSpec{FullPage: *fullPage}
	}
	lc, err := g.load(fs)
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return exitInvalid
	}
	opts := clientOptions(lc)
	bin := lc.Pool.ChromePath
	opts = append(opts, riptide.WithChromium(chromium.Config{
		Bin:          bin,
		MaxBrowsers:  lc.Pool.MaxBrowsers,
		WarmBrowsers: lc.Pool.WarmBrowsers,
	}))
	c, err := riptide.New(opts...)
	if err != nil {
		return exitCode(e, err)
	}
	defer c.Close()
	resp, err := c.Render(ctx, req)
	if err != nil {
		return exitCode(e, err)
	}
	if *shot != "" {
		if err := os.WriteFile(*shot, resp.Screenshot, 0o644); err != nil {
			fmt.Fprintln(e.stderr, "riptide:", err)
			return exitInternal
		}
		resp.Screenshot = nil
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		return exitInternal
	}
	return exitOK
}
