// Package store opens the one bbolt file that holds every persistent
// bucket of a Client (timeout profiles, the compiled-module index, the
// result cache, engine decisions, session cookies). The file is a
// disposable cache: a locked file gives a clear error within the lock
// timeout, a corrupt file is moved aside and rebuilt, and a full quota turns
// the store read-only instead of failing the caller's work.
//
// # Corruption
//
// bbolt trusts the pages it maps: a damaged file makes it panic, fault, or
// worse, loop or recurse until the process dies, which no recover can stop.
// So Open first checks the file's structure itself, with plain reads and
// bounded time and memory (meta checksums, page ids, types and bounds,
// element bounds, key order, the freelist, no page referenced twice), while
// holding the file lock, and quarantines a damaged file before bbolt ever
// maps it. As a second line, Open, View and Update run bbolt under
// [debug.SetPanicOnFault] and recover, so damage the check cannot see (or
// that appears later) surfaces as [ErrCorrupt] instead of a crash. Data
// pages carry no checksum: a flipped bit inside a value is not detected.
//
// # Quarantine
//
// A damaged file is renamed to "<path>.corrupt-<UTC time>" (for example
// riptide.db.corrupt-20261123T132500.123456789Z) and an empty file is
// created in its place. The three newest quarantined files are kept for
// inspection; older ones are removed.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the name of the store file inside a cache directory.
const FileName = "riptide.db"

// DefaultLockTimeout is how long Open waits for another process's lock.
const DefaultLockTimeout = time.Second

// DefaultCheckTimeout bounds the structural check Open runs on an
// existing file.
const DefaultCheckTimeout = 5 * time.Second

// keepQuarantined is how many quarantined files are kept per store path.
const keepQuarantined = 3

// Errors.
var (
	// ErrLocked: another process (or another open in this one) holds the
	// file's lock past the lock timeout.
	ErrLocked = errors.New("store: file is locked by another process")
	// ErrReadOnly: the store reached its size quota (or the disk is full)
	// and accepts no more writes.
	ErrReadOnly = errors.New("store: read-only: size quota reached or disk full")
	// ErrCorrupt: the file is damaged. Open moves such a file aside; a
	// transaction that meets damage later returns this error.
	ErrCorrupt = errors.New("store: file is corrupt")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
)

var errLockTimeout = errors.New("store: lock timeout")

// Options configure Open. The zero value means the defaults.
type Options struct {
	// LockTimeout bounds the wait for the file lock (default 1 s).
	LockTimeout time.Duration
	// MaxSize is a quota on the file size in bytes (0: none). Past it the
	// store turns read-only. bbolt counts the size of its memory map,
	// which grows in powers of two from 32 KiB, so small quotas are
	// coarse.
	MaxSize int
	// Logger receives a line when a file is quarantined or the store turns
	// read-only. Nil discards.
	Logger *slog.Logger
	// CheckTimeout bounds the structural check of an existing file at
	// Open (default [DefaultCheckTimeout]). A check cut short is logged
	// and the file is used as is.
	CheckTimeout time.Duration
}

// DB is an open store file. It is safe for concurrent use.
type DB struct {
	db          *bolt.DB
	path        string
	quarantined string
	readOnly    atomic.Bool
	corrupt     atomic.Bool
	closed      atomic.Bool
	log         *slog.Logger
}

// quarantineError reports a damaged file that was moved aside.
type quarantineError struct {
	movedTo string
	cause   error
}

func (e *quarantineError) Error() string {
	return fmt.Sprintf("store: corrupt file moved to %s: %v", e.movedTo, e.cause)
}

func (e *quarantineError) Unwrap() error { return ErrCorrupt }

// Open opens (creating if needed) the store file at path. The parent
// directory is created with mode 0700. A file that fails the structural
// check, that bbolt rejects as invalid, or on which bbolt panics or faults
// while opening is renamed aside (see the package documentation) and a
// fresh file is created in its place; Quarantined reports it. A lock held
// past Options.LockTimeout gives ErrLocked. A file already larger than
// Options.MaxSize opens read-only.
func Open(path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: empty path")
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = DefaultCheckTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create directory: %w", err)
	}
	d := &DB{path: path, log: log}
	for attempt := 0; ; attempt++ {
		db, err := d.open(opts)
		var qe *quarantineError
		if errors.As(err, &qe) && attempt == 0 {
			d.quarantined = qe.movedTo
			log.Warn("store file was corrupt; moved aside and rebuilt", "moved_to", qe.movedTo, "err", qe.cause)
			continue
		}
		if errors.Is(err, berrors.ErrMaxSizeReached) && opts.MaxSize > 0 {
			// The file is already past the quota: serve reads only.
			opts.MaxSize = 0
			db, err = d.open(opts)
			if err == nil {
				d.readOnly.Store(true)
				log.Warn("store file is past its quota; opened read-only", "path", path)
			}
		}
		if err != nil {
			return nil, err
		}
		d.db = db
		return d, nil
	}
}

