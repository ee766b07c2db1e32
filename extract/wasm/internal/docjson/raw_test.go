package docjson

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// rawCases are valid and invalid JSON texts for appendCompact.
var rawCases = []string{
	``, ` `, `null`, `true`, `false`, `nul`, `nulll`, `truex`, `True`, `"`, `""`, `"a`, `"\"`, `"\\"`,
	`"\u00e9\uD83D\uDE00"`, `"\u00g0"`, `"\u12"`, `"\x"`, `"\/\b\f\n\r\t"`, "\"a\x01\"", "\"a\x7f\xff\"",
	"\"\u2028\"", `0`, `-0`, `-`, `01`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-05`, `1e`, `1e+`, `-1.5e10`, `1.5.5`,
	`+1`, `0x10`, `[]`, `[ ]`, `[1,]`, `[,1]`, `[1 2]`, `[1,2]`, `{}`, `{ }`, `{"a"}`, `{"a":}`, `{"a":1,}`,
	`{"a" : 1 , "b" : [ true , null ] }`, `{1:2}`, `{"a":1}}`, `[[]`, `[]]`, `{"a":[1,{"b":{}}]}`, `[1] [2]`,
	" \t\n\r[ \"a b\" , \"c\\\" ]\" ]\n ", `{"a":1 "b":2}`, "[\"\x00\"]", `"abcdefghijklmnopq\"rstuvwxyz"`,
	`["abcdefgh\\ijklmnop","\u0041BCDEFGHIJKLMN\t"]`, "\"abcdefgh\x1fijkl\"", "\xef\xbb\xbf{}",
	strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
	strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
	strings.Repeat(`{"a":`, maxDepth) + "1" + strings.Repeat("}", maxDepth),
	strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1),
}

// checkCompact checks appendCompact against json.Valid and json.Compact.
func checkCompact(t *testing.T, src []byte) {
	t.Helper()
	const prefix = "prefix"
	got, ok := appendCompact([]byte(prefix), src)
	var want bytes.Buffer
	want.WriteString(prefix)
	err := json.Compact(&want, src)
	assert.Equal(t, json.Valid(src), ok, "valid: %q", src)
	assert.Equal(t, err == nil, ok, "compact: %q: %v", src, err)
	assert.Equal(t, want.String(), string(got), "%q", src)
}

func TestAppendCompact(t *testing.T) {
	for _, src := range rawCases {
		checkCompact(t, []byte(src))
	}
}

func FuzzAppendCompact(f *testing.F) {
	for _, src := range rawCases {
		if len(src) < 1000 {
			f.Add([]byte(src))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) { checkCompact(t, src) })
}
