package docjson_test

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm/internal/docjson"
)

// prefix is written before every document the tests encode, to check
// that AppendDocument appends and leaves b's contents alone.
const prefix = `{"document":`

// stdEncode is the reference: encoding/json set up as in the guest, HTML
// escaping off, without the encoder's trailing newline.
func stdEncode(d *extract.Document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// appendDocument returns AppendDocument's output for d, after checking
// that it kept what b held before.
func appendDocument(t testing.TB, d *extract.Document) []byte {
	t.Helper()
	out := docjson.AppendDocument([]byte(prefix), d)
	require.True(t, bytes.HasPrefix(out, []byte(prefix)), "AppendDocument overwrote b: %q", out)
	return out[len(prefix):]
}

// checkSame checks that AppendDocument writes for d exactly what
// encoding/json writes with HTML escaping off, and that its output decodes
// as encoding/json's does: into a Document as that output, and into any as
// json.Marshal's. (json.Marshal also escapes <, >, & and U+2028 inside the
// Schema RawMessages, which a Document keeps as they are written.)
func checkSame(t testing.TB, d *extract.Document) {
	t.Helper()
	want, err := stdEncode(d)
	require.NoError(t, err, "encoding/json fails on the test document")
	got := appendDocument(t, d)
	require.Equal(t, string(want), string(got))

	var wantDoc, gotDoc extract.Document
	require.NoError(t, json.Unmarshal(want, &wantDoc))
	require.NoError(t, json.Unmarshal(got, &gotDoc), "%s", got)
	assert.Equal(t, wantDoc, gotDoc)

	marshalled, err := json.Marshal(d)
	require.NoError(t, err)
	var wantAny, gotAny any
	require.NoError(t, json.Unmarshal(marshalled, &wantAny))
	require.NoError(t, json.Unmarshal(got, &gotAny))
	assert.Equal(t, wantAny, gotAny)
}

// checkStandIn checks a document encoding/json fails on: AppendDocument
// does not panic and writes valid JSON that decodes into a Document.
func checkStandIn(t testing.TB, d *extract.Document) []byte {
	t.Helper()
	_, err := stdEncode(d)
	require.Error(t, err, "encoding/json no longer fails on this document")
	got := appendDocument(t, d)
	require.True(t, json.Valid(got), "invalid JSON: %s", got)
	var doc extract.Document
	require.NoError(t, json.Unmarshal(got, &doc))
	return got
}

func TestNil(t *testing.T) {
	want, err := stdEncode(nil)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(appendDocument(t, nil)))
}

// tricky holds strings that exercise every branch of the escaping.
var tricky = map[string]string{
	"empty":             "",
	"plain":             "plain text",
	"quotes":            `say "hi"`,
	"backslash":         `C:\dir\file \\ \"`,
	"shorthands":        "a\nb\rc\td\be\ff",
	"controls":          "\x00\x01\x02\x03\x04\x05\x06\x07\x0b\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f",
	"delete":            "a\x7fb",
	"html":              `<a href="x?a=1&b=2">&amp;</a>`,
	"invalid byte":      "a\xffb",
	"invalid start":     "\x80\x80",
	"truncated":         "ab\xe2\x80",
	"surrogate":         "\xed\xa0\x80",
	"overlong":          "\xc0\xaf \xc1\xbf \xe0\x80\x80 \xe0\x9f\xbf \xf0\x8f\xbf\xbf",
	"utf8 edges":        "\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf",
	"beyond utf8":       "\xf4\x90\x80\x80 \xf5\x80\x80\x80 \xff\xfe",
	"lone continuation": "a\xbfb\xc2",
	"short sequences":   "\xe2\x80 \xe2\x80\x41 \xf0\x9f\x98 \xc3",
	"line separator":    "a\u2028b",
	"para separator":    "a\u2029b",
	"near separators":   "\u2027\u202a\u202f",
	"replacement char":  "\ufffd",
	"emoji":             "hi 😀 👩‍👩‍👧",
	"accents":           "café — “quoted” ½",
	"cjk":               "中文字符",
	"max rune":          "\U0010ffff",
	"mixed":             "\"\\\n\x00<\u2028\xff😀",
}

