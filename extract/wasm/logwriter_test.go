package wasm

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLogWriter(t *testing.T) {
	cases := []struct {
		name   string
		max    int
		writes []string
		want   []string // logged lines, in order
		warn   bool     // the over-limit warning was logged
	}{
		{"lines", 1 << 10, []string{"a\nb", "c\n"}, []string{"a", "bc"}, false},
		{"long line cut", 1 << 20, []string{strings.Repeat("x", maxLine+10) + "\n"}, []string{strings.Repeat("x", maxLine)}, false},
		{"over the limit", 6, []string{"abc\n", "def\n", "ghi\n"}, []string{"abc"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, nil))
			w := newLogWriter(log, tc.max).stream("stdout")
			for _, s := range tc.writes {
				n, err := w.Write([]byte(s))
				assert.NoError(t, err)
				assert.Equal(t, len(s), n, "writes always report success")
			}
			out := buf.String()
			for _, l := range tc.want {
				assert.Contains(t, out, `"line":"`+l+`"`)
			}
			assert.Equal(t, len(tc.want), strings.Count(out, `"msg":"wasm guest output"`))
			assert.Equal(t, tc.warn, strings.Contains(out, "over the limit"))
		})
	}
}
