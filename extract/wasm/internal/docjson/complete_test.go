package docjson_test

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/riptide-go/riptide/extract"
)

// TestComplete fills every exported field of a Document, found by
// reflection, and checks AppendDocument against encoding/json: a field
// added to Document (or to a type it holds) or retagged without a change to
// the encoder fails here.
func TestComplete(t *testing.T) {
	typ := reflect.TypeFor[extract.Document]()
	cases := map[string]func(*filler, reflect.Value){
		// full: every field non-zero, every slice and map with several
		// elements.
		"full": func(f *filler, v reflect.Value) { f.fill(v) },
		// zero elements: every slice and map of the full document holds
		// one zero element, so the fields that are not omitempty show.
		"zero elements": func(f *filler, v reflect.Value) { f.zeroElems = true; f.fill(v) },
		// empty elements: every slice and map holds one element whose
		// own slices and maps are empty but not nil.
		"empty elements": func(f *filler, v reflect.Value) { f.emptyElems = true; f.fill(v) },
		"zero":           func(*filler, reflect.Value) {},
	}
	// Each top-level field alone, so that every one is once the first
	// field written.
	for i := range typ.NumField() {
		cases["only "+typ.Field(i).Name] = func(f *filler, v reflect.Value) { f.fill(v.Field(i)) }
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			var d extract.Document
			build(&filler{t: t}, reflect.ValueOf(&d).Elem())
			checkSame(t, &d)
		})
	}
}

// filler sets values by reflection, each leaf to the next of a rotation of
// awkward values.
type filler struct {
	t          *testing.T
	n          int
	depth      int  // how many slices and maps enclose the value
	zeroElems  bool // collections hold one zero element
	emptyElems bool // collections below the first level are empty
}

var (
	rawMessageType = reflect.TypeFor[json.RawMessage]()

	fillStrings = []string{
		"plain", `q"uo\te`, "<a href='x'>&amp;</a>", "line\nbreak\t\r\b\f\x00\x1f", "bad\xffutf8\xe2\x80",
		"sep\u2028\u2029", "emoji 😀", "café “x” —", "\ufffd", "https://example.com/a?b=c&d=e#f",
	}
	fillFloats = []float64{0.1, 1e-7, 1e21, 123456789, -0.5, 2, 1.0 / 3, 5e-324, 1e-6, 999999999999999900000}
	fillInts   = []int64{1, -7, 640, 1 << 40, math.MaxInt64, math.MinInt64, 123456789}
	fillRaws   = []string{
		`{"@type":"Article","name":"x"}`,
		"{\n  \"@context\" : \"https://schema.org\",\n  \"a b\": [ 1, 2.50, true, null, \" \\\" \" ]\n}",
		` "<&>\u2028" `,
		`[]`,
	}
)

func (f *filler) next() int {
	f.n++
	return f.n
}

// fill sets v, which must be settable and zero.
func (f *filler) fill(v reflect.Value) {
	if v.Type() == rawMessageType {
		// A RawMessage must hold JSON: encoding/json fails otherwise.
		if !f.zeroElems {
			v.SetBytes([]byte(fillRaws[f.next()%len(fillRaws)]))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fillStrings[f.next()%len(fillStrings)])
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := fillInts[f.next()%len(fillInts)]
		v.SetInt(n)
		if v.Int() != n { // truncated: take a small one
			v.SetInt(int64(f.n%100 + 1))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(uint64(f.next()%100 + 1))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(fillFloats[f.next()%len(fillFloats)])
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i))
			}
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem())
	case reflect.Array:
		for i := range v.Len() {
			f.fill(v.Index(i))
		}
	case reflect.Slice:
		n := f.elems()
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		f.depth++
		for i := range n {
			if !f.zeroElems {
				f.fill(v.Index(i))
			}
		}
		f.depth--
	case reflect.Map:
		n := f.elems()
		v.Set(reflect.MakeMapWithSize(v.Type(), n))
		f.depth++
		for range n {
			k := reflect.New(v.Type().Key()).Elem()
			e := reflect.New(v.Type().Elem()).Elem()
			if !f.zeroElems {
				f.fill(k)
				f.fill(e)
			}
			v.SetMapIndex(k, e)
		}
		f.depth--
	default:
		f.t.Fatalf("filler: %s of kind %s: teach the filler, and AppendDocument, about it", v.Type(), v.Kind())
	}
}

// elems says how many elements a slice or map gets.
func (f *filler) elems() int {
	switch {
	case f.zeroElems:
		return 1
	case f.emptyElems && f.depth > 0:
		return 0
	case f.emptyElems:
		return 1
	}
	return 3
}
