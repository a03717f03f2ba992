package chat

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(c10kHelperEnv) != "" { // the client process of BenchmarkTCPChatC10K
		os.Exit(c10kHelperMain())
	}
	goleak.VerifyTestMain(m)
}

// runUntilCleanup runs run in a goroutine of its own until the test ends,
// then cancels its context and requires that it returned nil.
func runUntilCleanup(t testing.TB, run func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
}
