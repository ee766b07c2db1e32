package fetch

import (
	"context"
	"sync"
	"time"
)

// hostLimiter bounds the requests in flight per host and spaces the
// starts of consecutive requests to one host. Entries exist only while a
// host has requests waiting or in flight, or a start gap still running, so
// the map does not grow with the number of hosts ever seen.
type hostLimiter struct {
	perHost int
	now     func() time.Time

	mu        sync.Mutex
	hosts     map[string]*hostSlot
	sweepSize int // map size after the last sweep
	sinceSwp  int // entries created since the last sweep
}

type hostSlot struct {
	sem       chan struct{}
	refs      int       // callers holding or waiting for a slot; guarded by hostLimiter.mu
	nextStart time.Time // earliest start of the next request; guarded by hostLimiter.mu
}

func newHostLimiter(perHost int) *hostLimiter {
	return &hostLimiter{perHost: perHost, now: time.Now, hosts: make(map[string]*hostSlot)}
}

// acquire waits for a slot for host and for the start gap (delay) since the
// previous start to pass. It returns a release func, or ctx's error with the
// limiter unchanged.
func (l *hostLimiter) acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
	l.mu.Lock()
	s := l.hosts[host]
	if s == nil {
		l.sweepLocked()
		s = &hostSlot{sem: make(chan struct{}, l.perHost)}
		l.hosts[host] = s
	}
	s.refs++
	l.mu.Unlock()

	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		l.unref(host, s)
		return nil, ctx.Err()
	}
	release := func() {
		<-s.sem
		l.unref(host, s)
	}
	if delay > 0 {
		l.mu.Lock()
		now := l.now()
		start := s.nextStart
		if start.Before(now) {
			start = now
		}
		s.nextStart = start.Add(delay)
		l.mu.Unlock()
		if wait := start.Sub(now); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				release()
				return nil, ctx.Err()
			}
		}
	}
	var once sync.Once
	return func() { once.Do(release) }, nil
}

func (l *hostLimiter) unref(host string, s *hostSlot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.refs--
	if s.refs == 0 && !s.nextStart.After(l.now()) && l.hosts[host] == s {
		delete(l.hosts, host)
	}
}

// sweepLocked drops idle entries whose start gap has passed. It runs when
// the map has doubled since the last sweep, or after as many new entries
// as the map holds, so its cost is amortised over the entries created.
func (l *hostLimiter) sweepLocked() {
	l.sinceSwp++
	if len(l.hosts) < 2*l.sweepSize+64 && l.sinceSwp < max(len(l.hosts), 64) {
		return
	}
	l.sinceSwp = 0
	now := l.now()
	for h, s := range l.hosts {
		if s.refs == 0 && !s.nextStart.After(now) {
			delete(l.hosts, h)
		}
	}
	l.sweepSize = len(l.hosts)
}

// size returns the number of tracked hosts.
func (l *hostLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.hosts)
}
