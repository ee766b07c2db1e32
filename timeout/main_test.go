package timeout_test

import (
	"fmt"
	"io"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/riptide-go/riptide/internal/store"
)

// helperEnv names the role of a re-executed test binary.
const helperEnv = "RIPTIDE_TIMEOUT_HELPER"

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestHelperProcess is not a test: it is the body of the subprocesses
// some tests start by re-executing the test binary. With role "lock" it
// opens the store named by the _PATH variable, prints "locked" and holds
// the store until stdin closes.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "lock" {
		t.Skip("helper process only")
	}
	db, err := store.Open(os.Getenv(helperEnv+"_PATH"), store.Options{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = db.Close()
	os.Exit(0)
}
