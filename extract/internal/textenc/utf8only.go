//go:build riptide_utf8only

package textenc

// decode knows no encoding but UTF-8: the caller replaces bad bytes.
func decode([]byte, string) ([]byte, bool) { return nil, false }
