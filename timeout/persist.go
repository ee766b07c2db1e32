package timeout

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket is the store bucket that holds the profiles, one JSON value per
// key "<stage>|<domain>".
const Bucket = "timeout_profiles"

// storedProfile is the persisted form of a profile.
type storedProfile struct {
	Stage      Stage     `json:"stage"`
	Domain     string    `json:"domain"`
	SamplesNS  []int64   `json:"samples_ns"` // oldest first
	SuccessEMA float64   `json:"success_ema"`
	Requests   int64     `json:"requests"`
	Successes  int64     `json:"successes"`
	Timeouts   int64     `json:"timeouts"`
	Updated    time.Time `json:"updated"`
}

func (p *profile) snapshot() storedProfile {
	s := storedProfile{
		Stage: p.stage, Domain: p.domain, SuccessEMA: p.rate,
		Requests: p.reqs, Successes: p.succ, Timeouts: p.touts, Updated: p.updated,
	}
	s.SamplesNS = make([]int64, 0, len(p.samples))
	for i := range p.samples {
		// The ring's oldest entry is at next once it is full.
		s.SamplesNS = append(s.SamplesNS, int64(p.samples[(p.next+i)%len(p.samples)]))
	}
	return s
}

func (s storedProfile) profile(cfg AdaptiveConfig) *profile {
	p := &profile{
		stage: s.Stage, domain: s.Domain, rate: s.SuccessEMA, rated: s.Requests > 0,
		reqs: s.Requests, succ: s.Successes, touts: s.Timeouts, updated: s.Updated,
	}
	samples := s.SamplesNS
	if len(samples) > cfg.Window {
		samples = samples[len(samples)-cfg.Window:]
	}
	p.samples = make([]time.Duration, 0, len(samples))
	for _, ns := range samples {
		if ns >= 0 {
			p.samples = append(p.samples, time.Duration(ns))
		}
	}
	p.next = len(p.samples) % cfg.Window
	p.budget = p.computeBudget(cfg)
	return p
}

// load reads the stored profiles, dropping those older than TTL (from the
// store too). Errors are counted, never returned.
func (a *Adaptive) load() {
	now := a.cfg.Now()
	var fresh []storedProfile
	var stale [][]byte
	err := a.cfg.Store.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(Bucket))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var s storedProfile
			if json.Unmarshal(v, &s) != nil || s.Domain == "" || key(s.Stage, s.Domain) != string(k) ||
				now.Sub(s.Updated) > a.cfg.TTL {
				stale = append(stale, slices.Clone(k))
				return nil
			}
			fresh = append(fresh, s)
			return nil
		})
	})
	if err != nil {
		a.storeError("load", err)
		return
	}
	// Oldest first, so the LRU keeps the newest when there are too many.
	slices.SortFunc(fresh, func(x, y storedProfile) int { return x.Updated.Compare(y.Updated) })
	a.mu.Lock()
	for _, s := range fresh {
		a.profiles.Add(key(s.Stage, s.Domain), s.profile(a.cfg))
	}
	a.mu.Unlock()
	if len(stale) > 0 {
		err := a.cfg.Store.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(Bucket))
			for _, k := range stale {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			a.storeError("drop stale profiles", err)
		}
	}
}

// writer flushes when asked by Record or on the interval, until Close.
func (a *Adaptive) writer() {
	defer close(a.done)
	tick := time.NewTicker(a.cfg.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-a.flushc:
		case <-tick.C:
		}
		_ = a.flush()
	}
}

// Flush writes the profiles changed since the last write to the store now.
// It returns the store's error (also counted in Stats.StoreErrors); the
// profiles stay in memory and are retried at the next flush.
func (a *Adaptive) Flush() error {
	if a.cfg.Store == nil {
		return nil
	}
	return a.flush()
}

func (a *Adaptive) flush() error {
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	a.mu.Lock()
	batch := make([]storedProfile, 0, len(a.dirty))
	for _, p := range a.dirty {
		batch = append(batch, p.snapshot())
	}
	dirty := a.dirty
	a.dirty = map[string]*profile{}
	a.records = 0
	a.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := a.cfg.Store.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(Bucket))
		if err != nil {
			return err
		}
		for _, s := range batch {
			v, err := json.Marshal(s)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(key(s.Stage, s.Domain)), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Keep what was not written for the next attempt, unless newer
		// changes replaced it meanwhile.
		a.mu.Lock()
		for k, p := range dirty {
			if _, ok := a.dirty[k]; !ok && a.profiles.Contains(k) {
				a.dirty[k] = p
			}
		}
		a.mu.Unlock()
		a.storeError("write profiles", err)
		return fmt.Errorf("timeout: write profiles: %w", err)
	}
	return nil
}

func (a *Adaptive) storeError(op string, err error) {
	a.storeErrors.Add(1)
	a.logOnce.Do(func() {
		a.cfg.Logger.Warn("timeout profiles store error; learning continues in memory", "op", op, "err", err)
	})
}