func TestStrings(t *testing.T) {
	for name, s := range tricky {
		t.Run(name, func(t *testing.T) {
			checkSame(t, &extract.Document{
				Title:     s,
				Authors:   []string{s, s + "x"},
				Links:     []extract.Link{{URL: s, Text: s}},
				Tables:    []extract.Table{{Caption: s, Rows: [][]string{{s}}}},
				OpenGraph: map[string]string{s: s, s + "1": ""},
				Quality:   extract.Quality{Parts: map[string]int{s: 1}},
				Meta:      extract.Metadata{Engine: s, Warnings: []string{s}},
			})
		})
	}
}

func TestFloats(t *testing.T) {
	cases := map[string]float64{
		"tenth":         0.1,
		"1e-7":          1e-7,
		"1.5e-7":        1.5e-7,
		"1e-6":          1e-6,
		"just below":    0.00000099999,
		"1e-10":         1e-10,
		"1e-100":        1e-100,
		"1e20":          1e20,
		"1e21":          1e21,
		"just below 21": 999999999999999900000,
		"123456789":     123456789,
		"-0.5":          -0.5,
		"negative zero": math.Copysign(0, -1),
		"two":           2,
		"third":         1.0 / 3,
		"smallest":      math.SmallestNonzeroFloat64,
		"largest":       math.MaxFloat64,
		"-largest":      -math.MaxFloat64,
		"-1e-7":         -1e-7,
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			checkSame(t, &extract.Document{Media: []extract.Media{{
				Srcset: []extract.SrcsetCandidate{{Density: f}, {URL: "u", Density: f, Width: 2}},
			}}})
		})
	}
}

// TestUnsupportedFloats: encoding/json fails on NaN and infinities;
// AppendDocument writes 0.
func TestUnsupportedFloats(t *testing.T) {
	for name, f := range map[string]float64{"NaN": math.NaN(), "+Inf": math.Inf(1), "-Inf": math.Inf(-1)} {
		t.Run(name, func(t *testing.T) {
			got := checkStandIn(t, &extract.Document{Media: []extract.Media{{
				Srcset: []extract.SrcsetCandidate{{URL: "u", Density: f}},
			}}})
			assert.Contains(t, string(got), `"srcset":[{"url":"u","density":0}]`)
		})
	}
}

func TestInts(t *testing.T) {
	for _, n := range []int{0, 1, -1, 7, 640, math.MaxInt, math.MinInt} {
		checkSame(t, &extract.Document{
			WordCount:          n,
			ReadingTimeSeconds: -n,
			Quality:            extract.Quality{Score: n, Parts: map[string]int{"a": n, "b": -n}},
			Media:              []extract.Media{{Width: n, Height: n, Srcset: []extract.SrcsetCandidate{{Width: n}}}},
			Tables:             []extract.Table{{HeaderRows: n}},
			Meta:               extract.Metadata{Duration: time.Duration(n), NodesVisited: n},
		})
	}
}

