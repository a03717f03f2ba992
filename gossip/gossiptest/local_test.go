package gossiptest

import (
	"context"
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLocalClusterKillPartitionHeal(t *testing.T) {
	net := newMem(t, DefaultMemConfig())
	cfg := localConfig(net)
	cfg.GossipToTheDeadTime = 300 * time.Millisecond
	preset := gossip.DefaultLocalConfig() // fast failure detection: this test waits for it twice
	cfg.ProbeInterval, cfg.ProbeTimeout = preset.ProbeInterval, preset.ProbeTimeout
	lc, err := StartLocal(8, cfg)
	require.NoError(t, err)
	defer lc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	_, err = lc.WaitViews(ctx, nil, 8)
	require.NoError(t, err)
	assert.Equal(t, map[int]int{8: 8}, lc.Views())
	reach, _, err := lc.BroadcastAndWait(ctx, 3, []byte("first"))
	require.NoError(t, err)
	assert.Equal(t, 7, reach)

	require.NoError(t, lc.Kill(7))
	require.NoError(t, lc.Kill(6))
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, lc.Live())
	_, err = lc.WaitViews(ctx, nil, 6)
	require.NoError(t, err)

	require.NoError(t, lc.Partition([]int{0, 1}, []int{2, 3, 4, 5}))
	_, err = lc.WaitViews(ctx, []int{0, 1}, 2)
	require.NoError(t, err)
	_, err = lc.WaitViews(ctx, []int{2, 3, 4, 5}, 4)
	require.NoError(t, err)
	lc.Heal()
	_, err = lc.WaitViews(ctx, nil, 6)
	require.NoError(t, err)
	reach, _, err = lc.BroadcastAndWait(ctx, 0, []byte("after heal"))
	require.NoError(t, err)
	assert.Equal(t, 5, reach)

	short, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	_, err = lc.WaitViews(short, nil, 99)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	_, err = StartLocal(0, cfg)
	assert.Error(t, err)
}

// localConfig is DefaultLocalConfig on net, with probes relaxed so that a
// CPU-starved test machine (the race detector, parallel packages) does not
// make members suspect each other; the test that needs fast failure
// detection restores the preset's timings.
func localConfig(net *MemNetwork) gossip.ClusterConfig {
	cfg := gossip.DefaultLocalConfig()
	cfg.Network = net
	cfg.ProbeTimeout = 400 * time.Millisecond
	cfg.TCPTimeout = 5 * time.Second
	return cfg
}
