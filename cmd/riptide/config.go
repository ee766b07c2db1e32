package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/BurntSushi/toml"
)

// fileConfig is the riptide.toml file. Every key can also be set by the
// environment variable RIPTIDE_<SECTION>_<KEY> (upper case), and the most
// used ones by flags. Precedence: defaults < file < environment < flags.
type fileConfig struct {
	Client struct {
		CacheDir     string   `toml:"cache_dir"`
		AllowPrivate bool     `toml:"allow_private"`
		UserAgent    string   `toml:"user_agent"`
		Timeout      duration `toml:"timeout"`
		Engine       string   `toml:"engine"`
		MaxBodyBytes int64    `toml:"max_body_bytes"`
		IgnoreRobots bool     `toml:"ignore_robots"`
	} `toml:"client"`
	Pool struct {
		MaxBrowsers  int      `toml:"max_browsers"`
		WarmBrowsers int      `toml:"warm_browsers"`
		MaxUses      int      `toml:"max_uses"`
		MaxAge       duration `toml:"max_age"`
		ChromePath   string   `toml:"chrome_path"`
	} `toml:"pool"`
	WASM struct {
		CacheMaxBytes int64    `toml:"cache_max_bytes"`
		CacheTTL      duration `toml:"cache_ttl"`
		Module        string   `toml:"module"`
		MemoryLimit   int64    `toml:"memory_limit_bytes"`
	} `toml:"wasm"`
	Timeouts struct {
		Adaptive  bool     `toml:"adaptive"`
		ColdStart bool     `toml:"cold_start"`
		Min       duration `toml:"min"`
		Max       duration `toml:"max"`
		Default   duration `toml:"default"`
		Retries   int      `toml:"retries"`
	} `toml:"timeouts"`
	Crawl struct {
		Concurrency  int      `toml:"concurrency"`
		PerHost      int      `toml:"per_host"`
		PerHostDelay duration `toml:"per_host_delay"`
		MaxPages     int      `toml:"max_pages"`
		MaxDepth     int      `toml:"max_depth"`
	} `toml:"crawl"`
	Server struct {
		Addr         string `toml:"addr"`
		Token        secret `toml:"token"`
		MaxBodyBytes int64  `toml:"max_body_bytes"`
	} `toml:"server"`
}

// duration is a time.Duration written as "30s" in TOML and JSON.
type duration time.Duration

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

func (d duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// secret is a string that never prints.
type secret string

func (s *secret) UnmarshalText(b []byte) error { *s = secret(b); return nil }

func (s secret) MarshalText() ([]byte, error) {
	if s == "" {
		return []byte(""), nil
	}
	return []byte("REDACTED"), nil
}

func defaultFileConfig() fileConfig {
	var c fileConfig
	c.Client.Timeout = duration(30 * time.Second)
	c.Client.Engine = "static"
	c.Client.MaxBodyBytes = 10 << 20
	c.Pool.MaxBrowsers = 3
	c.Pool.WarmBrowsers = 1
	c.Pool.MaxUses = 100
	c.Pool.MaxAge = duration(30 * time.Minute)
	c.WASM.CacheMaxBytes = 512 << 20
	c.WASM.CacheTTL = duration(30 * 24 * time.Hour)
	c.WASM.MemoryLimit = 256 << 20
	c.Timeouts.Min = duration(5 * time.Second)
	c.Timeouts.Max = duration(60 * time.Second)
	c.Timeouts.Default = duration(30 * time.Second)
	c.Timeouts.Retries = 2
	c.Crawl.Concurrency = 8
	c.Crawl.PerHost = 2
	c.Crawl.MaxPages = 1000
	c.Crawl.MaxDepth = 3
	c.Server.Addr = "127.0.0.1:8080"
	c.Server.MaxBodyBytes = 1 << 20
	return c
}

// setting is one key of the effective configuration and where it came from.
type setting struct {
	Key    string `json:"key"`
	Value  any    `json:"value"`
	Source string `json:"source"`
}

// loadedConfig is the effective configuration with each key's source.
type loadedConfig struct {
	fileConfig
	sources map[string]string // "section.key" -> source
}

// defaultConfigPath is riptide.toml in the user config directory.
func defaultConfigPath() string {
	d, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "riptide", "riptide.toml")
}

