package mlcluster

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/testutil"
)

// TestRunAfterCloseLeavesCloseReturning: a Run refused because Close came
// first must not count as a Run that Close waits for. Before the fix, the
// refused Run marked the coordinator as run, and the next Close waited
// forever for a Run that had already returned (seen as a ten-minute hang of
// TestLifecycle/Coordinator/close under load).
func TestRunAfterCloseLeavesCloseReturning(t *testing.T) {
	co, err := New(Config{})
	require.NoError(t, err)
	require.NoError(t, co.Close())
	require.ErrorIs(t, co.Run(context.Background()), ErrClosed)
	done := make(chan error, 1)
	go func() { done <- co.Close() }()
	require.NoError(t, testutil.Recv(t, done, 10*time.Second, "return of Close after a refused Run"))
}
