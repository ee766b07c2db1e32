package docjson_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/riptide-go/riptide/extract"
)

// FuzzAppendDocument: on a document built from fuzzed strings, numbers and
// raw JSON, AppendDocument writes what encoding/json writes. Where
// encoding/json fails (a NaN or infinite float, a raw message that is not
// JSON), it writes valid JSON all the same, and the document without the
// offending value is then checked.
func FuzzAppendDocument(f *testing.F) {
	for _, s := range tricky {
		f.Add(s, "x", int64(3), 0.5, []byte(`{"a": [1, "b c"]}`), true)
	}
	f.Add("", "", int64(0), 0.0, []byte(nil), false)
	f.Add("a\u2028", "\xff", int64(math.MinInt64), 1e-7, []byte(" null "), false)
	f.Add("<&>", "\x00", int64(math.MaxInt64), 1e21, []byte("{"), true)
	f.Add("k", "k", int64(-1), math.NaN(), []byte(`"\u2028"`), true)
	f.Add("k", "j", int64(1), math.Inf(-1), []byte("[\n]"), true)
	f.Fuzz(func(t *testing.T, s1, s2 string, n int64, x float64, raw []byte, flag bool) {
		d := fuzzDocument(s1, s2, n, x, raw, flag)
		invalidRaw := raw != nil && !json.Valid(raw) // nil is null
		if invalidRaw || math.IsNaN(x) || math.IsInf(x, 0) {
			checkStandIn(t, d)
			if invalidRaw {
				raw = []byte("null")
			}
			if math.IsNaN(x) || math.IsInf(x, 0) {
				x = 1
			}
			d = fuzzDocument(s1, s2, n, x, raw, flag)
		}
		checkSame(t, d)
	})
}

func fuzzDocument(s1, s2 string, n int64, x float64, raw []byte, flag bool) *extract.Document {
	i := int(n)
	d := &extract.Document{
		URL:         s1,
		Title:       s2,
		Authors:     []string{s1, s2},
		Description: s1 + s2,
		Text:        s2 + "\n\n" + s1,
		Links: []extract.Link{
			{URL: s1, Text: s2, NoFollow: flag, InContent: !flag},
			{URL: s2, Rel: s1, External: flag},
		},
		Media: []extract.Media{{
			Kind: extract.MediaKind(s2), URL: s1, Alt: s2, Width: i, Height: -i,
			Srcset: []extract.SrcsetCandidate{{URL: s1, Width: i, Density: x}, {URL: s2, Density: -x}},
		}},
		Tables:             []extract.Table{{Caption: s1, HeaderRows: i, Rows: [][]string{{s1, s2}, nil, {}}}},
		WordCount:          i,
		ReadingTimeSeconds: -i,
		Quality:            extract.Quality{Score: i, Parts: map[string]int{s1: i, s2: -i, s1 + s2: 0}},
		Schema:             []json.RawMessage{raw, nil},
		OpenGraph:          map[string]string{s1: s2, s2: s1, "title": s1},
		Twitter:            map[string]string{s2: ""},
		Meta: extract.Metadata{
			Engine: s1, Version: s2, Duration: time.Duration(n), NodesVisited: i, Degraded: flag,
			Warnings: []string{s2},
		},
	}
	if flag {
		d.Tags = []string{}
		d.Robots = []string{s2}
	}
	return d
}
