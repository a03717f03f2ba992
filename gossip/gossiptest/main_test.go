package gossiptest

import (
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
)

// TestMain fails the run if goroutines outlive the tests, after letting
// memberlist's last in-flight probe return.
func TestMain(m *testing.M) { testutil.LeakCheckMain(m, 20*time.Second) }
