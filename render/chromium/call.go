package chromium

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-rod/rod/lib/proto"

	"github.com/riptide-go/riptide/render"
)

// call sends one CDP command on session sid (empty: the browser) and
// decodes the result into out (may be nil).
func (cn *conn) call(ctx context.Context, sid proto.TargetSessionID, method string, params, out any) error {
	select {
	case <-cn.done:
		return fmt.Errorf("%w: %s: connection closed", render.ErrBrowserCrashed, method)
	default:
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("chromium: %s: %w", method, context.Cause(ctx))
	}
	if params == nil {
		params = struct{}{}
	}
	res, err := cn.c.Call(ctx, string(sid), method, params)
	if err != nil {
		return cn.wrap(ctx, method, err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res, out); err != nil {
		return fmt.Errorf("chromium: %s: decode: %w", method, err)
	}
	return nil
}

// obj is a shorthand for CDP parameters.
type obj = map[string]any
