package store

import (
	"errors"
	"strings"
	"syscall"
)

// noSpace are the errors that mean the disk, a quota or a file size limit
// refuses more bytes.
var noSpace = []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG}

// isNoSpace reports whether err says the file cannot grow. bbolt formats
// some I/O errors with %s (its file resize path), so the message is
// matched too.
func isNoSpace(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	for _, e := range noSpace {
		if errors.Is(err, e) || strings.Contains(msg, e.Error()) {
			return true
		}
	}
	return false
}
