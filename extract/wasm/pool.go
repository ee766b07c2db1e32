package wasm

import (
	"context"
	"sync"
)

// instancePool hands out instances exclusively. It is the one place where
// the engine meets its pooling strategy.
type instancePool interface {
	// Acquire returns an idle instance or creates one; it waits (bounded by
	// ctx) while max instances are checked out.
	Acquire(ctx context.Context) (*instance, error)
	// Release gives inst back; a non-nil err (a fault) closes it.
	Release(inst *instance, err error)
	// Close closes idle instances; instances released later are closed.
	Close(ctx context.Context) error
}

// newPool builds the engine's pool around the first instance (already
// created and checked by New).
func (e *Engine) newPool(first *instance) instancePool {
	p := &localPool{
		sem:     make(chan struct{}, e.cfg.poolMax),
		create:  e.newInstance,
		destroy: e.closeInstance,
		keep: func(in *instance) bool {
			if e.cfg.perCall {
				return false
			}
			if e.cfg.recycleDocs > 0 && in.docs >= e.cfg.recycleDocs {
				return false
			}
			if e.cfg.recycleMem > 0 && in.memSize() > e.cfg.recycleMem {
				return false
			}
			return true
		},
	}
	p.idle = append(p.idle, first)
	if !p.keep(first) {
		p.idle = p.idle[:0]
		e.closeInstance(first)
	}
	return p
}

// localPool is a bounded LIFO pool: the most recently used instance is
// reused first (its memory is warm).
type localPool struct {
	sem     chan struct{}
	create  func(context.Context) (*instance, error)
	destroy func(*instance)
	keep    func(*instance) bool

	mu     sync.Mutex
	idle   []*instance
	closed bool
}

func (p *localPool) Acquire(ctx context.Context) (*instance, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.sem
		return nil, ErrClosed
	}
	if n := len(p.idle); n > 0 {
		in := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return in, nil
	}
	p.mu.Unlock()
	in, err := p.create(ctx)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return in, nil
}

func (p *localPool) Release(in *instance, err error) {
	defer func() { <-p.sem }()
	if err == nil && p.keep(in) {
		p.mu.Lock()
		if !p.closed {
			p.idle = append(p.idle, in)
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
	p.destroy(in)
}

func (p *localPool) Close(context.Context) error {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, in := range idle {
		p.destroy(in)
	}
	return nil
}
