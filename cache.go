package riptide

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/internal/urlnorm"
)

// CacheMode says how one request uses the result cache.
type CacheMode string

// Cache modes.
const (
	// CacheUse answers from the cache when a fresh entry exists,
	// revalidates a stale entry with ETag/Last-Modified, and stores new
	// results. It is the default when the cache is on.
	CacheUse CacheMode = "use"
	// CacheBypass neither reads nor writes the cache.
	CacheBypass CacheMode = "bypass"
	// CacheRefresh ignores cached entries but stores the new result.
	CacheRefresh CacheMode = "refresh"
)

// resultBucket holds the disk half of the result cache.
const resultBucket = "result_cache"

// resultCache keeps results in memory (LRU) and, when the Client has a
// store, on disk. Entries are keyed by the normalised URL, the engine and
// the extraction options.
type resultCache struct {
	mem  *lru.Cache[string, *cacheEntry]
	db   *store.DB
	ttl  time.Duration
	log  *slog.Logger
	now  func() time.Time
	hits atomic.Int64
	miss atomic.Int64
}

type cacheEntry struct {
	Result       *Result   `json:"result"`
	Stored       time.Time `json:"stored"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
}

func newResultCache(size int, ttl time.Duration, db *store.DB, log *slog.Logger) *resultCache {
	mem, _ := lru.New[string, *cacheEntry](max(size, 1))
	return &resultCache{mem: mem, db: db, ttl: ttl, log: log, now: time.Now}
}

// cacheKey identifies a request's result. Requests with credentials
// (custom headers) are never cached, so the key needs no header part.
func cacheKey(rawURL string, req request) (string, bool) {
	if len(req.header) > 0 || len(req.actions) > 0 {
		return "", false
	}
	n, ok := urlnorm.Normalize(rawURL)
	if !ok {
		return "", false
	}
	h := sha256.New()
	for _, part := range []string{n, string(req.engine), string(req.mode), strings.Join(req.selectors, "\x00")} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), true
}

// get returns the entry for key and whether it is still fresh.
func (rc *resultCache) get(key string) (*cacheEntry, bool) {
	e, ok := rc.mem.Get(key)
	if !ok && rc.db != nil {
		var de cacheEntry
		if rc.db.GetJSON(resultBucket, key, &de) && de.Result != nil {
			e, ok = &de, true
			rc.mem.Add(key, e)
		}
	}
	if !ok {
		return nil, false
	}
	return e, rc.now().Sub(e.Stored) < rc.ttl
}

func (rc *resultCache) put(key string, e *cacheEntry) {
	rc.mem.Add(key, e)
	if rc.db == nil {
		return
	}
	err := rc.db.PutJSON(resultBucket, key, e)
	if err != nil {
		rc.log.Debug("result not stored on disk", "err", err)
	}
}

// served returns a copy of a cached result marked as served from cache.
func served(e *cacheEntry) *Result {
	r := *e.Result
	r.FromCache = true
	r.Timings = Timings{}
	return &r
}
