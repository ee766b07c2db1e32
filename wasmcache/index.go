package wasmcache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/riptide-go/riptide/internal/store"
)

// Bucket is the store bucket holding the index.
const Bucket = "wasm_modules"

const (
	lockFile    = ".lock"
	entryFile   = "entry.json"
	entryPrefix = "m/"
	statsKey    = "stats"
)

// entry is the index record of one cached module. It is kept in the store
// (when there is one) and next to the code in entry.json.
type entry struct {
	Key          string            `json:"key"`
	ModuleSHA256 string            `json:"module_sha256"`
	Wazero       string            `json:"wazero"`
	Size         int64             `json:"size"`
	Created      time.Time         `json:"created"`
	LastAccess   time.Time         `json:"last_access"`
	Hits         int64             `json:"hits"`
	Files        map[string]string `json:"files"` // path relative to the entry dir -> hex SHA-256
	// Prints are the files' fingerprints (see fingerprint), checked before
	// each load instead of the full digests unless Options.FullVerify.
	Prints map[string]string `json:"prints,omitempty"`
}

// counters are the cache's cumulative figures.
type counters struct {
	Hits         int64 `json:"hits"`
	Misses       int64 `json:"misses"`
	Evictions    int64 `json:"evictions"`
	Corrupt      int64 `json:"corrupt"`
	Compiles     int64 `json:"compiles"`
	LoadNanos    int64 `json:"load_nanos"`
	CompileNanos int64 `json:"compile_nanos"`
}

func (c *Cache) initBucket() error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte(Bucket))
		return err
	})
	if err != nil && !errors.Is(err, store.ErrReadOnly) {
		return fmt.Errorf("wasmcache: index: %w", err)
	}
	return nil
}

// lookup returns key's record: from the store, or else from entry.json
// (written by a process without the store), or else nothing.
func (c *Cache) lookup(key string) (entry, bool) {
	if c.db != nil {
		var e entry
		found := false
		err := c.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(Bucket))
			if b == nil {
				return nil
			}
			v := b.Get([]byte(entryPrefix + key))
			if v == nil {
				return nil
			}
			found = true
			return json.Unmarshal(v, &e)
		})
		if err == nil && found {
			return e, true
		}
	}
	return readEntryFile(filepath.Join(c.dir, key))
}

func readEntryFile(mdir string) (entry, bool) {
	var e entry
	b, err := os.ReadFile(filepath.Join(mdir, entryFile))
	if err != nil || json.Unmarshal(b, &e) != nil || e.Key != filepath.Base(mdir) {
		return entry{}, false
	}
	return e, true
}

// verify checks an entry against the module and its code files: the
// module hash and wazero version must match and every file must hash to
// its recorded digest. Unrecorded files are removed so they are never
// loaded.
func (c *Cache) verify(mdir string, e entry, modHex string) error {
	if e.ModuleSHA256 != modHex {
		return fmt.Errorf("module sha256 %s, entry says %s", modHex, e.ModuleSHA256)
	}
	if e.Wazero != c.ver {
		return fmt.Errorf("entry made by wazero %s, this is %s", e.Wazero, c.ver)
	}
	if len(e.Files) == 0 {
		return errors.New("entry lists no files")
	}
	names, err := listFiles(mdir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(names) == 0) {
		return errMissing
	}
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, ok := e.Files[n]; !ok {
			if err := os.Remove(filepath.Join(mdir, n)); err != nil {
				return fmt.Errorf("remove unrecorded file %s: %w", n, err)
			}
		}
	}
	for n, want := range e.Files {
		p := filepath.Join(mdir, n)
		if fp, ok := e.Prints[n]; ok && !c.opts.FullVerify {
			got, err := fingerprint(p)
			if err != nil {
				return err
			}
			if got != fp {
				return fmt.Errorf("%s has fingerprint %s, want %s", n, got, fp)
			}
			continue
		}
		got, _, err := hashFile(p)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("%s has sha256 %s, want %s", n, got, want)
		}
	}
	return nil
}