// loadConfig builds the effective configuration: defaults, then the file
// (path, or the default path when it exists), then RIPTIDE_* variables. A
// path given explicitly must exist. Unknown keys and bad values are errors
// that name the key.
func loadConfig(path string, explicit bool, getenv func(string) string) (*loadedConfig, error) {
	lc := &loadedConfig{fileConfig: defaultFileConfig(), sources: map[string]string{}}
	if path != "" {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			md, err := toml.Decode(string(b), &lc.fileConfig)
			if err != nil {
				return nil, fmt.Errorf("config %s: %w", path, err)
			}
			if und := md.Undecoded(); len(und) > 0 {
				return nil, fmt.Errorf("config %s: unknown key %q", path, und[0].String())
			}
			for _, k := range md.Keys() {
				if len(k) == 2 {
					lc.sources[k.String()] = "file:" + path
				}
			}
		case explicit || !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	err := walkConfig(&lc.fileConfig, func(key string, v reflect.Value) error {
		name := "RIPTIDE_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		s := getenv(name)
		if alias, ok := envAliases[key]; ok && s == "" {
			name, s = alias, getenv(alias)
		}
		if s == "" {
			return nil
		}
		if err := setFromString(v, s); err != nil {
			return fmt.Errorf("environment %s: %w", name, err)
		}
		lc.sources[key] = "env:" + name
		return nil
	})
	if err != nil {
		return nil, err
	}
	return lc, nil
}

// envAliases are the short environment variables some keys also read.
var envAliases = map[string]string{
	"client.cache_dir": "RIPTIDE_CACHE_DIR",
	"pool.chrome_path": "RIPTIDE_CHROME",
}

// walkConfig calls fn for every "section.key" field of c.
func walkConfig(c *fileConfig, fn func(key string, v reflect.Value) error) error {
	root := reflect.ValueOf(c).Elem()
	rt := root.Type()
	for i := range rt.NumField() {
		sec := rt.Field(i)
		sv := root.Field(i)
		for j := range sec.Type.NumField() {
			f := sec.Type.Field(j)
			if err := fn(sec.Tag.Get("toml")+"."+f.Tag.Get("toml"), sv.Field(j)); err != nil {
				return err
			}
		}
	}
	return nil
}

func setFromString(v reflect.Value, s string) error {
	if u, ok := v.Addr().Interface().(interface{ UnmarshalText([]byte) error }); ok {
		return u.UnmarshalText([]byte(s))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		v.SetInt(n)
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

// applyFlags records the flags that were set on the command line as the
// highest-precedence source.
func (lc *loadedConfig) applyFlags(fs *flag.FlagSet, flagKeys map[string]string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		key, ok := flagKeys[f.Name]
		if !ok || err != nil {
			return
		}
		err = walkConfig(&lc.fileConfig, func(k string, v reflect.Value) error {
			if k != key {
				return nil
			}
			if serr := setFromString(v, f.Value.String()); serr != nil {
				return fmt.Errorf("flag --%s: %w", f.Name, serr)
			}
			lc.sources[k] = "flag:--" + f.Name
			return nil
		})
	})
	return err
}

// settings lists every key with its value and source, sorted by key.
func (lc *loadedConfig) settings() []setting {
	var out []setting
	_ = walkConfig(&lc.fileConfig, func(key string, v reflect.Value) error {
		src := lc.sources[key]
		if src == "" {
			src = "default"
		}
		val := v.Interface()
		if m, ok := val.(interface{ MarshalText() ([]byte, error) }); ok {
			b, _ := m.MarshalText()
			val = string(b)
		}
		out = append(out, setting{Key: key, Value: val, Source: src})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// globalFlagKeys maps the global flags onto configuration keys.
var globalFlagKeys = map[string]string{
	"cache-dir":     "client.cache_dir",
	"allow-private": "client.allow_private",
	"user-agent":    "client.user_agent",
	"timeout":       "client.timeout",
	"engine":        "client.engine",
}

func runConfig(_ context.Context, e env, args []string) int {
	if len(args) == 0 || args[0] != "show" {
		fmt.Fprintln(e.stderr, "usage: riptide config show [--config FILE] [--json]")
		return exitUsage
	}
	fs := flag.NewFlagSet("config show", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var g globals
	g.register(fs, e.getenv)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args[1:]); err != nil {
		return exitUsage
	}
	lc, err := g.load(fs)
	if err != nil {
		fmt.Fprintln(e.stderr, "riptide:", err)
		return exitInvalid
	}
	return writeSettings(e.stdout, lc.settings(), *asJSON)
}

func writeSettings(w io.Writer, s []setting, asJSON bool) int {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if enc.Encode(s) != nil {
			return exitInternal
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, x := range s {
		fmt.Fprintf(tw, "%s\t%v\t%s\n", x.Key, x.Value, x.Source)
	}
	if tw.Flush() != nil {
		return exitInternal
	}
	return exitOK
}

func durationOf(d duration) time.Duration { return time.Duration(d) }
