package gossip_test

import (
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClusterRepairsMissedBroadcastsAtPushPull(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	tc := startCluster(t, net, 4, nil)
	net.Partition([]string{tc.members[3].Addr()}) // m003 hears nothing for a while
	msg := []byte("sent while m003 was cut off")
	require.NoError(t, tc.members[0].Broadcast(msg))
	require.Eventually(t, func() bool {
		for _, m := range tc.members[:3] {
			if m.Stats().Queued > 0 {
				return false
			}
		}
		return tc.inboxes[1].count(msg) == 1 && tc.inboxes[2].count(msg) == 1
	}, 10*time.Second, 10*time.Millisecond, "the others got it and stopped gossiping it")
	assert.Zero(t, tc.inboxes[3].count(msg))

	net.Heal()
	require.Eventually(t, func() bool { return tc.inboxes[3].count(msg) == 1 }, 20*time.Second, 10*time.Millisecond,
		"the push-pull digest shows m003 what it missed")
	assert.Greater(t, tc.members[3].Stats().Repairs, uint64(0))
}
