package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/timeout"
	"github.com/riptide-go/riptide/wasmcache"
)

// opsFlags parses the flags of an operator command: the globals and --json.
func opsFlags(e env, name string, args []string) (*loadedConfig, bool, int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var g globals
	g.register(fs, e.getenv)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return nil, false, exitUsage
	}
	lc, err := g.load(fs)
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return nil, false, exitInvalid
	}
	return lc, *asJSON, exitOK
}

// openStore opens the store file of the configured cache directory.
func openStore(e env, lc *loadedConfig) (*store.DB, int) {
	if lc.Client.CacheDir == "" {
		fmt.Fprintln(e.stderr, "riptide: no cache directory (set --cache-dir or RIPTIDE_CACHE_DIR)")
		return nil, exitInvalid
	}
	db, err := store.Open(filepath.Join(lc.Client.CacheDir, store.FileName), store.Options{})
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return nil, exitInternal
	}
	return db, exitOK
}

// storeCommand runs an operator command "riptide <name> [--json]" (name
// is the command and its subcommand) on the configured store file.
func storeCommand(e env, args []string, name string, run func(lc *loadedConfig, db *store.DB, asJSON bool) int) int {
	sub := name[strings.IndexByte(name, ' ')+1:]
	if len(args) == 0 || args[0] != sub {
		fmt.Fprintf(e.stderr, "usage: riptide %s [--json]\n", name)
		return exitUsage
	}
	lc, asJSON, code := opsFlags(e, name, args[1:])
	if code != exitOK {
		return code
	}
	db, code := openStore(e, lc)
	if code != exitOK {
		return code
	}
	defer db.Close()
	return run(lc, db, asJSON)
}

// adaptiveConfig maps the [timeouts] section onto the adaptive policy (a
// nil db: the Client's own store).
func adaptiveConfig(lc *loadedConfig, db *store.DB) timeout.AdaptiveConfig {
	return timeout.AdaptiveConfig{
		Min:       durationOf(lc.Timeouts.Min),
		Max:       durationOf(lc.Timeouts.Max),
		Default:   durationOf(lc.Timeouts.Default),
		ColdStart: lc.Timeouts.ColdStart,
		Store:     db,
	}
}

// runTimeout implements "riptide timeout profiles [--json]": the per-domain
// budgets learned and persisted in the store.
func runTimeout(_ context.Context, e env, args []string) int {
	return storeCommand(e, args, "timeout profiles", func(lc *loadedConfig, db *store.DB, asJSON bool) int {
		profiles, code := timeoutProfiles(e, lc, db)
		if code != exitOK {
			return code
		}
		if err := timeout.WriteProfiles(e.stdout, profiles, asJSON); err != nil {
			fmt.Fprintln(e.stderr, "riptide:", err)
			return exitInternal
		}
		return exitOK
	})
}

// runWASM implements "riptide wasm cache-stats [--json]".
func runWASM(_ context.Context, e env, args []string) int {
	return storeCommand(e, args, "wasm cache-stats", func(lc *loadedConfig, db *store.DB, asJSON bool) int {
		st, code := wasmStats(e, lc, db)
		if code != exitOK {
			return code
		}
		if err := wasmcache.WriteStats(e.stdout, st, asJSON); err != nil {
			fmt.Fprintln(e.stderr, "riptide:", err)
			return exitInternal
		}
		return exitOK
	})
}

// timeoutProfiles loads the learned timeout profiles from db.
func timeoutProfiles(e env, lc *loadedConfig, db *store.DB) ([]timeout.Profile, int) {
	a, err := timeout.NewAdaptive(adaptiveConfig(lc, db))
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return nil, exitInvalid
	}
	defer a.Close()
	return a.Profiles(), exitOK
}

// wasmStats reads the compiled-module cache's figures, indexed in db.
func wasmStats(e env, lc *loadedConfig, db *store.DB) (wasmcache.Stats, int) {
	wc, err := wasmcache.Open(filepath.Join(lc.Client.CacheDir, "wasm"), db, wasmcache.Options{
		MaxBytes: lc.WASM.CacheMaxBytes,
		TTL:      durationOf(lc.WASM.CacheTTL),
	})
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return wasmcache.Stats{}, exitInternal
	}
	defer wc.Close()
	return wc.Stats(), exitOK
}

// runPerformance implements "riptide performance report [--json]": the
// store's timeout and WASM cache figures in one document.
func runPerformance(_ context.Context, e env, args []string) int {
	return storeCommand(e, args, "performance report", func(lc *loadedConfig, db *store.DB, asJSON bool) int {
		ws, code := wasmStats(e, lc, db)
		if code != exitOK {
			return code
		}
		profiles, code := timeoutProfiles(e, lc, db)
		if code != exitOK {
			return code
		}
		learned := 0
		for _, p := range profiles {
			if p.Learned {
				learned++
			}
		}
		report := map[string]any{
			"cache_dir":  lc.Client.CacheDir,
			"wasm_cache": ws,
			"timeouts": map[string]any{
				"profiles":        len(profiles),
				"learned_domains": learned,
				"min":             lc.Timeouts.Min,
				"max":             lc.Timeouts.Max,
				"default":         lc.Timeouts.Default,
			},
			"pool": map[string]any{
				"max_browsers":  lc.Pool.MaxBrowsers,
				"warm_browsers": lc.Pool.WarmBrowsers,
			},
		}
		if !asJSON {
			fmt.Fprintf(e.stdout, "cache dir: %s\n", lc.Client.CacheDir)
			fmt.Fprintf(e.stdout, "wasm cache: %d entries, %d bytes, hit rate %.2f, avg load %s, avg compile %s\n",
				ws.Entries, ws.Bytes, ws.HitRate, ws.AvgLoad, ws.AvgCompile)
			fmt.Fprintf(e.stdout, "timeouts: %d profiles, %d learned\n", len(profiles), learned)
			fmt.Fprintf(e.stdout, "pool: max %d browsers, %d warm\n", lc.Pool.MaxBrowsers, lc.Pool.WarmBrowsers)
			return exitOK
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return exitInternal
		}
		return exitOK
	})
}
