package testenv

import (
	"net"
	"sync/atomic"
	"testing"
)

// Sentinel is a listener that counts every connection it accepts: SSRF
// tests point blocked URLs at it and assert it saw none.
type Sentinel struct {
	ln    net.Listener
	conns atomic.Int64
	done  chan struct{}
}

// NewSentinel listens on addr ("127.0.0.1:0" when empty) until the test
// ends; its accept loop has stopped when the test's cleanup returns.
func NewSentinel(t testing.TB, addr string) *Sentinel {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("sentinel: %v", err)
	}
	s := &Sentinel{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			_ = c.Close()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-s.done
	})
	return s
}

// Addr returns the sentinel's host:port.
func (s *Sentinel) Addr() string { return s.ln.Addr().String() }

// Port returns the sentinel's port.
func (s *Sentinel) Port() string {
	_, p, _ := net.SplitHostPort(s.Addr())
	return p
}

// Hits returns how many connections the sentinel accepted.
func (s *Sentinel) Hits() int64 { return s.conns.Load() }
