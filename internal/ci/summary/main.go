// Command summary prints the one-line reliability report from the figures
// the tests recorded (JSON lines, see internal/testenv.Figure):
//
//	ssrf: N vectors x 2 paths, 0 reached | bombs: N, 0 B over cap | html-fuzz: N execs, 0 crash | cancel: N runs, 0 goroutines/conns/tabs/txs leaked | browser-kill: N, 0 zombies | store-mutants: N, 0 host crashes | wasm-hostile: N, 0 panics | canaries: 0
//
// A figure recorded several times (one per fuzz target, one per cancelled
// path, ...) is summed. It exits 1, naming the cause on stderr, when a
// figure that must be zero is not, when a figure is missing or lacks one of
// its keys, when a count is zero (nothing was tried, so nothing was
// proved), or when a line of the file is not a figure; 2 on a usage or I/O
// error.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: summary FIGURES.jsonl")
		return 2
	}
	f, err := os.Open(args[0])
	if err != nil {
		fmt.Fprintln(stderr, "summary:", err)
		return 2
	}
	defer f.Close()
	line, problems, err := summarize(f)
	if err != nil {
		fmt.Fprintln(stderr, "summary:", err)
		return 2
	}
	fmt.Fprintln(stdout, line)
	for _, p := range problems {
		fmt.Fprintln(stderr, "summary:", p)
	}
	if len(problems) > 0 {
		return 1
	}
	return 0
}

// figures sums the numeric keys of each figure over its records.
type figures struct {
	seen map[string]bool
	has  map[string]bool    // "figure.key" present in some record
	sum  map[string]float64 // "figure.key" summed over the records
}

func (fs *figures) add(name string, m map[string]any) {
	fs.seen[name] = true
	for k, v := range m {
		if f, ok := v.(float64); ok {
			fs.has[name+"."+k] = true
			fs.sum[name+"."+k] += f
		}
	}
}

func (fs *figures) get(key string) int64 { return int64(fs.sum[key]) }

// part is one section of the line.
type part struct {
	label   string   // what the line calls it
	figure  string   // the figure's name
	format  string   // formats the values of keys
	keys    []string // the keys printed, in format order
	count   string   // the key counting what was tried; must be > 0
	mustBe0 []string // keys whose sum must be zero
}

// parts are the sections of the line, in order. ssrf is built apart: it
// joins two figures.
var parts = []part{
	{"bombs", "bombs", "%d, %d B over cap", []string{"count", "bytes_over_cap"}, "count", []string{"bytes_over_cap"}},
	{"html-fuzz", "fuzz", "%d execs, %d crash", []string{"execs", "crashes"}, "execs", []string{"crashes"}},
	{"cancel", "cancel", "%d runs, %d goroutines/conns/tabs/txs leaked", []string{"runs", "leaked"}, "runs", []string{"leaked"}},
	{"browser-kill", "browser_kill", "%d, %d zombies", []string{"count", "zombies"}, "count", []string{"zombies"}},
	{"store-mutants", "store_mutants", "%d, %d host crashes", []string{"count", "host_crashes"}, "count", []string{"host_crashes"}},
	{"wasm-hostile", "wasm_hostile", "%d, %d panics", []string{"count", "panics"}, "count", []string{"panics"}},
	{"canaries", "canaries", "%d", []string{"found"}, "", []string{"found"}},
}

// summarize reads figure records and returns the summary line and the
// problems that must fail the build.
func summarize(r io.Reader) (string, []string, error) {
	fs := &figures{seen: map[string]bool{}, has: map[string]bool{}, sum: map[string]float64{}}
	var problems []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			problems = append(problems, fmt.Sprintf("line %d is not a figure: %v", n, err))
			continue
		}
		name, _ := m["figure"].(string)
		if name == "" {
			problems = append(problems, fmt.Sprintf("line %d has no figure name", n))
			continue
		}
		fs.add(name, m)
	}
	if err := sc.Err(); err != nil {
		return "", nil, err
	}

	// need reports the problems of one figure: missing, a key missing, a
	// count of zero, a must-be-zero sum that is not.
	need := func(name, count string, keys, mustBe0 []string) bool {
		if !fs.seen[name] {
			problems = append(problems, fmt.Sprintf("figure %q is missing", name))
			return false
		}
		ok := true
		for _, k := range keys {
			if !fs.has[name+"."+k] {
				problems = append(problems, fmt.Sprintf("figure %q has no %q", name, k))
				ok = false
			}
		}
		if count != "" && fs.has[name+"."+count] && fs.get(name+"."+count) <= 0 {
			problems = append(problems, fmt.Sprintf("figure %q: %s is %d, nothing was tried", name, count, fs.get(name+"."+count)))
		}
		for _, k := range mustBe0 {
			if v := fs.sum[name+"."+k]; v != 0 {
				problems = append(problems, fmt.Sprintf("figure %q: %s is %v, must be 0", name, k, v))
			}
		}
		return ok
	}

	var out []string
	// ssrf: the fetcher's vectors, tried through both egress paths (the
	// fetcher and the browser), and the connections that reached the
	// sentinel on either.
	okFetch := need("ssrf", "vectors", []string{"vectors", "reached"}, []string{"reached"})
	okBrowser := need("ssrf_browser", "vectors", []string{"vectors", "reached"}, []string{"reached"})
	if okFetch || okBrowser {
		paths := 0
		for _, ok := range []bool{okFetch, okBrowser} {
			if ok {
				paths++
			}
		}
		vectors := fs.get("ssrf.vectors")
		if !okFetch {
			vectors = fs.get("ssrf_browser.vectors")
		}
		out = append(out, fmt.Sprintf("ssrf: %d vectors x %d paths, %d reached",
			vectors, paths, fs.get("ssrf.reached")+fs.get("ssrf_browser.reached")))
	} else {
		out = append(out, "ssrf: missing")
	}
	for _, p := range parts {
		if !need(p.figure, p.count, p.keys, p.mustBe0) {
			out = append(out, p.label+": missing")
			continue
		}
		args := make([]any, len(p.keys))
		for i, k := range p.keys {
			args[i] = fs.get(p.figure + "." + k)
		}
		out = append(out, p.label+": "+fmt.Sprintf(p.format, args...))
	}
	return strings.Join(out, " | "), problems, nil
}
