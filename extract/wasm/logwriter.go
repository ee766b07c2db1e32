package wasm

import (
	"bytes"
	"io"
	"log/slog"
	"sync"
)

// logWriter turns guest output into log records, one per line, and stops
// after max bytes per instance.
type logWriter struct {
	mu      sync.Mutex
	log     *slog.Logger
	left    int
	dropped bool
}

func newLogWriter(log *slog.Logger, max int) *logWriter {
	return &logWriter{log: log, left: max}
}

func (w *logWriter) stream(name string) io.Writer { return &lineWriter{w: w, name: name} }

type lineWriter struct {
	w    *logWriter
	name string
	buf  []byte
}

const maxLine = 4 << 10

func (l *lineWriter) Write(p []byte) (int, error) {
	w := l.w
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	if w.left <= 0 {
		if !w.dropped {
			w.dropped = true
			w.log.Warn("wasm guest output over the limit; dropping the rest", "stream", l.name)
		}
		return n, nil
	}
	if len(p) > w.left {
		p = p[:w.left]
	}
	w.left -= len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.buf = append(l.buf, p[:min(len(p), maxLine-len(l.buf))]...)
			if len(l.buf) >= maxLine {
				l.flush()
			}
			break
		}
		l.buf = append(l.buf, p[:min(i, maxLine-len(l.buf))]...)
		l.flush()
		p = p[i+1:]
	}
	return n, nil
}

func (l *lineWriter) flush() {
	if len(l.buf) == 0 {
		return
	}
	l.w.log.Info("wasm guest output", "stream", l.name, "line", string(l.buf))
	l.buf = l.buf[:0]
}
