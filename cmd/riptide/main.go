// Command riptide extracts clean, structured content from web pages.
//
// Usage:
//
//	riptide [global flags] extract URL|FILE|-  [--format json|markdown|text]
//	riptide [global flags] crawl URL... [--depth N] [--max-pages N] [--follow same_host|same_domain|any|none]
//	                       [--concurrency N] [--order completed|input] [--include RE] [--exclude RE] [--out FILE]
//	riptide [global flags] serve [--addr 127.0.0.1:8080] [--token T] [--max-body-bytes N]
//	riptide [global flags] render URL [--wait-css SEL] [--wait-js EXPR] [--actions FILE.json]
//	                       [--screenshot FILE.png] [--full-page] [--session ID] [--stealth]
//	riptide [global flags] config show [--json]
//	riptide [global flags] pool status [--json]
//	riptide [global flags] timeout profiles [--json]
//	riptide [global flags] wasm cache-stats [--json]
//	riptide [global flags] performance report [--json]
//	riptide bench render [--pages N] [--concurrency C]
//	riptide bench crawl [--pages N] [--concurrency C] [--sweep]
//	riptide [global flags] bench extract --dataset DIR [--engine native|wasm] [--out FILE] [--procs N]
//	riptide version
//
// Global flags (before or after the command name):
//
//	--cache-dir DIR     where the store file and compiled-module cache live
//	                    (default: the user cache dir; env RIPTIDE_CACHE_DIR)
//	--allow-private     allow loopback and private network targets
//	--user-agent UA     User-Agent for requests and robots.txt
//	--timeout D         time budget per fetch (e.g. 30s)
//	--engine E          static|wasm|headless|stealth|auto
//
// # Exit codes
//
//	0  success
//	1  internal error
//	2  usage error (unknown command or flag)
//	3  invalid input (bad URL, bad option)
//	4  blocked: private address or disallowed by robots.txt
//	5  fetch failed (connection, HTTP status, content type)
//	6  timeout
//	7  extraction failed
//	8  rendering failed
//	9  too large
//
// Results go to standard output, errors to standard error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/riptide-go/riptide"
	"github.com/riptide-go/riptide/render/chromium"
)

// Exit codes.
const (
	exitOK         = 0
	exitInternal   = 1
	exitUsage      = 2
	exitInvalid    = 3
	exitBlocked    = 4
	exitFetch      = 5
	exitTimeout    = 6
	exitExtraction = 7
	exitRendering  = 8
	exitTooLarge   = 9
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// env is the process environment, injectable for tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// globals are the flags every command shares. Their values only matter
// when set: the effective configuration comes from load.
type globals struct {
	configPath   string
	cacheDir     string
	allowPrivate bool
	userAgent    string
	timeout      time.Duration
	engine       string
	getenv       func(string) string
}

func (g *globals) register(fs *flag.FlagSet, getenv func(string) string) {
	g.getenv = getenv
	fs.StringVar(&g.configPath, "config", "", "configuration file (default: riptide.toml in the user config dir)")
	fs.StringVar(&g.cacheDir, "cache-dir", "", "directory of the store file and compiled-module cache (env RIPTIDE_CACHE_DIR)")
	fs.BoolVar(&g.allowPrivate, "allow-private", false, "allow loopback and private network targets")
	fs.StringVar(&g.userAgent, "user-agent", "", "User-Agent for requests and robots.txt")
	fs.DurationVar(&g.timeout, "timeout", 0, "time budget per fetch (default 30s)")
	fs.StringVar(&g.engine, "engine", "", "engine: static|wasm|headless|stealth|auto (default static)")
}

// load returns the effective configuration: defaults < file < environment
// < the flags set on fs.
func (g *globals) load(fs *flag.FlagSet) (*loadedConfig, error) {
	path, explicit := g.configPath, g.configPath != ""
	if !explicit {
		path = g.getenv("RIPTIDE_CONFIG")
		explicit = path != ""
	}
	if path == "" {
		path = defaultConfigPath()
	}
	lc, err := loadConfig(path, explicit, g.getenv)
	if err != nil {
		return nil, err
	}
	if err := lc.applyFlags(fs, globalFlagKeys); err != nil {
		return nil, err
	}
	if lc.Client.CacheDir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			lc.Client.CacheDir = filepath.Join(d, "riptide")
		}
	}
	return lc, nil
}

