package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// sampleFile returns the bytes of a small real store file.
func sampleFile(t testing.TB) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, PageSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"a", "b"} {
			b, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			for i := range 60 {
				if err := b.Put(fmt.Appendf(nil, "%s-%03d", name, i), bytes.Repeat([]byte{byte(i)}, 10+i*7)); err != nil {
					return err
				}
			}
		}
		inner, err := tx.Bucket([]byte("a")).CreateBucket([]byte("inline"))
		if err != nil {
			return err
		}
		return inner.Put([]byte("k"), []byte("v"))
	})
	if err == nil {
		err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Delete([]byte("b-001")) })
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestVerifyFile(t *testing.T) {
	good := sampleFile(t)
	cases := []struct {
		name    string
		mutate  func([]byte) []byte
		wantErr error
	}{
		{"sound file", func(b []byte) []byte { return b }, nil},
		{"too small", func(b []byte) []byte { return b[:100] }, errStructure},
		{"both metas zeroed", func(b []byte) []byte { clear(b[:2048]); return b }, errStructure},
		{"meta 0 zeroed", func(b []byte) []byte { clear(b[:1024]); return b }, nil},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }, errStructure},
		{"data page zeroed", func(b []byte) []byte { clear(b[3*1024:]); return b }, errStructure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mutate(bytes.Clone(good))
			err := verifyFile(context.Background(), bytes.NewReader(b), int64(len(b)), 0)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("verifyFile: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("verifyFile = %v, want %v", err, tc.wantErr)
			}
		})
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := verifyFile(ctx, bytes.NewReader(good), int64(len(good)), 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("verifyFile = %v, want context.Canceled", err)
		}
	})
}

// FuzzVerifyFile feeds arbitrary files to the verifier: it must return,
// without panicking, for every input.
func FuzzVerifyFile(f *testing.F) {
	good := sampleFile(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("not a bbolt file"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = verifyFile(context.Background(), bytes.NewReader(b), int64(len(b)), 0)
	})
}
