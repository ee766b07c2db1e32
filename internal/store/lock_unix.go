//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// lockRetry is how often a held lock is polled.
const lockRetry = 20 * time.Millisecond

// lockFile takes an exclusive flock on f, polling until timeout. It is the
// same lock bbolt takes, on the same open file, so bbolt's own attempt on
// f then succeeds at once.
func lockFile(f *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return err
		}
		if time.Now().After(deadline) {
			return errLockTimeout
		}
		time.Sleep(lockRetry)
	}
}

// sameFile reports whether f is still the file at path (not renamed away
// by another process while this one waited for the lock).
func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	if err != nil {
		return false
	}
	return os.SameFile(a, b)
}
