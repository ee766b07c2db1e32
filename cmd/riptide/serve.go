package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/httpapi"
	"github.com/riptide-go/riptide/metrics"
)

// Server timeouts. There is no overall read or write timeout: streams last
// as long as their crawl, each of their writes has its own deadline (from
// the stream package), and request bodies are read under a deadline by
// the handler.
const (
	serveReadHeaderTimeout = 10 * time.Second
	serveIdleTimeout       = 2 * time.Minute
	serveMaxHeaderBytes    = 64 << 10
	// serveShutdownGrace bounds the wait for requests in progress once
	// shutdown began (streams are told to end at once).
	serveShutdownGrace = 10 * time.Second
)

// serveFlagKeys maps the serve flags onto configuration keys.
var serveFlagKeys = map[string]string{
	"addr":           "server.addr",
	"token":          "server.token",
	"max-body-bytes": "server.max_body_bytes",
}

// runServe is "riptide serve [--addr A] [--token T]": the HTTP API until
// ctx ends (SIGINT, SIGTERM), then a graceful shutdown.
func runServe(ctx context.Context, e env, args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var g globals
	g.register(fs, e.getenv)
	fs.String("addr", "", "listen address (default: server.addr, 127.0.0.1:8080)")
	fs.String("token", "", "bearer token every endpoint but /healthz requires (default: server.token; prefer RIPTIDE_SERVER_TOKEN, flags show in process lists)")
	fs.Int64("max-body-bytes", 0, "request body cap (default: server.max_body_bytes, 1 MiB)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) > 0 {
		fmt.Fprintln(e.stderr, "usage: riptide serve [--addr HOST:PORT] [--token T]")
		return exitUsage
	}
	lc, err := g.load(fs)
	if err == nil {
		err = lc.applyFlags(fs, serveFlagKeys)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return exitInvalid
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	reg := metrics.NewRegistry()
	c, err := riptide.New(append(clientOptions(lc), riptide.WithLogger(log), riptide.WithMetrics(reg))...)
	if err != nil {
		return exitCode(e, err)
	}
	defer c.Close()

	ln, err := net.Listen("tcp", lc.Server.Addr)
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return exitInvalid
	}
	addr := ln.Addr().(*net.TCPAddr)
	if !addr.IP.IsLoopback() && lc.Server.Token == "" {
		log.Warn("serving beyond loopback without a token: set server.token (RIPTIDE_SERVER_TOKEN)")
	}
	api := httpapi.New(c, httpapi.Options{
		Token:         string(lc.Server.Token),
		MaxBodyBytes:  lc.Server.MaxBodyBytes,
		MaxCrawlPages: lc.Crawl.MaxPages,
		Logger:        log,
		Health: func(ctx context.Context) (any, error) {
			h := c.Health(ctx)
			if !h.Healthy() {
				return h, errors.New("unhealthy")
			}
			return h, nil
		},
		Renderer: httpapi.JSONFunc(c.Render),
		Metrics:  reg.Handler(),
	})
	// inflight tracks every handler, WebSocket ones included (Shutdown
	// does not wait for hijacked connections).
	var inflight sync.WaitGroup
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inflight.Add(1)
		defer inflight.Done()
		api.ServeHTTP(w, r)
	})
	// Request contexts derive from base: cancelling it tells streams to
	// end with a final event.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: serveReadHeaderTimeout,
		IdleTimeout:       serveIdleTimeout,
		MaxHeaderBytes:    serveMaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(e.stderr, "riptide: listening on http://%s\n", addr)

	select {
	case err := <-served:
		fmt.Fprintln(e.stderr, "riptide: serve:", err)
		return exitInternal
	case <-ctx.Done():
	}
	fmt.Fprintln(e.stderr, "riptide: shutting down")
	cancelBase()
	sctx, cancel := context.WithTimeout(context.Background(), serveShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(e.stderr, "riptide: serve:", err)
	}
	waited := make(chan struct{})
	go func() { inflight.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-sctx.Done():
		fmt.Fprintln(e.stderr, "riptide: some requests did not end within", serveShutdownGrace)
	}
	return exitOK
}
