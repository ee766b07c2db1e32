//go:build unix

package wasmcache

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ownedByUs reports whether fi belongs to the current user.
func ownedByUs(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// lockEntry takes an exclusive lock on the entry directory mdir (creating
// it), shared by every process using the cache root, so that only one of
// them verifies, compiles or evicts that entry at a time. With wait false
// it fails at once when the lock is held.
func lockEntry(mdir string, wait bool) (unlock func(), err error) {
	if err := os.MkdirAll(mdir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(mdir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