func TestCollections(t *testing.T) {
	cases := map[string]*extract.Document{
		"nil slices and maps": {},
		"empty slices and maps": {
			Authors: []string{}, Categories: []string{}, Tags: []string{}, Robots: []string{},
			Links: []extract.Link{}, Media: []extract.Media{}, Tables: []extract.Table{},
			Schema: []json.RawMessage{}, OpenGraph: map[string]string{}, Twitter: map[string]string{},
			Quality: extract.Quality{Parts: map[string]int{}},
			Meta:    extract.Metadata{Warnings: []string{}},
		},
		"one empty string": {Authors: []string{""}, Robots: []string{""}, Meta: extract.Metadata{Warnings: []string{""}}},
		"rows nil":         {Tables: []extract.Table{{}}},
		"rows empty":       {Tables: []extract.Table{{Rows: [][]string{}}}},
		"row nil":          {Tables: []extract.Table{{Rows: [][]string{nil}}}},
		"row empty":        {Tables: []extract.Table{{Rows: [][]string{{}}}}},
		"rows mixed":       {Tables: []extract.Table{{HeaderRows: 1, Rows: [][]string{{"a", "b"}, nil, {}, {""}}}, {Caption: "c"}}},
		"srcset empty":     {Media: []extract.Media{{Srcset: []extract.SrcsetCandidate{}}}},
		"zero elements": {
			Links: []extract.Link{{}, {}}, Media: []extract.Media{{Srcset: []extract.SrcsetCandidate{{}}}},
			Schema: []json.RawMessage{nil}, OpenGraph: map[string]string{"": ""}, Quality: extract.Quality{Parts: map[string]int{"": 0}},
		},
		"sorted keys": {
			OpenGraph: map[string]string{"title": "t", "image": "i", "Image": "I", "image:width": "1", "é": "e", "z": "", "": "empty", "a\xff": "x", "a\x00": "y"},
			Twitter:   map[string]string{"card": "summary", "site": "@x", "creator": "@y"},
			Quality:   extract.Quality{Score: 80, Parts: map[string]int{"length": 30, "links": -5, "density": 40, "boilerplate": 15}},
		},
		"many keys": {OpenGraph: manyKeys(100)},
		"flags": {
			Links: []extract.Link{{URL: "a", NoFollow: true}, {URL: "b", External: true}, {URL: "c", InContent: true}, {URL: "d", Rel: "me", NoFollow: true, External: true, InContent: true}},
			Meta:  extract.Metadata{Degraded: true},
		},
	}
	for name, d := range cases {
		t.Run(name, func(t *testing.T) { checkSame(t, d) })
	}
}

func manyKeys(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[string(rune('a'+i%26))+string(rune('A'+i/26))] = "v"
	}
	return m
}

func TestSchema(t *testing.T) {
	cases := map[string]json.RawMessage{
		"compact":           json.RawMessage(`{"@type":"Article","name":"x"}`),
		"indented":          json.RawMessage("{\n  \"@type\" : \"Article\",\n\t\"n\": [ 1 , 2.50 , true, null ]\r\n}"),
		"padded":            json.RawMessage("  \"s\"  \n"),
		"spaces in strings": json.RawMessage(`{"a b": "c \" d \\", "e\\":" \" ] } "}`),
		"html":              json.RawMessage(`{"h":"<b>&amp;</b>"}`),
		"separators":        json.RawMessage("[\"\u2028\u2029\"]"),
		"escapes kept":      json.RawMessage(`"\u003c\u0041\n\/"`),
		"number":            json.RawMessage(`1e+10`),
		"nested":            json.RawMessage(`[[[ {"a":[ ]} ]], { }]`),
		"null":              json.RawMessage(`null`),
		"nil":               nil,
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			checkSame(t, &extract.Document{Schema: []json.RawMessage{raw, json.RawMessage(`{"k": 1}`)}})
		})
	}
}

// TestInvalidSchema: encoding/json fails on a RawMessage that is not
// valid JSON; AppendDocument writes null.
func TestInvalidSchema(t *testing.T) {
	for _, raw := range []string{"", " ", "{", `{"a":1}x`, "nul", `{"a" 1}`, "[1,]", "\"a\x01\"", "{} {}"} {
		t.Run(raw, func(t *testing.T) {
			got := checkStandIn(t, &extract.Document{Schema: []json.RawMessage{json.RawMessage(raw), json.RawMessage(`{ }`)}})
			assert.Contains(t, string(got), `"schema":[null,{}]`)
		})
	}
}
