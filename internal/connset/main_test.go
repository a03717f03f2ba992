package connset_test

import (
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
)

// TestMain fails the run when a goroutine of a Set (a handler, a Go
// function) outlives the tests.
func TestMain(m *testing.M) { testutil.LeakCheckMain(m, 5*time.Second) }
