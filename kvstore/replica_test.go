package kvstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memCluster is replicas on a gossip MemNetwork, running until the test ends.
type memCluster struct {
	net      *gossiptest.MemNetwork
	replicas []*Replica
}

func startMemCluster(t *testing.T, names []string, mutate func(*Config)) *memCluster {
	t.Helper()
	net, err := gossiptest.NewMemNetwork(gossiptest.DefaultMemConfig())
	require.NoError(t, err)
	mc := &memCluster{net: net}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		net.Close()
	})
	for i, name := range names {
		cfg := DefaultConfig(name)
		cfg.AntiEntropyInterval = 100 * time.Millisecond
		if mutate != nil {
			mutate(&cfg)
		}
		ccfg := gossip.DefaultLocalConfig()
		ccfg.Network = net
		r, err := NewReplica(cfg, ccfg)
		require.NoError(t, err)
		if i > 0 {
			_, err := r.Join([]string{mc.replicas[0].Cluster.Addr()})
			require.NoError(t, err)
		}
		mc.replicas = append(mc.replicas, r)
		wg.Go(func() { _ = r.Run(ctx) })
	}
	for _, r := range mc.replicas {
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
		require.NoError(t, r.WaitMembers(wctx, len(names)))
		wcancel()
	}
	return mc
}

func (mc *memCluster) addrs(idx ...int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, mc.replicas[i].Cluster.Addr())
	}
	return out
}

func (mc *memCluster) nodes() []*Node {
	var out []*Node
	for _, r := range mc.replicas {
		out = append(out, r.Node)
	}
	return out
}

func inSync(nodes []*Node) bool {
	for _, n := range nodes[1:] {
		if !n.InSyncWith(nodes[0]) {
			return false
		}
	}
	return true
}

func TestCourseDemoOverGossip(t *testing.T) {
	mc := startMemCluster(t, []string{"A", "B", "C"}, nil)
	_, err := mc.replicas[0].Put("temperature", []byte("25.5"))
	require.NoError(t, err)
	for _, r := range mc.replicas[1:] {
		require.Eventually(t, func() bool {
			e, err := r.Get("temperature")
			return err == nil && string(e.Value) == "25.5"
		}, 5*time.Second, 5*time.Millisecond, "%s never saw the write", r.Name())
	}
}

// The partition test over the real gossip layer: {A,B} | {C,D,E},
// concurrent writes to overlapping keys on both sides, heal, and check the
// recorded history against every replica.
func TestPartitionOverGossipHealsToTheLWWWinner(t *testing.T) {
	mc := startMemCluster(t, []string{"A", "B", "C", "D", "E"}, nil)
	nodes := mc.nodes()
	mc.net.Partition(mc.addrs(0, 1), mc.addrs(2, 3, 4))

	var hist history
	var wg sync.WaitGroup
	for w, n := range nodes {
		wg.Go(func() {
			for i := range 100 {
				key := fmt.Sprint("key-", (i*7+w)%25)
				if i%9 == 0 {
					hist.del(t, n, key)
				} else {
					hist.put(t, n, key, fmt.Sprintf("%s-%d", n.Name(), i))
				}
			}
		})
	}
	wg.Wait()
	require.False(t, nodes[0].InSyncWith(nodes[2]), "the two sides diverged while partitioned")
	mc.net.Heal()
	require.Eventually(t, func() bool { return inSync(nodes) }, 30*time.Second, 20*time.Millisecond,
		"replicas did not converge after the partition healed")
	hist.check(t, nodes)
}

func TestTenPercentLossOverGossipConverges(t *testing.T) {
	mc := startMemCluster(t, []string{"A", "B", "C", "D", "E"}, nil)
	require.NoError(t, mc.net.SetLoss(0.10))
	var hist history
	for i := range 300 {
		hist.put(t, mc.replicas[i%5].Node, fmt.Sprint("k", i%61), fmt.Sprint("v", i))
	}
	nodes := mc.nodes()
	require.Eventually(t, func() bool { return inSync(nodes) }, 30*time.Second, 20*time.Millisecond)
	hist.check(t, nodes)
	var merges uint64
	for _, n := range nodes {
		merges += n.Stats().Merges
	}
	assert.Positive(t, merges)
}