// open runs one bbolt open. The file is opened, locked and checked by the
// OpenFile hook before bbolt reads a byte of it.
func (d *DB) open(opts Options) (db *bolt.DB, err error) {
	var file *os.File
	hook := func(name string, flag int, mode os.FileMode) (*os.File, error) {
		f, err := openLocked(name, flag, mode, opts.LockTimeout)
		if err != nil {
			return nil, err
		}
		if cerr := checkFile(f, opts.CheckTimeout); cerr != nil {
			if !errors.Is(cerr, errStructure) {
				d.log.Warn("store check did not finish; using the file unchecked", "path", name, "err", cerr)
			} else {
				// Move the file aside while still holding its lock.
				moved, rerr := quarantine(name)
				_ = f.Close()
				if rerr != nil {
					return nil, rerr
				}
				return nil, &quarantineError{movedTo: moved, cause: cerr}
			}
		}
		file = f
		return f, nil
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		// bbolt panicked or faulted on a file the check passed. Its
		// partial state is lost; release the file (and with it the
		// lock) and move it aside. bbolt's memory map of the damaged
		// file, if it made one, cannot be reached and stays mapped.
		db = nil
		err = fmt.Errorf("%w: bbolt: %v", ErrCorrupt, r)
		if file != nil {
			moved, rerr := quarantine(d.path)
			_ = file.Close()
			if rerr == nil {
				err = &quarantineError{movedTo: moved, cause: err}
			}
		}
	}()
	db, err = bolt.Open(d.path, 0o600, &bolt.Options{
		Timeout:      opts.LockTimeout,
		MaxSize:      opts.MaxSize,
		FreelistType: bolt.FreelistMapType,
		OpenFile:     hook,
	})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, errLockTimeout), errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w: %s (waited %s)", ErrLocked, d.path, opts.LockTimeout)
	case isCorruption(err):
		// bbolt closed the file; the rename below races only with
		// another process opening a file it would also reject.
		moved, rerr := quarantine(d.path)
		if rerr != nil {
			return nil, rerr
		}
		return nil, &quarantineError{movedTo: moved, cause: err}
	case errors.Is(err, berrors.ErrMaxSizeReached):
		return nil, err
	}
	var qe *quarantineError
	if errors.As(err, &qe) {
		return nil, err
	}
	return nil, fmt.Errorf("store: open %s: %w", d.path, err)
}

// openLocked opens name and takes its lock within timeout. When another
// process renamed the file away while this one waited, the new file at
// name is opened instead.
func openLocked(name string, flag int, mode os.FileMode, timeout time.Duration) (*os.File, error) {
	deadline := time.Now().Add(timeout)
	for {
		f, err := os.OpenFile(name, flag, mode)
		if err != nil {
			return nil, err
		}
		if err := lockFile(f, time.Until(deadline)); err != nil {
			_ = f.Close()
			return nil, err
		}
		if sameFile(f, name) {
			return f, nil
		}
		_ = f.Close()
		if time.Now().After(deadline) {
			return nil, errLockTimeout
		}
	}
}

// checkFile runs the structural check on an existing, non-empty file.
func checkFile(f *os.File, timeout time.Duration) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return nil // new file; bbolt initialises it
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return verifyFile(ctx, f, st.Size(), 0)
}

// quarantine renames the file at path aside and prunes older quarantined
// files, keeping the newest keepQuarantined.
func quarantine(path string) (string, error) {
	base := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405.000000000Z")
	moved := base
	for i := 1; ; i++ {
		if _, err := os.Lstat(moved); errors.Is(err, os.ErrNotExist) {
			break
		}
		moved = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(path, moved); err != nil {
		return "", fmt.Errorf("store: move corrupt file aside: %w", err)
	}
	if old, err := filepath.Glob(path + ".corrupt-*"); err == nil && len(old) > keepQuarantined {
		slices.Sort(old)
		for _, p := range old[:len(old)-keepQuarantined] {
			_ = os.Remove(p)
		}
	}
	return moved, nil
}

func closeQuietly(db *bolt.DB) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: close: %v", ErrCorrupt, r)
		}
	}()
	return db.Close()
}

