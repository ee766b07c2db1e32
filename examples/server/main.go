// Server mounts riptide's HTTP API under /riptide/ in a host program's own
// mux, serves it on 127.0.0.1 next to riptide's embedded demo site, sends
// itself a crawl request and prints the NDJSON event lines it streams
// back. It needs no internet.
//
//	go run ./examples/server
//
// The same API runs stand-alone with "riptide serve".
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/httpapi"
	"github.com/riptide-go/riptide/riptidetest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run serves the API, crawls the demo site through it and copies the
// stream's lines to w.
func run(ctx context.Context, w io.Writer) error {
	site := riptidetest.NewSite(riptidetest.WithGeneratedPages(20))
	defer site.Close()
	c, err := riptide.New(riptide.AllowPrivateNetworks())
	if err != nil {
		return err
	}
	defer c.Close()

	// The host's mux: its own routes, and riptide under /riptide/.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "host application")
	})
	mux.Handle("/riptide/", http.StripPrefix("/riptide", httpapi.New(c, httpapi.Options{MaxCrawlPages: 100})))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// No WriteTimeout: streams set a deadline on each write themselves.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-served
	}()

	body := fmt.Sprintf(`{"urls": [%q, %q], "follow": "same_host", "include": ["/gen/"], "max_depth": 5, "max_pages": 12, "order": "input"}`,
		site.URL("/gen/0.html"), site.URL("/broken"))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+ln.Addr().String()+"/riptide/crawl",
		strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return errors.New(resp.Status + ": " + string(b))
	}
	// One event per line, as the server sends them.
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		if _, err := fmt.Fprintf(w, "%s\n", sc.Bytes()); err != nil {
			return err
		}
	}
	return sc.Err()
}
