package wasm

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/riptide-go/riptide/pool"
)

// instancePool hands out instances exclusively. It is the one place where
// the engine meets its pooling strategy; *pool.Pool[*instance] implements
// it.
type instancePool interface {
	// Acquire returns an idle instance or creates one; it waits (bounded by
	// ctx) while max instances are checked out.
	Acquire(ctx context.Context) (*instance, error)
	// Release gives inst back; a non-nil err (a fault) closes it.
	Release(inst *instance, err error)
	// Close closes the instances, waiting for checked-out ones until ctx
	// ends.
	Close(ctx context.Context) error
}

// idleTimeout closes pooled instances above the minimum after this long
// unused: a Go guest's memory never shrinks.
const idleTimeout = 2 * time.Minute

// newPool builds the engine's pool. first (already created and checked by
// New) is handed out before any new instance is made.
func (e *Engine) newPool(first *instance) (instancePool, error) {
	var seed atomic.Pointer[instance]
	seed.Store(first)
	cfg := pool.Config[*instance]{
		New: func(ctx context.Context) (*instance, error) {
			if in := seed.Swap(nil); in != nil {
				return in, nil
			}
			return e.newInstance(ctx)
		},
		Close:       func(in *instance) error { e.closeInstance(in); return nil },
		Min:         e.cfg.poolMin,
		Max:         e.cfg.poolMax,
		Target:      max(e.cfg.poolMin, 1),
		MaxUses:     e.cfg.recycleDocs,
		IdleTimeout: idleTimeout,
		Logger:      e.log,
	}
	if e.cfg.recycleMem > 0 {
		cfg.Mem = func(in *instance) int64 { return in.memSize() }
		cfg.MaxMem = e.cfg.recycleMem
	}
	if e.cfg.perCall {
		// A fresh instance per document, created by the caller.
		cfg.MaxUses, cfg.Target, cfg.Min, cfg.IdleTimeout = 1, -1, 0, 0
	}
	p, err := pool.New(cfg)
	if err != nil {
		if in := seed.Swap(nil); in != nil {
			e.closeInstance(in)
		}
		return nil, err
	}
	if e.cfg.perCall {
		if in := seed.Swap(nil); in != nil {
			e.closeInstance(in)
		}
	}
	return p, nil
}
