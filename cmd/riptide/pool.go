package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"text/tabwriter"
	"time"

	"github.com/riptide-go/riptide/render"
	"github.com/riptide-go/riptide/render/chromium"
)

// runPool implements "riptide pool status [--json]": it starts the browser
// pool as configured, warms it with a local page and prints its state: the
// browsers (pid, tabs, renders, RSS), checkout and launch times.
func runPool(ctx context.Context, e env, args []string) int {
	if len(args) == 0 || args[0] != "status" {
		fmt.Fprintln(e.stderr, "usage: riptide pool status [--json]")
		return exitUsage
	}
	lc, asJSON, code := opsFlags(e, "pool status", args[1:])
	if code != exitOK {
		return code
	}
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><title>warm-up</title><p id="ok">ready</p>`)
	}))
	defer page.Close()
	hostPort := page.Listener.Addr().(*net.TCPAddr).String()
	r, err := chromium.New(chromium.Config{
		Bin:            lc.Pool.ChromePath,
		MaxBrowsers:    lc.Pool.MaxBrowsers,
		WarmBrowsers:   lc.Pool.WarmBrowsers,
		AllowHostPorts: []string{hostPort}, // only the warm-up page
	})
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return exitRendering
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		_ = r.Close(cctx)
	}()
	start := time.Now()
	if _, err := r.Render(ctx, &render.Request{URL: page.URL + "/", Actions: []render.Action{render.WaitCSS("#ok")}}); err != nil {
		fmt.Fprintln(e.stderr, "riptide: warm-up render:", err)
		return exitRendering
	}
	first := time.Since(start)
	start = time.Now()
	if _, err := r.Render(ctx, &render.Request{URL: page.URL + "/"}); err != nil {
		fmt.Fprintln(e.stderr, "riptide: warm render:", err)
		return exitRendering
	}
	warm := time.Since(start)
	st := r.Stats()
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{
			"chrome": r.Bin(), "first_render_ms": ms(first), "warm_render_ms": ms(warm), "stats": st,
		}); err != nil {
			return exitInternal
		}
		return exitOK
	}
	fmt.Fprintf(e.stdout, "chrome: %s\nfirst render (launch included): %.1f ms, warm render: %.1f ms\n", r.Bin(), ms(first), ms(warm))
	fmt.Fprintf(e.stdout, "pool: %d idle, %d in use, %d created, %d recycled, %d failed; checkout p50 %s p95 %s; launch p50 %s\n",
		st.Pool.Idle, st.Pool.InUse, st.Pool.Created, st.Pool.Recycled, st.Pool.Failed,
		st.Pool.CheckoutWaitP50.Round(time.Microsecond), st.Pool.CheckoutWaitP95.Round(time.Microsecond), st.Pool.CreateTimeP50.Round(time.Millisecond))
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PID\tTABS\tRENDERS\tCONTEXTS\tAGE\tRSS_MB")
	for _, b := range st.Browsers {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%s\t%.1f\n", b.PID, b.Tabs, b.Renders, b.Contexts, b.Age.Round(time.Millisecond), float64(b.RSS)/(1<<20))
	}
	if tw.Flush() != nil {
		return exitInternal
	}
	return exitOK
}
