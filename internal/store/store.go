// Package store opens the one bbolt file that holds every persistent
// bucket of a Client (timeout profiles, the compiled-module index, the
// result cache, engine decisions, session cookies). The file is a
// disposable cache: a locked file gives a clear error within the lock
// timeout, a corrupt file is moved aside and rebuilt, and a full quota turns
// the store read-only instead of failing the caller's work.
package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the name of the store file inside a cache directory.
const FileName = "riptide.db"

// DefaultLockTimeout is how long Open waits for another process's lock.
const DefaultLockTimeout = time.Second

// Errors.
var (
	// ErrLocked: another process (or another open in this one) holds the
	// file's lock past the lock timeout.
	ErrLocked = errors.New("store: file is locked by another process")
	// ErrReadOnly: the store reached its size quota (or the disk is full)
	// and accepts no more writes.
	ErrReadOnly = errors.New("store: read-only, size quota reached")
	// ErrCorrupt: the file is damaged. Open moves such a file aside; a
	// transaction that meets damage later returns this error.
	ErrCorrupt = errors.New("store: file is corrupt")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
)

// Options configure Open. The zero value means the defaults.
type Options struct {
	// LockTimeout bounds the wait for the file lock (default 1 s).
	LockTimeout time.Duration
	// MaxSize is a quota on the file size in bytes (0: none). Past it the
	// store turns read-only.
	MaxSize int
	// Logger receives a line when a file is quarantined or the store turns
	// read-only. Nil discards.
	Logger *slog.Logger
}

// DB is an open store file. It is safe for concurrent use.
type DB struct {
	db          *bolt.DB
	path        string
	quarantined string
	readOnly    atomic.Bool
	closed      atomic.Bool
	log         *slog.Logger
}

// Open opens (creating if needed) the store file at path. The parent
// directory is created with mode 0700. A file that bbolt cannot open or
// that fails its consistency check is renamed to path.corrupt-<unix-nanos>
// and a fresh file is created in its place; Quarantined reports it.
func Open(path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: empty path")
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create directory: %w", err)
	}
	d := &DB{path: path, log: log}
	db, err := openChecked(path, opts)
	if err != nil && !errors.Is(err, ErrLocked) && errors.Is(err, ErrCorrupt) {
		moved := fmt.Sprintf("%s.corrupt-%d", path, time.Now().UnixNano())
		if rerr := os.Rename(path, moved); rerr != nil {
			return nil, fmt.Errorf("store: move corrupt file aside: %w", rerr)
		}
		d.quarantined = moved
		log.Warn("store file was corrupt; moved aside and rebuilt", "moved_to", moved, "err", err)
		db, err = openChecked(path, opts)
	}
	if err != nil {
		return nil, err
	}
	d.db = db
	return d, nil
}

// openChecked opens path and verifies it, turning panics and faults that a
// damaged file provokes inside bbolt into ErrCorrupt.
func openChecked(path string, opts Options) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if db != nil {
				_ = closeQuietly(db)
			}
			db, err = nil, fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      opts.LockTimeout,
		MaxSize:      opts.MaxSize,
		FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s (waited %s)", ErrLocked, path, opts.LockTimeout)
		}
		if isCorruption(err) {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	checkErr := db.View(func(tx *bolt.Tx) error {
		for cerr := range tx.Check() {
			return cerr
		}
		return nil
	})
	if checkErr != nil {
		_ = closeQuietly(db)
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, checkErr)
	}
	return db, nil
}

func closeQuietly(db *bolt.DB) (err error) {
	defer func() {
		if recover() != nil {
			err = ErrCorrupt
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

// ReadOnly reports whether the store reached its quota.
func (d *DB) ReadOnly() bool { return d.readOnly.Load() }

// OpenTx returns the number of open read transactions (for leak checks).
func (d *DB) OpenTx() int { return d.db.Stats().OpenTxN }

// View runs fn in a read-only transaction. Damage met inside bbolt is
// returned as ErrCorrupt instead of crashing the process.
func (d *DB) View(fn func(tx *bolt.Tx) error) (err error) {
	if d.closed.Load() {
		return ErrClosed
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(&err)
	return d.db.View(fn)
}

// Update runs fn in a read-write transaction. When the quota is reached
// the store turns read-only and Update returns ErrReadOnly from then on.
func (d *DB) Update(fn func(tx *bolt.Tx) error) (err error) {
	if d.closed.Load() {
		return ErrClosed
	}
	if d.readOnly.Load() {
		return ErrReadOnly
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(&err)
	err = d.db.Update(fn)
	if errors.Is(err, berrors.ErrMaxSizeReached) || isNoSpace(err) {
		if !d.readOnly.Swap(true) {
			d.log.Warn("store quota reached; store is read-only from now on", "path", d.path, "err", err)
		}
		return fmt.Errorf("%w: %v", ErrReadOnly, err)
	}
	return err
}

func recoverCorrupt(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", ErrCorrupt, r)
	}
}

// Close closes the file. It is idempotent.
func (d *DB) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	return closeQuietly(d.db)
}
