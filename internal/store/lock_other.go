//go:build !unix

package store

import (
	"os"
	"time"
)

// lockFile leaves locking to bbolt on systems without flock; bbolt then
// enforces the lock timeout itself.
func lockFile(*os.File, time.Duration) error { return nil }

func sameFile(*os.File, string) bool { return true }
