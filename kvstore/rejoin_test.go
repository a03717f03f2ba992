package kvstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runReplica starts r.Run until the test ends.
func runReplica(t *testing.T, r *Replica) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// Issue 15: B is started joining A's address before A exists; A starts; a
// write to A is read on B, with no restart of either.
func TestReplicaJoinsASeedThatStartsLater(t *testing.T) {
	net, err := gossip.NewMemNetwork(gossip.DefaultMemConfig())
	require.NoError(t, err)
	t.Cleanup(func() { net.Close() })
	const addrA = "127.201.0.1:7946"

	cfgB := DefaultConfig("B")
	cfgB.AntiEntropyInterval = 100 * time.Millisecond
	ccB := gossip.DefaultLocalConfig()
	ccB.Network = net
	ccB.Seeds = []string{addrA}
	ccB.JoinRetryMin, ccB.JoinRetryMax = 10*time.Millisecond, 100*time.Millisecond
	b, err := NewReplica(cfgB, ccB)
	require.NoError(t, err)
	runReplica(t, b)
	// The premise: B tried its seed, which did not exist yet.
	require.Eventually(t, func() bool { return b.Cluster.Stats().JoinAttempts >= 2 }, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, 1, b.Cluster.NumMembers())

	cfgA := DefaultConfig("A")
	cfgA.AntiEntropyInterval = 100 * time.Millisecond
	ccA := gossip.DefaultLocalConfig()
	ccA.Network = net
	ccA.BindAddr, ccA.BindPort = "127.201.0.1", 7946
	a, err := NewReplica(cfgA, ccA)
	require.NoError(t, err)
	runReplica(t, a)

	wctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	require.NoError(t, b.WaitMembers(wctx, 2))
	_, err = a.Put("temperature", []byte("25.5"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		e, err := b.Get("temperature")
		return err == nil && string(e.Value) == "25.5"
	}, 10*time.Second, 5*time.Millisecond, "B never read A's write")
}

// Issue 15: a partition long enough for each side to declare the other
// dead; writes and deletes on both sides; heal; every replica converges to
// the LWW winner of every acknowledged write and no deleted key comes back.
func TestPartitionPastFailureDetectionHealsWithDeletesKept(t *testing.T) {
	mc := startMemCluster(t, []string{"A", "B", "C", "D", "E"}, nil)
	nodes := mc.nodes()
	var hist history
	for i := range 40 {
		hist.put(t, nodes[i%5], fmt.Sprint("key-", i), "before")
	}
	require.Eventually(t, func() bool { return inSync(nodes) }, 20*time.Second, 10*time.Millisecond)

	left, right := mc.replicas[:2], mc.replicas[2:]
	mc.net.Partition(mc.addrs(0, 1), mc.addrs(2, 3, 4))
	// The premise: each side has given the other up (failure detection
	// declared it dead), so healing needs a rejoin, not just packets.
	require.Eventually(t, func() bool {
		for _, r := range left {
			if r.Cluster.NumMembers() != 2 {
				return false
			}
		}
		for _, r := range right {
			if r.Cluster.NumMembers() != 3 {
				return false
			}
		}
		return true
	}, 60*time.Second, 20*time.Millisecond, "the sides never declared each other dead")

	var wg sync.WaitGroup
	for w, n := range nodes {
		wg.Go(func() {
			for i := range 60 {
				key := fmt.Sprint("key-", (i*7+w)%50) // overlapping keys on both sides
				switch {
				case i%4 == 0:
					hist.del(t, n, key) // deletes of keys written before, and of new ones
				default:
					hist.put(t, n, key, fmt.Sprintf("%s-%d", n.Name(), i))
				}
			}
		})
	}
	wg.Wait()
	require.False(t, nodes[0].InSyncWith(nodes[2]), "the two sides diverged while partitioned")

	mc.net.Heal()
	require.Eventually(t, func() bool {
		for _, r := range mc.replicas {
			if r.Cluster.NumMembers() != 5 {
				return false
			}
		}
		return inSync(nodes)
	}, 60*time.Second, 20*time.Millisecond, "replicas did not rejoin and converge after the partition healed")
	hist.check(t, nodes)
	deleted := 0
	for _, w := range hist.winners() {
		if w.deleted {
			deleted++
			for _, n := range nodes {
				_, err := n.Get(w.key)
				assert.ErrorIs(t, err, ErrNotFound, "%s: deleted key %q came back", n.Name(), w.key)
			}
		}
	}
	assert.Positive(t, deleted, "the history has deletes that won")
}
