//go:build !unix

package wasmcache

import (
	"io/fs"
	"os"
)

// ownedByUs cannot be checked on this platform; the mode check still runs.
func ownedByUs(fs.FileInfo) bool { return true }

// lockEntry only creates mdir on this platform: processes sharing a cache
// root are not serialised per entry.
func lockEntry(mdir string, _ bool) (func(), error) {
	return func() {}, os.MkdirAll(mdir, 0o700)
}
