package gossip

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A whole cluster stopping at once is quick: Run's leave waits a few gossip
// intervals, not TCPTimeout, for messages the others no longer take.
func TestClusterStoppingTogetherDoesNotWaitOutTCPTimeout(t *testing.T) {
	net := newMem(t, DefaultMemConfig())
	tc := startCluster(t, net, 4, func(i int, c *ClusterConfig) { c.TCPTimeout = 10 * time.Second })
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, m := range tc.members {
		wg.Go(func() { assert.NoError(t, m.Run(ctx)) })
	}
	start := time.Now()
	cancel()
	wg.Wait()
	took := time.Since(start)
	t.Logf("4 members stopped together in %v (leave timeout %v each)", took, tc.members[0].leaveTimeout())
	assert.Less(t, took, 5*time.Second, "a member waited out TCPTimeout (10 s) to say goodbye")

	cfg := DefaultLocalConfig()
	cfg.LeaveTimeout = -time.Second
	_, err := NewCluster(cfg)
	assert.ErrorContains(t, err, "ClusterConfig.LeaveTimeout")
}
