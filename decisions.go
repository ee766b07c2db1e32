package riptide

import (
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/net/publicsuffix"

	"github.com/riptide-go/riptide/internal/store"
)

// decisionBucket holds the auto engine's per-domain decisions.
const decisionBucket = "engine_decisions"

// decisionCache remembers, per registrable domain, which engine the auto
// engine found a domain needs: in memory (LRU) and in the store when the
// Client has one. Store errors only cost the persistence.
type decisionCache struct {
	mem *lru.Cache[string, Engine]
	db  *store.DB
	log *slog.Logger
	// recheck reports whether a page of a domain decided "headless" is
	// tried static again (autoRecheckShare of them); tests replace it.
	recheck func() bool
}

type storedDecision struct {
	Engine  Engine    `json:"engine"`
	Decided time.Time `json:"decided"`
}

func newDecisionCache(db *store.DB, log *slog.Logger) *decisionCache {
	mem, _ := lru.New[string, Engine](4096) // size > 0 never fails
	return &decisionCache{mem: mem, db: db, log: log, recheck: func() bool { return rand.Float64() < autoRecheckShare }}
}

// domain returns the registrable domain of rawURL's host.
func (d *decisionCache) domain(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	h := strings.ToLower(u.Hostname())
	if r, err := publicsuffix.EffectiveTLDPlusOne(h); err == nil {
		return r
	}
	return h
}

func (d *decisionCache) get(domain string) (Engine, bool) {
	if domain == "" {
		return "", false
	}
	if e, ok := d.mem.Get(domain); ok {
		return e, true
	}
	if d.db == nil {
		return "", false
	}
	var sd storedDecision
	found := d.db.GetJSON(decisionBucket, domain, &sd) && sd.Engine.Valid()
	if !found {
		return "", false
	}
	d.mem.Add(domain, sd.Engine)
	return sd.Engine, true
}

func (d *decisionCache) put(domain string, e Engine) {
	if domain == "" {
		return
	}
	if old, ok := d.mem.Peek(domain); ok && old == e {
		return
	}
	d.mem.Add(domain, e)
	if d.db == nil {
		return
	}
	err := d.db.PutJSON(decisionBucket, domain, storedDecision{Engine: e, Decided: time.Now().UTC()})
	if err != nil {
		d.log.Debug("engine decision not persisted", "domain", domain, "err", err)
	}
}
