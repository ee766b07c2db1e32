package store

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONValues(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), FileName), Options{})
	require.NoError(t, err)
	defer db.Close()
	type v struct{ N int }
	var got v
	assert.False(t, db.GetJSON("b", "k", &got), "absent bucket")
	require.NoError(t, db.PutJSON("b", "k", v{N: 7}))
	require.True(t, db.GetJSON("b", "k", &got))
	assert.Equal(t, 7, got.N)
	assert.False(t, db.GetJSON("b", "other", &got), "absent key")
	var wrong []string
	assert.False(t, db.GetJSON("b", "k", &wrong), "a value that does not decode")
	assert.Error(t, db.PutJSON("b", "k", func() {}), "a value that does not encode")
}
