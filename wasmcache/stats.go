package wasmcache

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Stats describe a cache: its entries on disk and its cumulative counters
// (kept in the store across processes; in directory-only mode, since Open).
type Stats struct {
	Dir        string        `json:"dir"`
	Indexed    bool          `json:"indexed"` // counters come from the store
	Entries    int           `json:"entries"`
	Bytes      int64         `json:"bytes"`
	Hits       int64         `json:"hits"`
	Misses     int64         `json:"misses"`
	HitRate    float64       `json:"hit_rate"`       // Hits / (Hits + Misses), 0 when none
	AvgLoad    time.Duration `json:"avg_load_ns"`    // mean verified load from disk
	AvgCompile time.Duration `json:"avg_compile_ns"` // mean compile (miss)
	Evictions  int64         `json:"evictions"`
	Corrupt    int64         `json:"corrupt"` // entries that failed verification or loading
}

// Stats returns the cache's figures.
func (c *Cache) Stats() Stats {
	c.settle()
	s := Stats{Dir: c.dir}
	for _, e := range c.entries() {
		s.Entries++
		s.Bytes += e.Size
	}
	c.mu.Lock()
	cnt := c.local
	c.mu.Unlock()
	if c.db != nil {
		var stored counters
		found := false
		err := c.db.View(func(tx *bolt.Tx) error {
			if b := tx.Bucket([]byte(Bucket)); b != nil {
				if v := b.Get([]byte(statsKey)); v != nil {
					found = true
					return json.Unmarshal(v, &stored)
				}
			}
			return nil
		})
		if err == nil {
			s.Indexed = true
			if found {
				cnt = stored
			}
		}
	}
	s.Hits, s.Misses, s.Evictions, s.Corrupt = cnt.Hits, cnt.Misses, cnt.Evictions, cnt.Corrupt
	if n := s.Hits + s.Misses; n > 0 {
		s.HitRate = float64(s.Hits) / float64(n)
	}
	if s.Hits > 0 {
		s.AvgLoad = time.Duration(cnt.LoadNanos / s.Hits)
	}
	if cnt.Compiles > 0 {
		s.AvgCompile = time.Duration(cnt.CompileNanos / cnt.Compiles)
	}
	return s
}

// WriteStats writes s for people (aligned lines) or, with asJSON, as one
// JSON object followed by a newline.
func WriteStats(w io.Writer, s Stats, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		return enc.Encode(s)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "dir\t%s\n", s.Dir)
	fmt.Fprintf(tw, "indexed\t%t\n", s.Indexed)
	fmt.Fprintf(tw, "entries\t%d\n", s.Entries)
	fmt.Fprintf(tw, "size\t%s\n", humanBytes(s.Bytes))
	fmt.Fprintf(tw, "hits\t%d\n", s.Hits)
	fmt.Fprintf(tw, "misses\t%d\n", s.Misses)
	fmt.Fprintf(tw, "hit rate\t%.1f%%\n", 100*s.HitRate)
	fmt.Fprintf(tw, "avg load\t%s\n", s.AvgLoad.Round(time.Microsecond))
	fmt.Fprintf(tw, "avg compile\t%s\n", s.AvgCompile.Round(time.Microsecond))
	fmt.Fprintf(tw, "evictions\t%d\n", s.Evictions)
	fmt.Fprintf(tw, "corrupt\t%d\n", s.Corrupt)
	return tw.Flush()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