// clientOptions maps the configuration onto Client options.
func clientOptions(lc *loadedConfig) []riptide.Option {
	c := lc.Client
	opts := []riptide.Option{
		riptide.WithEngine(riptide.Engine(c.Engine)),
		riptide.WithMaxBodyBytes(c.MaxBodyBytes),
		riptide.WithPerHostLimit(lc.Crawl.PerHost, time.Duration(lc.Crawl.PerHostDelay)),
	}
	if c.CacheDir != "" {
		opts = append(opts, riptide.WithCacheDir(c.CacheDir))
	}
	if c.AllowPrivate {
		opts = append(opts, riptide.AllowPrivateNetworks())
	}
	if c.UserAgent != "" {
		opts = append(opts, riptide.WithUserAgent(c.UserAgent))
	}
	if c.Timeout > 0 {
		opts = append(opts, riptide.WithTimeout(time.Duration(c.Timeout)))
	}
	if c.IgnoreRobots {
		opts = append(opts, riptide.WithIgnoreRobots())
	}
	opts = append(opts, riptide.WithChromium(chromium.Config{
		Bin:                  lc.Pool.ChromePath,
		MaxBrowsers:          lc.Pool.MaxBrowsers,
		WarmBrowsers:         lc.Pool.WarmBrowsers,
		MaxRendersPerBrowser: lc.Pool.MaxUses,
		MaxBrowserAge:        time.Duration(lc.Pool.MaxAge),
	}))
	if lc.Timeouts.Adaptive {
		opts = append(opts, riptide.WithAdaptiveTimeouts(adaptiveConfig(lc, nil)))
	}
	if lc.Timeouts.Retries >= 0 {
		opts = append(opts, riptide.WithRetries(lc.Timeouts.Retries))
	}
	if lc.WASM.Module != "" {
		opts = append(opts, riptide.WithWASMExtractor(lc.WASM.Module))
	}
	return opts
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) int
}

func commands() []command {
	return []command{
		{"extract", "extract one URL, file or stdin", runExtract},
		{"crawl", "crawl from seed URLs, NDJSON events to stdout or --out", runCrawl},
		{"serve", "serve the HTTP API (extract, crawl streams, healthz)", runServe},
		{"render", "render a page in headless Chromium", runRender},
		{"bench", "benchmarks: bench extract|render", runBench},
		{"config", "config show: the effective configuration and its sources", runConfig},
		{"pool", "pool status: start and warm the browser pool, print its state", runPool},
		{"timeout", "timeout profiles: learned per-domain budgets", runTimeout},
		{"wasm", "wasm cache-stats: the compiled-module cache", runWASM},
		{"performance", "performance report: pool, wasm cache and timeout figures", runPerformance},
		{"version", "print the version", func(_ context.Context, e env, _ []string) int {
			fmt.Fprintln(e.stdout, "riptide", riptide.Version)
			return exitOK
		}},
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	// Find the command: the first argument that is not a flag or a flag's
	// value. Global flags may come before it.
	idx := -1
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			idx = i
			break
		}
		if !strings.Contains(a, "=") && takesValue(strings.TrimLeft(a, "-")) {
			i++
		}
	}
	if idx < 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[idx]
	rest := append(append([]string{}, args[:idx]...), args[idx+1:]...)
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, rest)
		}
	}
	if name == "help" {
		usage(stdout)
		return exitOK
	}
	fmt.Fprintf(stderr, "riptide: unknown command %q\n", name)
	usage(stderr)
	return exitUsage
}

// takesValue reports whether a global flag consumes the next argument.
func takesValue(name string) bool {
	switch name {
	case "cache-dir", "user-agent", "timeout", "engine", "config":
		return true
	}
	return false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: riptide [global flags] <command> [flags] [args]")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "global flags: --config FILE --cache-dir DIR --allow-private --user-agent UA --timeout D --engine E")
}

// exitCode maps an error to the documented exit code and prints it.
func exitCode(e env, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(e.stderr, err)
	var re *riptide.Error
	if !errors.As(err, &re) {
		return exitInternal
	}
	switch re.Kind {
	case riptide.KindValidation:
		return exitInvalid
	case riptide.KindBlocked, riptide.KindRobots:
		return exitBlocked
	case riptide.KindFetch:
		return exitFetch
	case riptide.KindTimeout, riptide.KindCanceled:
		return exitTimeout
	case riptide.KindExtraction, riptide.KindResourceLimit:
		return exitExtraction
	case riptide.KindRendering, riptide.KindSession:
		return exitRendering
	case riptide.KindTooLarge:
		return exitTooLarge
	}
	return exitInternal
}

// parseFlags parses args with fs, allowing flags after positional
// arguments; it returns the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