// errMissing: the entry's directory is gone (evicted by another process).
var errMissing = errors.New("entry files missing")

// listFiles lists the code files under mdir (relative, slash-separated),
// skipping the record and temporary files.
func listFiles(mdir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(mdir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(mdir, p)
		if err != nil {
			return err
		}
		if rel == entryFile || rel == lockFile || strings.HasSuffix(rel, ".tmp") {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", rel)
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	return out, err
}

func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// printSpan is how much of each end of a code file its fingerprint reads.
const printSpan = 64 << 10

// fingerprint is the SHA-256 of a file's size, first and last printSpan
// bytes: it tells one entry's code from another's (the head holds the
// function table, the tail wazero's checksum of the code) and a truncated
// file from a whole one in well under a millisecond, where hashing a Go
// module's 20 MB of code takes 10 ms. A byte damaged in between fails
// wazero's own CRC-32C check of the code when it loads, which evicts the
// entry like any other load error.
func fingerprint(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	size := fi.Size()
	h := sha256.New()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(size))
	h.Write(n[:])
	buf := make([]byte, min(size, 2*printSpan))
	if size <= 2*printSpan {
		if _, err := io.ReadFull(f, buf); err != nil {
			return "", err
		}
	} else {
		if _, err := io.ReadFull(f, buf[:printSpan]); err != nil {
			return "", err
		}
		if _, err := f.ReadAt(buf[printSpan:], size-printSpan); err != nil {
			return "", err
		}
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashDir hashes every code file under mdir, and fingerprints it.
func hashDir(mdir string) (files, prints map[string]string, size int64, err error) {
	names, err := listFiles(mdir)
	if err != nil {
		return nil, nil, 0, err
	}
	if len(names) == 0 {
		return nil, nil, 0, errors.New("compile left no files")
	}
	files = make(map[string]string, len(names))
	prints = make(map[string]string, len(names))
	for _, n := range names {
		p := filepath.Join(mdir, filepath.FromSlash(n))
		sum, sz, err := hashFile(p)
		if err != nil {
			return nil, nil, 0, err
		}
		fp, err := fingerprint(p)
		if err != nil {
			return nil, nil, 0, err
		}
		files[n], prints[n] = sum, fp
		size += sz
	}
	return files, prints, size, nil
}

// record stores e (after a hit or a compile) in the store and entry.json
// and adds the load to the counters. A hit whose runtime wrote new files
// (another configuration of the same module) rehashes the entry.
func (c *Cache) record(e entry, took time.Duration, hit bool, mdir string) {
	if hit {
		if names, err := listFiles(mdir); err == nil && !slices.Equal(sorted(names), sorted(slices.Collect(maps.Keys(e.Files)))) {
			if files, prints, size, err := hashDir(mdir); err == nil {
				e.Files, e.Prints, e.Size = files, prints, size
			}
		}
	}
	if b, err := json.Marshal(e); err == nil {
		if err := writeFileAtomic(filepath.Join(mdir, entryFile), b); err != nil {
			c.log.Warn("wasm cache: write entry record", "key", e.Key, "err", err)
		}
	}
	upd := func(s *counters) {
		if hit {
			s.Hits++
			s.LoadNanos += int64(took)
		} else {
			s.Misses++
			s.Compiles++
			s.CompileNanos += int64(took)
		}
	}
	c.mu.Lock()
	upd(&c.local)
	c.mu.Unlock()
	if c.db == nil {
		return
	}
	c.dbUpdate(func(b *bolt.Bucket) error {
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(entryPrefix+e.Key), v); err != nil {
			return err
		}
		return updateCounters(b, upd)
	})
}

func sorted(s []string) []string { slices.Sort(s); return s }

// deleteRecord removes key from the index and updates the counters.
func (c *Cache) deleteRecord(key string, upd func(*counters)) {
	c.mu.Lock()
	upd(&c.local)
	c.mu.Unlock()
	if c.db == nil {
		return
	}
	c.dbUpdate(func(b *bolt.Bucket) error {
		if err := b.Delete([]byte(entryPrefix + key)); err != nil {
			return err
		}
		return updateCounters(b, upd)
	})
}

// count updates the counters only.
func (c *Cache) count(upd func(*counters)) {
	c.mu.Lock()
	upd(&c.local)
	c.mu.Unlock()
	if c.db != nil {
		c.dbUpdate(func(b *bolt.Bucket) error { return updateCounters(b, upd) })
	}
}

func updateCounters(b *bolt.Bucket, upd func(*counters)) error {
	var s counters
	if v := b.Get([]byte(statsKey)); v != nil {
		_ = json.Unmarshal(v, &s)
	}
	upd(&s)
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return b.Put([]byte(statsKey), v)
}

// dbUpdate runs fn on the bucket; a failure (a read-only or damaged store)
// is logged once: the index is an accelerator, the cache works without it.
func (c *Cache) dbUpdate(fn func(b *bolt.Bucket) error) {
	err := c.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(Bucket))
		if err != nil {
			return err
		}
		return fn(b)
	})
	c.mu.Lock()
	first := err != nil && c.indexErr == nil
	c.indexErr = err
	c.mu.Unlock()
	if first {
		c.log.Warn("wasm cache index not updated", "err", err)
	}
}

