package chromium

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/riptide-go/riptide/render"
)

// sessionBucket holds persisted session cookies in the store: key = the
// session id, value = JSON array of CDP cookies.
const sessionBucket = "render_sessions"

// session is a named, long-lived browser context.
type session struct {
	id      string
	ctx     *Context
	created time.Time
}

func (s *session) close(ctx context.Context, r *Renderer) {
	_ = s.ctx.Close(ctx)
}

var _ render.SessionManager = (*Renderer)(nil)

// ListSessions returns the live sessions, sorted by id.
func (r *Renderer) ListSessions() []render.SessionInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]render.SessionInfo, 0, len(r.sessions))
	for _, s := range r.sessions {
		s.ctx.mu.Lock()
		out = append(out, render.SessionInfo{ID: s.id, Created: s.created, LastUsed: s.ctx.lastUse})
		s.ctx.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// CloseSession closes a session: its cookies are saved to the store (when
// configured) and its browser context is disposed. Unknown ids give
// render.ErrSessionNotFound.
func (r *Renderer) CloseSession(ctx context.Context, id string) error {
	r.mu.Lock()
	s := r.sessions[id]
	delete(r.sessions, id)
	r.mu.Unlock()
	if s == nil {
		return fmt.Errorf("%w: %q", render.ErrSessionNotFound, id)
	}
	s.close(ctx, r)
	return nil
}

// DeleteSession closes the session if it is live and removes its
// persisted cookies.
func (r *Renderer) DeleteSession(ctx context.Context, id string) error {
	err := r.CloseSession(ctx, id)
	if r.cfg.Store != nil {
		if serr := r.cfg.Store.Update(func(tx *bolt.Tx) error {
			if b := tx.Bucket([]byte(sessionBucket)); b != nil {
				return b.Delete([]byte(id))
			}
			return nil
		}); serr != nil {
			return serr
		}
		return nil
	}
	return err
}

// sessionContext returns the session's context, creating it when create
// is set.
func (r *Renderer) sessionContext(ctx context.Context, id string, create bool) (*Context, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, render.ErrClosed
	}
	if s := r.sessions[id]; s != nil {
		r.mu.Unlock()
		return s.ctx, nil
	}
	r.mu.Unlock()
	if !create {
		return nil, fmt.Errorf("%w: %q", render.ErrSessionNotFound, id)
	}
	c := &Context{r: r, session: id, created: time.Now(), lastUse: time.Now()}
	if err := c.ensure(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	if s := r.sessions[id]; s != nil || r.closed {
		r.mu.Unlock()
		_ = c.Close(ctx)
		if s == nil {
			return nil, render.ErrClosed
		}
		return s.ctx, nil
	}
	r.sessions[id] = &session{id: id, ctx: c, created: c.created}
	r.mu.Unlock()
	return c, nil
}

// touchSession saves the session's cookies after a render.
func (r *Renderer) touchSession(ctx context.Context, id string) {
	if r.cfg.Store == nil {
		return
	}
	r.mu.Lock()
	s := r.sessions[id]
	r.mu.Unlock()
	if s == nil {
		return
	}
	s.ctx.mu.Lock()
	b, bid := s.ctx.b, s.ctx.id
	s.ctx.mu.Unlock()
	if b != nil {
		r.saveCookies(ctx, s.ctx, b, bid)
	}
}

// expireSessions closes sessions idle past SessionIdleTimeout or older
// than SessionMaxAge.
func (r *Renderer) expireSessions() {
	now := time.Now()
	var expired []*session
	r.mu.Lock()
	for id, s := range r.sessions {
		s.ctx.mu.Lock()
		idle := now.Sub(s.ctx.lastUse) > r.cfg.SessionIdleTimeout && s.ctx.busy == 0
		old := now.Sub(s.created) > r.cfg.SessionMaxAge && s.ctx.busy == 0
		s.ctx.mu.Unlock()
		if idle || old {
			expired = append(expired, s)
			delete(r.sessions, id)
		}
	}
	r.mu.Unlock()
	for _, s := range expired {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.close(ctx, r)
		cancel()
	}
}

// saveCookies stores the context's cookies under the session id.
func (r *Renderer) saveCookies(ctx context.Context, c *Context, b *browser, bid string) {
	if r.cfg.Store == nil || c.session == "" || b.isDead() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	var res struct {
		Cookies json.RawMessage `json:"cookies"`
	}
	if err := b.cn.call(ctx, "", "Storage.getCookies", obj{"browserContextId": bid}, &res); err != nil {
		return
	}
	err := r.cfg.Store.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists([]byte(sessionBucket))
		if err != nil {
			return err
		}
		return bk.Put([]byte(c.session), res.Cookies)
	})
	if err != nil {
		r.cfg.Logger.Warn("chromium: saving session cookies failed", "err", err)
	}
}

// restoreCookies loads the session's persisted cookies into its (new)
// browser context.
func (r *Renderer) restoreCookies(ctx context.Context, c *Context) {
	if r.cfg.Store == nil || c.session == "" {
		return
	}
	var raw []byte
	_ = r.cfg.Store.View(func(tx *bolt.Tx) error {
		if bk := tx.Bucket([]byte(sessionBucket)); bk != nil {
			raw = append(raw, bk.Get([]byte(c.session))...)
		}
		return nil
	})
	if len(raw) == 0 {
		return
	}
	var cookies []map[string]any
	if json.Unmarshal(raw, &cookies) != nil || len(cookies) == 0 {
		return
	}
	// getCookies returns fields setCookies does not take.
	for _, ck := range cookies {
		for _, k := range []string{"size", "session", "priority", "sameParty", "sourceScheme", "sourcePort", "partitionKeyOpaque"} {
			delete(ck, k)
		}
		if exp, ok := ck["expires"].(float64); ok && exp <= 0 {
			delete(ck, "expires")
		}
	}
	c.mu.Lock()
	b, bid := c.b, c.id
	c.mu.Unlock()
	if b == nil {
		return
	}
	if err := b.cn.call(ctx, "", "Storage.setCookies", obj{"cookies": cookies, "browserContextId": bid}, nil); err != nil {
		r.cfg.Logger.Warn("chromium: restoring session cookies failed", "err", err)
	}
}
