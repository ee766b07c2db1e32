package chromium

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
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
// persisted cookies and localStorage.
func (r *Renderer) DeleteSession(ctx context.Context, id string) error {
	err := r.CloseSession(ctx, id)
	if r.cfg.Store != nil {
		if serr := r.cfg.Store.Update(func(tx *bolt.Tx) error {
			if b := tx.Bucket([]byte(sessionBucket)); b != nil {
				if err := b.Delete([]byte(id)); err != nil {
					return err
				}
			}
			if b := tx.Bucket([]byte(storageBucket)); b != nil {
				prefix := storageKey(id, "")
				var keys [][]byte
				cur := b.Cursor()
				for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
					keys = append(keys, bytes.Clone(k))
				}
				for _, k := range keys {
					if err := b.Delete(k); err != nil {
						return err
					}
				}
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

// storageBucket holds a session's localStorage: key = session id, NUL,
// origin; value = JSON array of [key, value] pairs.
const storageBucket = "render_session_storage"

// maxStorageBytes bounds the localStorage saved per session and origin
// (browsers allow about 5 MB); larger stores are not persisted.
const maxStorageBytes = 1 << 20

func storageKey(session, origin string) []byte { return []byte(session + "\x00" + origin) }

// storageOrigin is the origin of u as location.origin spells it
// (scheme://host, the port only when not the scheme's default).
func storageOrigin(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return ""
	}
	scheme, host, port := strings.ToLower(p.Scheme), strings.ToLower(p.Hostname()), p.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" || scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		return scheme + "://" + host
	}
	return scheme + "://" + host + ":" + port
}

// storageJS reads the page's origin and localStorage; null where the page
// has none (about:blank, data: URLs, storage disabled).
const storageJS = `(() => { try {
  const o = location.origin; if (!o || o === 'null') return null;
  const s = window.localStorage; const out = [];
  for (let i = 0; i < s.length; i++) { const k = s.key(i); out.push([k, s.getItem(k)]); }
  return [o, out];
} catch (e) { return null; } })()`

// saveStorage stores the localStorage of the page t shows under the
// session (after a render, while the page is still there).
func (r *Renderer) saveStorage(ctx context.Context, t *tab, session string) {
	if r.cfg.Store == nil || session == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	raw, err := t.eval(ctx, storageJS, false, false)
	if err != nil {
		return
	}
	var got []json.RawMessage
	if json.Unmarshal(raw, &got) != nil || len(got) != 2 {
		return
	}
	var o string
	if json.Unmarshal(got[0], &o) != nil || o == "" {
		return
	}
	items := got[1]
	if len(items) > maxStorageBytes {
		r.cfg.Logger.Warn("chromium: session localStorage too large to persist", "origin", o, "bytes", len(items))
		return
	}
	key := storageKey(session, o)
	same := false
	_ = r.cfg.Store.View(func(tx *bolt.Tx) error {
		if bk := tx.Bucket([]byte(storageBucket)); bk != nil {
			old := bk.Get(key)
			same = bytes.Equal(old, items) || old == nil && string(items) == "[]"
		}
		return nil
	})
	if same {
		return // no write, no sync
	}
	err = r.cfg.Store.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists([]byte(storageBucket))
		if err != nil {
			return err
		}
		if string(items) == "[]" {
			return bk.Delete(key)
		}
		return bk.Put(key, items)
	})
	if err != nil {
		r.cfg.Logger.Warn("chromium: saving session localStorage failed", "err", err)
	}
}

// restoreStorage prepares t to put the session's persisted localStorage
// for the request's origin back into a page of that origin, once per
// session context: the first render of an origin after the context was
// (re)created. It returns the function that removes the preparation
// after navigation.
func (r *Renderer) restoreStorage(ctx context.Context, t *tab, session, u string) (undo func()) {
	undo = func() {}
	o := storageOrigin(u)
	if r.cfg.Store == nil || session == "" || o == "" {
		return undo
	}
	r.mu.Lock()
	s := r.sessions[session]
	r.mu.Unlock()
	if s == nil {
		return undo
	}
	c := s.ctx
	c.mu.Lock()
	if c.restored == nil {
		c.restored = map[string]bool{}
	}
	done := c.restored[o]
	c.restored[o] = true
	c.mu.Unlock()
	if done {
		return undo
	}
	var items []byte
	_ = r.cfg.Store.View(func(tx *bolt.Tx) error {
		if bk := tx.Bucket([]byte(storageBucket)); bk != nil {
			items = append(items, bk.Get(storageKey(session, o))...)
		}
		return nil
	})
	var pairs [][2]string
	if len(items) == 0 || json.Unmarshal(items, &pairs) != nil || len(pairs) == 0 {
		return undo
	}
	// Re-encoded from the decoded pairs: the script embeds nothing but a
	// JSON array of strings, whatever the store holds.
	items, _ = json.Marshal(pairs)
	origin, _ := json.Marshal(o)
	// Keys the page already has (it may have run first) are left alone.
	src := `(() => { try { if (location.origin !== ` + string(origin) + `) return;
  for (const [k, v] of ` + string(items) + `) if (localStorage.getItem(k) === null) localStorage.setItem(k, v);
} catch (e) {} })();`
	var res struct {
		Identifier string `json:"identifier"`
	}
	if err := t.call(ctx, "Page.addScriptToEvaluateOnNewDocument", obj{"source": src}, &res); err != nil {
		return undo
	}
	return func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = t.call(rctx, "Page.removeScriptToEvaluateOnNewDocument", obj{"identifier": res.Identifier}, nil)
	}
}
