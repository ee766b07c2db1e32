// Command summary prints the one-line reliability report from the figures
// the tests recorded (JSON lines, see internal/testenv.Figure), and exits
// non-zero when a figure that must be zero is not.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

type agg struct {
	seen map[string]bool
	sum  map[string]float64
}

func (a *agg) add(fig string, m map[string]any) {
	a.seen[fig] = true
	for k, v := range m {
		if f, ok := v.(float64); ok {
			a.sum[fig+"."+k] += f
		}
	}
}

func (a *agg) get(key string) int64 { return int64(a.sum[key]) }

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: summary FIGURES.jsonl")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(2)
	}
	defer f.Close()
	a := &agg{seen: map[string]bool{}, sum: map[string]float64{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		fig, _ := m["figure"].(string)
		if fig != "" {
			a.add(fig, m)
		}
	}
	var parts []string
	bad := false
	part := func(name string, fig string, format string, must []string, vals ...string) {
		if !a.seen[fig] {
			parts = append(parts, name+": not measured")
			return
		}
		args := make([]any, len(vals))
		for i, v := range vals {
			args[i] = a.get(fig + "." + v)
		}
		for _, k := range must {
			if a.get(fig+"."+k) != 0 {
				bad = true
			}
		}
		parts = append(parts, name+": "+fmt.Sprintf(format, args...))
	}
	paths := int64(1)
	if a.seen["ssrf_browser"] {
		paths = 2
	}
	if a.seen["ssrf"] {
		reached := a.get("ssrf.reached") + a.get("ssrf_browser.reached")
		if reached != 0 {
			bad = true
		}
		parts = append(parts, fmt.Sprintf("ssrf: %d vectors x %d paths, %d reached", a.get("ssrf.vectors"), paths, reached))
	} else {
		parts = append(parts, "ssrf: not measured")
	}
	part("bombs", "bombs", "%d, %d B over cap", []string{"bytes_over_cap"}, "count", "bytes_over_cap")
	part("html-fuzz", "fuzz", "%d execs, %d crash", []string{"crashes"}, "execs", "crashes")
	part("cancel", "cancel", "%d runs, %d goroutines/conns/tabs/txs leaked", []string{"leaked"}, "runs", "leaked")
	part("browser-kill", "browser_kill", "%d, %d zombies", []string{"zombies"}, "count", "zombies")
	part("store-mutants", "store_mutants", "%d, %d host crashes", []string{"host_crashes"}, "count", "host_crashes")
	part("wasm-hostile", "wasm_hostile", "%d, %d panics", []string{"panics"}, "count", "panics")
	part("canaries", "canaries", "%d", []string{"found"}, "found")
	fmt.Println(strings.Join(parts, " | "))
	if bad {
		fmt.Fprintln(os.Stderr, "summary: a figure that must be zero is not")
		os.Exit(1)
	}
}