func isCorruption(err error) bool {
	return errors.Is(err, berrors.ErrInvalid) ||
		errors.Is(err, berrors.ErrVersionMismatch) ||
		errors.Is(err, berrors.ErrChecksum) ||
		errors.Is(err, berrors.ErrInvalidMapping)
}

// Path returns the file's path.
func (d *DB) Path() string { return d.path }

// Quarantined returns where a corrupt file found by Open was moved, or "".
func (d *DB) Quarantined() string { return d.quarantined }

// ReadOnly reports whether the store reached its quota (or met damage on
// a write) and accepts no more writes.
func (d *DB) ReadOnly() bool { return d.readOnly.Load() || d.corrupt.Load() }

// Corrupt reports whether a transaction met damage since Open. The next
// Open quarantines the file.
func (d *DB) Corrupt() bool { return d.corrupt.Load() }

// OpenTx returns the number of open read transactions (for leak checks).
func (d *DB) OpenTx() int { return d.db.Stats().OpenTxN }

// Check verifies the structure of the file as of a read transaction, the
// same check Open runs. It is bounded by ctx (it returns ctx's error when
// ctx ends first) and by the file: one read of each page in use, one bit
// of memory per page. A damaged file gives an error wrapping ErrCorrupt.
func (d *DB) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.View(func(tx *bolt.Tx) error {
		f, err := os.Open(d.path)
		if err != nil {
			return fmt.Errorf("store: check: %w", err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return fmt.Errorf("store: check: %w", err)
		}
		err = verifyFile(ctx, f, st.Size(), uint64(tx.ID()))
		if errors.Is(err, errStructure) {
			d.markCorrupt(err)
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return err
	})
}

// View runs fn in a read-only transaction. Damage met inside bbolt is
// returned as ErrCorrupt instead of crashing the process; so is a panic in
// fn, which cannot be told apart from one. Keep fn short: an open read
// transaction pins pages and makes the file grow.
func (d *DB) View(fn func(tx *bolt.Tx) error) (err error) {
	if d.closed.Load() {
		return ErrClosed
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer d.recoverCorrupt(&err)
	return closedErr(d.db.View(fn))
}

// closedErr maps bbolt's error for a transaction begun during Close.
func closedErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// Update runs fn in a read-write transaction. When the quota is reached
// (or the disk is full) the store turns read-only and Update returns
// ErrReadOnly from then on; reads keep working. After damage is met,
// Update returns ErrCorrupt.
func (d *DB) Update(fn func(tx *bolt.Tx) error) (err error) {
	if d.closed.Load() {
		return ErrClosed
	}
	if d.corrupt.Load() {
		return ErrCorrupt
	}
	if d.readOnly.Load() {
		return ErrReadOnly
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer d.recoverCorrupt(&err)
	err = closedErr(d.db.Update(fn))
	if errors.Is(err, berrors.ErrMaxSizeReached) || isNoSpace(err) {
		if !d.readOnly.Swap(true) {
			d.log.Warn("store quota reached; store is read-only from now on", "path", d.path, "err", err)
		}
		return fmt.Errorf("%w: %v", ErrReadOnly, err)
	}
	return err
}

func (d *DB) recoverCorrupt(err *error) {
	if r := recover(); r != nil {
		e := fmt.Errorf("%w: %v", ErrCorrupt, r)
		d.markCorrupt(e)
		*err = e
	}
}

func (d *DB) markCorrupt(err error) {
	if !d.corrupt.Swap(true) {
		d.log.Error("store met damage; writes are off until the next open", "path", d.path, "err", err)
	}
}

// Close closes the file. It is idempotent and safe to call concurrently.
func (d *DB) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	return closeQuietly(d.db)
}

// GetJSON decodes the value stored under key in bucket into v. It reports
// false when the bucket or key is absent, the value does not decode, or
// the store cannot be read.
func (d *DB) GetJSON(bucket, key string, v any) bool {
	found := false
	_ = d.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		if raw := b.Get([]byte(key)); raw != nil {
			found = json.Unmarshal(raw, v) == nil
		}
		return nil
	})
	return found
}

// PutJSON stores v, JSON-encoded, under key in bucket, creating the bucket
// when needed.
func (d *DB) PutJSON(bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return d.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), raw)
	})
}
