package wasm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/internal/extractbench"
	"github.com/riptide-go/riptide/internal/testenv"
)

// fast runs the fast reader alone: ok is false when it leaves b to
// encoding/json.
func fast(b []byte) (response, bool) {
	var r response
	d := reader{b: b}
	ok := d.response(&r)
	return r, ok
}

// sameAsJSON fails the test unless decodeResponse gives what
// json.Unmarshal gives, and, when the fast reader accepts b, that
// json.Unmarshal accepts it too with the same value. It reports whether
// the fast reader accepted b.
func sameAsJSON(t testing.TB, b []byte) bool {
	t.Helper()
	var want response
	werr := json.Unmarshal(b, &want)
	got, err := decodeResponse(b)
	if werr != nil {
		require.Error(t, err, "%q", b)
	} else {
		require.NoError(t, err, "%q", b)
		require.Equal(t, want, got, "%q", b)
	}
	r, ok := fast(b)
	if ok {
		require.NoError(t, werr, "the fast reader accepted what encoding/json refuses: %q", b)
		require.Equal(t, want, r, "%q", b)
	}
	return ok
}

// marshal is the response as a guest writes it (HTML escaping off), or
// with encoding/json's defaults.
func marshal(t testing.TB, doc *extract.Document, escapeHTML bool) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	require.NoError(t, enc.Encode(struct {
		Document *extract.Document `json:"document"`
	}{doc}))
	return b.Bytes()
}

// fill sets every field under v to a value that is not zero, so that a
// Document field the fast reader does not know shows.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d \"é\" <&> \u2028 \U0001F600 \x01", *n))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.25)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), n)
		}
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.SetBytes([]byte(fmt.Sprintf(`{"@type":"Thing","n":%d,"list":[1,2.5,-3e2,true,false,null,"x\\u00e9"],"o":{}}`, *n)))
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			fill(k, n)
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, n)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	default:
		panic("fill: unexpected kind " + v.Kind().String())
	}
}

// TestDecodeResponseEveryField: a Document with every field set goes
// through the fast reader, so a field added to Document without a case in
// the reader fails here.
func TestDecodeResponseEveryField(t *testing.T) {
	var doc extract.Document
	n := 0
	fill(reflect.ValueOf(&doc).Elem(), &n)
	for _, esc := range []bool{false, true} {
		b := marshal(t, &doc, esc)
		assert.True(t, sameAsJSON(t, b), "the fast reader takes every field")
	}
	assert.True(t, sameAsJSON(t, marshal(t, &extract.Document{}, false)), "and the zero Document")
}

// TestDecodeResponseBench: the Documents of the benchmark pages go through
// the fast reader.
func TestDecodeResponseBench(t *testing.T) {
	pages, err := extractbench.LoadPages(testenv.BenchDir(t))
	require.NoError(t, err)
	var native extract.Native
	for _, p := range pages {
		doc, err := native.Extract(context.Background(), extract.Input{URL: "https://example.com/" + p.ID, HTML: p.HTML})
		if err != nil {
			continue
		}
		assert.True(t, sameAsJSON(t, marshal(t, doc, false)), p.ID)
	}
}

