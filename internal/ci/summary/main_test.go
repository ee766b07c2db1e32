package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// complete is a figures file with every figure the line needs, several
// recorded more than once, and unrelated figures in between.
const complete = `{"figure":"ssrf","vectors":57,"paths":2,"dialer_vectors":21,"reached":0}
{"figure":"ssrf_browser","vectors":12,"reached":0,"refused":30}
{"figure":"bombs","count":14,"bytes_over_cap":0,"cap_bytes":1048576}
{"figure":"fuzz","target":"FuzzParse","execs":1000,"crashes":0}
{"figure":"fuzz","target":"FuzzURL","execs":234,"crashes":0}
{"figure":"render_bench_smoke","warm_p50_ms":40}
{"figure":"cancel","runs":200,"leaked":0,"path":"crawl"}
{"figure":"cancel","runs":40,"leaked":0,"path":"render"}
{"figure":"browser_kill","count":5,"zombies":0}
{"figure":"store_mutants","count":300,"host_crashes":0}
{"figure":"wasm_hostile","count":9,"panics":0}
{"figure":"canaries","found":0,"bytes_scanned":100}
{"figure":"canaries","found":0}
`

const wantLine = "ssrf: 57 vectors x 2 paths, 0 reached | bombs: 14, 0 B over cap | html-fuzz: 1234 execs, 0 crash | " +
	"cancel: 240 runs, 0 goroutines/conns/tabs/txs leaked | browser-kill: 5, 0 zombies | store-mutants: 300, 0 host crashes | " +
	"wasm-hostile: 9, 0 panics | canaries: 0"

