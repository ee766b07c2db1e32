package metrics

import (
	"bytes"
	"cmp"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ContentType is the media type of the Prometheus text format written by
// [Registry.WritePrometheus].
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// WritePrometheus writes every metric that has at least one series in the
// Prometheus text exposition format 0.0.4, sorted by name and labels.
func (r *Registry) WritePrometheus(w io.Writer) error {
	var fams []*family
	r.fams.Range(func(_, v any) bool {
		fams = append(fams, v.(*family))
		return true
	})
	slices.SortFunc(fams, func(a, b *family) int { return cmp.Compare(a.desc.Name, b.desc.Name) })

	var b bytes.Buffer
	for _, f := range fams {
		var ss []*series
		f.series.Range(func(_, v any) bool {
			ss = append(ss, v.(*series))
			return true
		})
		if len(ss) == 0 {
			continue
		}
		slices.SortFunc(ss, func(a, b *series) int {
			return cmp.Or(cmp.Compare(a.labels.Engine, b.labels.Engine),
				cmp.Compare(a.labels.Stage, b.labels.Stage), cmp.Compare(a.labels.Outcome, b.labels.Outcome))
		})
		name := f.desc.Name
		b.WriteString("# HELP ")
		b.WriteString(name)
		b.WriteByte(' ')
		b.WriteString(escapeHelp(f.desc.Help))
		b.WriteString("\n# TYPE ")
		b.WriteString(name)
		b.WriteByte(' ')
		b.WriteString(f.desc.Type.String())
		b.WriteByte('\n')
		for _, s := range ss {
			if f.desc.Type != Histogram {
				sample(&b, name, s.labels, "", math.Float64frombits(s.bits.Load()))
				continue
			}
			var cum uint64
			for i := range s.counts {
				cum += s.counts[i].Load()
				le := "+Inf"
				if i < len(f.desc.Buckets) {
					le = formatFloat(f.desc.Buckets[i])
				}
				sample(&b, name+"_bucket", s.labels, le, float64(cum))
			}
			sample(&b, name+"_sum", s.labels, "", math.Float64frombits(s.bits.Load()))
			sample(&b, name+"_count", s.labels, "", float64(cum))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// sample writes one line: name{labels,le="..."} value.
func sample(b *bytes.Buffer, name string, l Labels, le string, v float64) {
	b.WriteString(name)
	sep := byte('{')
	for _, kv := range [...][2]string{{"engine", l.Engine}, {"stage", l.Stage}, {"outcome", l.Outcome}, {"le", le}} {
		if kv[1] == "" {
			continue
		}
		b.WriteByte(sep)
		sep = ','
		b.WriteString(kv[0])
		b.WriteString(`="`)
		b.WriteString(escapeLabel(kv[1]))
		b.WriteByte('"')
	}
	if sep == ',' {
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(v))
	b.WriteByte('\n')
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(strings.ToValidUTF8(s, "\uFFFD")) }
func escapeHelp(s string) string  { return helpEscaper.Replace(strings.ToValidUTF8(s, "\uFFFD")) }

// Handler returns an http.Handler serving the registry in the Prometheus
// text format, for a /metrics endpoint.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var b bytes.Buffer
		if err := r.WritePrometheus(&b); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
		if req.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(b.Bytes())
	})
}
