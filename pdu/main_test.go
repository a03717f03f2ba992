package pdu

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that ReceiveContent's hashing goroutine ends on every path,
// including the error returns the tests drive.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