// TestDecodeResponseEdges: what the fast reader takes, and what it leaves
// to encoding/json, give encoding/json's result.
func TestDecodeResponseEdges(t *testing.T) {
	for _, tc := range []struct {
		json string
		fast bool
	}{
		{`{"document":{"title":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac\ud83d\ude00"}}`, true},
		{` { "document" : { "title" : "x" , "word_count" : 12 } } ` + "\n", true},
		{`{"document":{}}`, true},
		{`{}`, true},
		{`{"document":null}`, true},
		{`{"document":{"title":null,"links":null,"quality":null,"open_graph":null}}`, true},
		{`{"document":{"authors":[],"open_graph":{},"schema":[]}}`, true},
		{`{"document":{"media":[{"kind":"image","url":"u","srcset":[{"url":"a","density":1.5},{"url":"b","width":640}]}]}}`, true},
		{`{"document":{"tables":[{"rows":[["a","b"],[]],"header_rows":1}]}}`, true},
		{`{"document":{"quality":{"score":-3,"parts":{"a":1,"b\u00e9":-2}}}}`, true},
		{`{"document":{"extraction":{"engine":"e","duration_ns":9223372036854775807,"degraded":false}}}`, true},
		{`{"document":{"schema":[{"a":[1,{"b":"\u0041"}]},"s",3,true,null]}}`, true},
		{`{"document":{"schema":[` + strings.Repeat(`[`, 900) + strings.Repeat(`]`, 900) + `]}}`, true},
		{`{"document":{"schema":["` + "\xff" + `"]}}`, true}, // raw bytes are kept as they are

		// Left to encoding/json.
		{`{"error":{"code":"internal","message":"m"}}`, false},
		{`{"document":{"title":"x"},"error":{"code":"c"}}`, false},
		{`{"document":{"Title":"x"}}`, false},
		{`{"document":{"unknown":1,"title":"x"}}`, false},
		{`{"document":{"title":"a","title":"b"}}`, false},
		{`{"document":{"open_graph":{"k":"a","k":"b"}}}`, false},
		{`{"document":{"title":"\ud83d"}}`, false},
		{`{"document":{"title":"\ud83dx"}}`, false},
		{`{"document":{"title":"bad ` + "\xff" + ` byte"}}`, false},
		{`{"document":{"title":"ctl ` + "\x01" + `"}}`, false},
		{`{"document":{"title":"\q"}}`, false},
		{`{"document":{"word_count":1.0}}`, false},
		{`{"document":{"word_count":1e2}}`, false},
		{`{"document":{"word_count":99999999999999999999}}`, false},
		{`{"document":{"word_count":01}}`, false},
		{`{"document":{"word_count":-}}`, false},
		{`{"document":{"word_count":"3"}}`, false},
		{`{"document":{"authors":[null]}}`, false},
		{`{"document":{"authors":"a"}}`, false},
		{`{"document":{"links":[{"url":"u","nofollow":1}]}}`, false},
		{`{"document":{"media":[{"srcset":[{"density":1e400}]}]}}`, false},
		{`{"document":{"schema":[` + strings.Repeat(`[`, 1100) + strings.Repeat(`]`, 1100) + `]}}`, false},
		{`{"document":{"schema":[{"a" 1}]}}`, false},
		{`{"document":{"title":"x"}} trailing`, false},
		{`{"document":{"title":"x"}`, false},
		{`{"document":{"title":"x",}}`, false},
		{`[1]`, false},
		{``, false},
	} {
		t.Run(tc.json, func(t *testing.T) {
			assert.Equal(t, tc.fast, sameAsJSON(t, []byte(tc.json)), "fast reader")
		})
	}
}

// TestDecodeResponseCopies: nothing decoded aliases the buffer, which is
// guest memory.
func TestDecodeResponseCopies(t *testing.T) {
	var doc extract.Document
	n := 0
	fill(reflect.ValueOf(&doc).Elem(), &n)
	b := marshal(t, &doc, false)
	r, err := decodeResponse(b)
	require.NoError(t, err)
	want, err := json.Marshal(r)
	require.NoError(t, err)
	for i := range b {
		b[i] = 'X'
	}
	got, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

func FuzzDecodeResponse(f *testing.F) {
	var doc extract.Document
	n := 0
	fill(reflect.ValueOf(&doc).Elem(), &n)
	f.Add(marshal(f, &doc, false))
	f.Add([]byte(`{"document":{"title":"\u00e9","word_count":3,"links":[{"url":"u"}]}}`))
	f.Add([]byte(`{"error":{"code":"timeout","message":"m"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sameAsJSON(t, b)
	})
}

func BenchmarkDecodeResponse(b *testing.B) {
	pages, err := extractbench.LoadPages(testenv.BenchDir(b))
	require.NoError(b, err)
	var docs [][]byte
	var native extract.Native
	for _, p := range pages {
		doc, err := native.Extract(context.Background(), extract.Input{URL: "https://example.com/" + p.ID, HTML: p.HTML})
		if err == nil {
			docs = append(docs, marshal(b, doc, false))
		}
	}
	for _, bc := range []struct {
		name   string
		decode func([]byte) error
	}{
		{"fast", func(p []byte) error { _, err := decodeResponse(p); return err }},
		{"encoding-json", func(p []byte) error { var r response; return json.Unmarshal(p, &r) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			size := 0
			for i := 0; b.Loop(); i++ {
				p := docs[i%len(docs)]
				size += len(p)
				if err := bc.decode(p); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(size / max(b.N, 1)))
		})
	}
}