func TestSummarize(t *testing.T) {
	drop := func(figure string) string {
		var keep []string
		for l := range strings.Lines(complete) {
			if !strings.Contains(l, `"figure":"`+figure+`"`) {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "")
	}
	tests := []struct {
		name     string
		in       string
		line     string   // exact line, when set
		contains []string // parts of the line
		problems []string // each must appear in some problem; none when empty
	}{
		{name: "all zero", in: complete, line: wantLine},
		{name: "blank lines ignored", in: "\n" + complete + "\n\n", line: wantLine},
		{
			name:     "canary found",
			in:       complete + `{"figure":"canaries","found":2}` + "\n",
			contains: []string{"| canaries: 2"},
			problems: []string{`"canaries": found is 2`},
		},
		{
			name:     "leak in one cancel path",
			in:       complete + `{"figure":"cancel","runs":10,"leaked":1,"path":"extract"}` + "\n",
			contains: []string{"cancel: 250 runs, 1 goroutines/conns/tabs/txs leaked"},
			problems: []string{`"cancel": leaked is 1`},
		},
		{
			name:     "browser reached",
			in:       complete + `{"figure":"ssrf_browser","vectors":1,"reached":1}` + "\n",
			contains: []string{"ssrf: 57 vectors x 2 paths, 1 reached"},
			problems: []string{`"ssrf_browser": reached is 1`},
		},
		{name: "bytes over cap", in: strings.Replace(complete, `"bytes_over_cap":0`, `"bytes_over_cap":512`, 1),
			contains: []string{"bombs: 14, 512 B over cap"}, problems: []string{`"bombs": bytes_over_cap is 512`}},
		{name: "fuzz crash", in: strings.Replace(complete, `"execs":234,"crashes":0`, `"execs":234,"crashes":1`, 1),
			contains: []string{"html-fuzz: 1234 execs, 1 crash"}, problems: []string{`"fuzz": crashes is 1`}},
		{name: "zombie", in: strings.Replace(complete, `"zombies":0`, `"zombies":3`, 1), problems: []string{`"browser_kill": zombies is 3`}},
		{name: "host crash", in: strings.Replace(complete, `"host_crashes":0`, `"host_crashes":1`, 1), problems: []string{`"store_mutants": host_crashes is 1`}},
		{name: "wasm panic", in: strings.Replace(complete, `"panics":0`, `"panics":1`, 1), problems: []string{`"wasm_hostile": panics is 1`}},
		{
			name:     "browser path missing",
			in:       drop("ssrf_browser"),
			contains: []string{"ssrf: 57 vectors x 1 paths, 0 reached"},
			problems: []string{`figure "ssrf_browser" is missing`},
		},
		{
			name:     "canaries missing",
			in:       drop("canaries"),
			contains: []string{"| canaries: missing"},
			problems: []string{`figure "canaries" is missing`},
		},
		{
			name:     "everything missing",
			in:       `{"figure":"render_bench_smoke","warm_p50_ms":40}` + "\n",
			line:     "ssrf: missing | bombs: missing | html-fuzz: missing | cancel: missing | browser-kill: missing | store-mutants: missing | wasm-hostile: missing | canaries: missing",
			problems: []string{`"ssrf" is missing`, `"bombs" is missing`, `"fuzz" is missing`, `"cancel" is missing`, `"browser_kill" is missing`, `"store_mutants" is missing`, `"wasm_hostile" is missing`, `"canaries" is missing`},
		},
		{
			name:     "must-be-zero key absent",
			in:       strings.Replace(complete, `"zombies":0`, `"zombie":0`, 1),
			problems: []string{`figure "browser_kill" has no "zombies"`},
		},
		{
			name:     "nothing tried",
			in:       strings.Replace(strings.Replace(complete, `"execs":1000`, `"execs":0`, 1), `"execs":234`, `"execs":0`, 1),
			problems: []string{`"fuzz": execs is 0, nothing was tried`},
		},
		{
			name:     "torn line",
			in:       complete + `{"figure":"canaries","fou` + "\n",
			line:     wantLine,
			problems: []string{"line 14 is not a figure"},
		},
		{
			name:     "unnamed record",
			in:       complete + `{"found":3}` + "\n",
			line:     wantLine,
			problems: []string{"line 14 has no figure name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, problems, err := summarize(strings.NewReader(tt.in))
			require.NoError(t, err)
			if tt.line != "" {
				assert.Equal(t, tt.line, line)
			}
			for _, c := range tt.contains {
				assert.Contains(t, line, c)
			}
			if len(tt.problems) == 0 {
				assert.Empty(t, problems)
			}
			for _, want := range tt.problems {
				found := false
				for _, p := range problems {
					found = found || strings.Contains(p, want)
				}
				assert.True(t, found, "problem %q not reported in %q", want, problems)
			}
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	good := write("good.jsonl", complete)
	bad := write("bad.jsonl", complete+`{"figure":"cancel","runs":1,"leaked":1}`+"\n")
	missing := write("missing.jsonl", `{"figure":"ssrf","vectors":3,"reached":0}`+"\n")

	tests := []struct {
		name    string
		args    []string
		code    int
		stdout  string
		stderrs []string
	}{
		{name: "all good", args: []string{good}, code: 0, stdout: wantLine + "\n"},
		{name: "a leak", args: []string{bad}, code: 1, stderrs: []string{`summary: figure "cancel": leaked is 1, must be 0`}},
		{name: "figures missing", args: []string{missing}, code: 1, stderrs: []string{`figure "canaries" is missing`, `figure "ssrf_browser" is missing`}},
		{name: "no file", args: []string{filepath.Join(dir, "absent")}, code: 2, stderrs: []string{"summary:"}},
		{name: "usage", args: nil, code: 2, stderrs: []string{"usage: summary FIGURES.jsonl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			assert.Equal(t, tt.code, code, "stderr: %s", stderr.String())
			if tt.stdout != "" {
				assert.Equal(t, tt.stdout, stdout.String())
				assert.Empty(t, stderr.String())
			}
			for _, s := range tt.stderrs {
				assert.Contains(t, stderr.String(), s)
			}
		})
	}
}
