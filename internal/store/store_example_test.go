package store_test

import (
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/riptide-go/riptide/internal/store"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, store.FileName)

	// A damaged file is moved aside and rebuilt instead of failing.
	if err := os.WriteFile(path, []byte("definitely not a bbolt file, but long enough to look like one..."+string(make([]byte, 4096))), 0o600); err != nil {
		fmt.Println(err)
		return
	}
	db, err := store.Open(path, store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	fmt.Println("quarantined:", db.Quarantined() != "")

	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("example"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	fmt.Println("write:", err)
	// Output:
	// quarantined: true
	// write: <nil>
}
