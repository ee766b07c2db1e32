package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/riptide-go/riptide/internal/store"
)

type fullResult struct {
	Written    int    `json:"written"`
	WriteErr   string `json:"write_err"`
	ReadOnly   bool   `json:"read_only"`
	IsReadOnly bool   `json:"is_read_only"`
	ReadKeys   int    `json:"read_keys"`
	ReadErr    string `json:"read_err,omitempty"`
}

// fillDisk runs in a helper process whose file size limit (RLIMIT_FSIZE)
// stands in for a full disk: the store's growth fails with EFBIG, as it
// would with ENOSPC on a full file system.
func fillDisk(path string) fullResult {
	var res fullResult
	db, err := store.Open(path, store.Options{})
	if err != nil {
		res.WriteErr = "open: " + err.Error()
		return res
	}
	defer db.Close()
	lim := syscall.Rlimit{Cur: 256 << 10, Max: 256 << 10}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		res.WriteErr = "setrlimit: " + err.Error()
		return res
	}
	val := make([]byte, 4<<10)
	for i := range 1000 {
		err = db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("data"))
			if err != nil {
				return err
			}
			return b.Put(fmt.Appendf(nil, "k%05d", i), val)
		})
		if err != nil {
			break
		}
		res.Written++
	}
	if err != nil {
		res.WriteErr = err.Error()
	}
	res.IsReadOnly = err != nil && errors.Is(err, store.ErrReadOnly)
	res.ReadOnly = db.ReadOnly()
	res.ReadErr = errString(db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte("data")); b != nil {
			res.ReadKeys = b.Stats().KeyN
		}
		return nil
	}))
	return res
}

func TestUpdate_DiskFullTurnsReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	out, err := helper(t, t.Context(), "full", path).Output()
	require.NoError(t, err, "helper crashed: %s", out)
	var res fullResult
	require.NoError(t, json.Unmarshal(out, &res), "%s", out)
	t.Logf("%+v", res)
	assert.Positive(t, res.Written)
	assert.True(t, res.IsReadOnly, "write error %q should be ErrReadOnly", res.WriteErr)
	assert.True(t, res.ReadOnly)
	assert.Empty(t, res.ReadErr)
	assert.Equal(t, res.Written, res.ReadKeys, "reads still work")

	// With room again the file opens cleanly and accepts writes.
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	defer db.Close()
	assert.Empty(t, db.Quarantined())
	require.NoError(t, db.Check(t.Context()))
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("data")).Put([]byte("after"), []byte("ok"))
	}))
}

func init() {
	helperRoles["full"] = func(path string) any { return fillDisk(path) }
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