func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

// entries lists every entry on disk (the directory is the truth: another
// process may have added entries), with the store's access times where
// they are later.
func (c *Cache) entries() []entry {
	des, err := os.ReadDir(c.dir)
	if err != nil {
		return nil
	}
	var out []entry
	for _, de := range des {
		if !de.IsDir() || len(de.Name()) != 64 {
			continue
		}
		e, ok := readEntryFile(filepath.Join(c.dir, de.Name()))
		if !ok {
			if names, err := listFiles(filepath.Join(c.dir, de.Name())); err == nil && len(names) == 0 {
				continue // emptied (invalid module, corrupt entry)
			}
			// Unindexed (another process may be writing it): aged by mtime.
			e = entry{Key: de.Name()}
			if fi, err := de.Info(); err == nil {
				e.LastAccess = fi.ModTime()
			}
		}
		out = append(out, e)
	}
	if c.db != nil {
		_ = c.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(Bucket))
			if b == nil {
				return nil
			}
			for i := range out {
				var e entry
				if v := b.Get([]byte(entryPrefix + out[i].Key)); v != nil && json.Unmarshal(v, &e) == nil && e.LastAccess.After(out[i].LastAccess) {
					out[i].LastAccess = e.LastAccess
				}
			}
			return nil
		})
	}
	return out
}

// prune evicts expired entries, then the least recently used ones while
// the total size is over MaxBytes. It never evicts keep or a key being
// loaded in this process.
func (c *Cache) prune(keep string) {
	now := c.opts.Now()
	all := c.entries()
	slices.SortFunc(all, func(a, b entry) int { return a.LastAccess.Compare(b.LastAccess) })
	var total int64
	for _, e := range all {
		total += e.Size
	}
	c.activeMu.Lock()
	active := maps.Clone(c.active)
	c.activeMu.Unlock()
	for _, e := range all {
		if e.Key == keep || active[e.Key] > 0 {
			continue
		}
		expired := now.Sub(e.LastAccess) > c.opts.TTL
		if !expired && total <= c.opts.MaxBytes {
			continue
		}
		mdir := filepath.Join(c.dir, e.Key)
		unlock, err := lockEntry(mdir, false)
		if err != nil {
			continue // in use by another process
		}
		err = os.RemoveAll(mdir)
		unlock()
		if err != nil {
			c.log.Warn("wasm cache: evict", "key", e.Key, "err", err)
			continue
		}
		total -= e.Size
		reason := "size"
		if expired {
			reason = "ttl"
		}
		c.log.Info("wasm cache entry evicted", "key", e.Key, "reason", reason, "bytes", e.Size)
		c.deleteRecord(e.Key, func(s *counters) { s.Evictions++ })
	}
}

// removeFiles deletes the files under mdir (code, record, temporaries),
// keeping the directories.
func removeFiles(mdir string) error {
	err := filepath.WalkDir(mdir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() != lockFile {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
