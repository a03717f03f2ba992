package gossip_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startNodes runs n nodes on net and returns them with a stop function that
// waits until every Run has returned.
func startNodes(t *testing.T, net *gossiptest.MemNetwork, n int, cfg gossip.Config, onRumor func(i int, r gossip.Rumor)) ([]*gossip.Node, func()) {
	t.Helper()
	var nodes []*gossip.Node
	var addrs []string
	for i := range n {
		tr := listen(t, net, "")
		c := cfg
		c.Seed = uint64(i + 1)
		if onRumor != nil {
			c.OnRumor = func(r gossip.Rumor) { onRumor(i, r) }
		}
		nd, err := gossip.New(c, tr)
		require.NoError(t, err)
		nodes = append(nodes, nd)
		addrs = append(addrs, tr.LocalAddr())
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, nd := range nodes {
		nd.SetPeers(addrs)
		wg.Add(1)
		go func() { defer wg.Done(); nd.Run(ctx) }()
	}
	stop := func() { cancel(); wg.Wait() }
	t.Cleanup(stop)
	return nodes, stop
}

func TestNodesSpreadOverLossyMemNetwork(t *testing.T) {
	mcfg := gossiptest.DefaultMemConfig()
	mcfg.Loss = 0.1
	net := newMem(t, mcfg)
	cfg := gossip.DefaultConfig()
	cfg.Interval = 10 * time.Millisecond
	cfg.AntiEntropy = 100 * time.Millisecond
	var delivered atomic.Int64
	nodes, stop := startNodes(t, net, 30, cfg, func(int, gossip.Rumor) { delivered.Add(1) })
	id, err := nodes[0].Publish([]byte("hello"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		for _, n := range nodes {
			if !n.Known(id) {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)
	stop()
	assert.Equal(t, int64(29), delivered.Load(), "each other node delivers the rumor exactly once")
	assert.Greater(t, net.Total().Lost, uint64(0), "the network did lose packets")
	assert.Greater(t, nodes[0].Stats().MessagesSent, uint64(0))
}

func TestNodeCountsAndDropsMalformedDatagrams(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	cfg := gossip.DefaultConfig()
	cfg.Interval = 10 * time.Millisecond
	nodes, _ := startNodes(t, net, 2, cfg, nil)
	evil := listen(t, net, "evil")
	for _, junk := range [][]byte{nil, []byte("GARBAGE"), {'G', 1, 1, 0xff, 0xff, 0, 0}} {
		require.NoError(t, evil.Send(nodes[0].Addr(), junk))
	}
	require.Eventually(t, func() bool { return nodes[0].Stats().Malformed == 3 }, 5*time.Second, 5*time.Millisecond)
	// The node still works.
	id, err := nodes[1].Publish([]byte("still alive"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return nodes[0].Known(id) }, 5*time.Second, 5*time.Millisecond)
}

func TestNodeRunTwiceAndClose(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	nd, err := gossip.New(gossip.DefaultConfig(), listen(t, net, ""))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- nd.Run(ctx) }()
	require.Eventually(t, func() bool { return gossip.NodeRunning(nd) }, time.Second, time.Millisecond)
	assert.Error(t, nd.Run(ctx), "a node runs once")
	cancel()
	assert.NoError(t, <-done)
	_, err = gossip.New(gossip.DefaultConfig(), nil)
	assert.Error(t, err)
}

func TestNodeOverUDP(t *testing.T) {
	a, b := newUDP(t, 1400), newUDP(t, 1400)
	cfg := gossip.DefaultConfig()
	cfg.Interval = 10 * time.Millisecond
	cfg.Peers = []string{a.LocalAddr(), b.LocalAddr()}
	got := make(chan gossip.Rumor, 1)
	na, err := gossip.New(cfg, a)
	require.NoError(t, err)
	cfgB := cfg
	cfgB.OnRumor = func(r gossip.Rumor) { got <- r }
	nb, err := gossip.New(cfgB, b)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, n := range []*gossip.Node{na, nb} {
		wg.Add(1)
		go func() { defer wg.Done(); n.Run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()
	_, err = na.Publish([]byte("over udp"))
	require.NoError(t, err)
	select {
	case r := <-got:
		assert.Equal(t, "over udp", string(r.Payload))
	case <-time.After(5 * time.Second):
		t.Fatal("rumor did not cross UDP")
	}
}
