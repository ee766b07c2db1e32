package chromium

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/go-rod/rod/lib/cdp"
	"github.com/go-rod/rod/lib/proto"

	"github.com/riptide-go/riptide/render"
)

// eventHandler receives the events of one CDP session. It runs on the
// connection's dispatch goroutine, so it must not block and must not make
// CDP calls itself (it may start a goroutine that does).
type eventHandler func(method string, params json.RawMessage)

// conn is one DevTools connection to a browser. A single goroutine reads
// events and hands each to the handler registered for its session; it
// exits when the websocket ends (browser exit or crash), after which done
// is closed.
type conn struct {
	c    *cdp.Client
	done chan struct{}

	mu       sync.Mutex
	handlers map[proto.TargetSessionID]eventHandler
	root     eventHandler
}

func newConn(c *cdp.Client, root eventHandler) *conn {
	cn := &conn{c: c, done: make(chan struct{}), handlers: map[proto.TargetSessionID]eventHandler{}, root: root}
	go cn.dispatch()
	return cn
}

func (cn *conn) dispatch() {
	defer close(cn.done)
	for e := range cn.c.Event() {
		cn.mu.Lock()
		h := cn.root
		if e.SessionID != "" {
			h = cn.handlers[proto.TargetSessionID(e.SessionID)]
		}
		cn.mu.Unlock()
		if h != nil {
			h(e.Method, e.Params)
		}
	}
}

func (cn *conn) handle(sid proto.TargetSessionID, h eventHandler) {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if h == nil {
		delete(cn.handlers, sid)
		return
	}
	cn.handlers[sid] = h
}

// closed reports whether the connection has ended.
func (cn *conn) closed() bool {
	select {
	case <-cn.done:
		return true
	default:
		return false
	}
}

// caller binds a ctx and a session to the connection; it implements the
// proto client interfaces so typed requests can be sent with
// req.Call(caller).
type caller struct {
	cn  *conn
	ctx context.Context
	sid proto.TargetSessionID
}

func (c caller) Call(ctx context.Context, sessionID, method string, params any) ([]byte, error) {
	select {
	case <-c.cn.done:
		return nil, fmt.Errorf("%w: %s: connection closed", render.ErrBrowserCrashed, method)
	default:
	}
	res, err := c.cn.c.Call(ctx, sessionID, method, params)
	if err != nil {
		return nil, c.cn.wrap(ctx, method, err)
	}
	return res, nil
}

func (c caller) GetContext() context.Context         { return c.ctx }
func (c caller) GetSessionID() proto.TargetSessionID { return c.sid }

func (cn *conn) at(ctx context.Context, sid proto.TargetSessionID) caller {
	return caller{cn: cn, ctx: ctx, sid: sid}
}

// wrap turns a CDP call error into a package error: a dead connection
// becomes ErrBrowserCrashed, a ctx error stays matchable with errors.Is.
func (cn *conn) wrap(ctx context.Context, method string, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("chromium: %s: %w", method, context.Cause(ctx))
	}
	var ce *cdp.Error
	if errors.As(err, &ce) {
		if ce.Code == cdp.ErrSessionNotFound.Code || ce.Message == cdp.ErrSessionNotFound.Message {
			return fmt.Errorf("%w: %s: target gone", render.ErrBrowserCrashed, method)
		}
		return fmt.Errorf("chromium: %s: %s", method, ce.Message)
	}
	if cn.closed() || !errors.As(err, &ce) {
		// Any transport error (EOF, reset) means the browser is gone.
		return fmt.Errorf("%w: %s: %v", render.ErrBrowserCrashed, method, err)
	}
	return fmt.Errorf("chromium: %s: %w", method, err)
}
