package kvstore

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// write is one acknowledged write in a recorded history.
type write struct {
	node    string
	key     string
	value   string
	deleted bool
	version Version
}

// history records acknowledged writes from many goroutines.
type history struct {
	mu     sync.Mutex
	writes []write
}

func (h *history) put(t testing.TB, n *Node, key, value string) {
	v, err := n.Put(key, []byte(value))
	require.NoError(t, err)
	h.mu.Lock()
	h.writes = append(h.writes, write{n.Name(), key, value, false, v})
	h.mu.Unlock()
}

func (h *history) del(t testing.TB, n *Node, key string) {
	v, err := n.Delete(key)
	require.NoError(t, err)
	h.mu.Lock()
	h.writes = append(h.writes, write{n.Name(), key, "", true, v})
	h.mu.Unlock()
}

// winners returns, per key, the acknowledged write with the greatest version.
func (h *history) winners() map[string]write {
	h.mu.Lock()
	defer h.mu.Unlock()
	winner := map[string]write{}
	for _, w := range h.writes {
		if cur, ok := winner[w.key]; !ok || w.version.Compare(cur.version) > 0 {
			winner[w.key] = w
		}
	}
	return winner
}

// check verifies the history against converged replicas: every replica
// holds, for every key, exactly the acknowledged write with the greatest
// version (LWW by HLC), so no acknowledged write is lost unless a later
// version superseded it.
func (h *history) check(t *testing.T, replicas []*Node) {
	t.Helper()
	winner := h.winners()
	for _, w := range h.writes {
		require.True(t, w.version.Compare(winner[w.key].version) <= 0)
	}
	for _, r := range replicas {
		for key, w := range winner {
			e, ok, err := r.store.Get(key)
			require.NoError(t, err)
			require.True(t, ok, "%s lost key %q", r.Name(), key)
			require.Equal(t, w.version, e.Version, "%s: %q is not the LWW winner", r.Name(), key)
			require.Equal(t, w.deleted, e.Tombstone, "%s: %q", r.Name(), key)
			if !w.deleted {
				require.Equal(t, w.value, string(e.Value), "%s: %q", r.Name(), key)
			}
		}
		list, err := r.List("")
		require.NoError(t, err)
		live := 0
		for _, w := range winner {
			if !w.deleted {
				live++
			}
		}
		require.Len(t, list, live, "%s holds keys nobody wrote", r.Name())
	}
}

// converge runs anti-entropy rounds on every node until all replicas have
// equal digests, and returns how many rounds that took.
func converge(t *testing.T, h *hub, nodes []*Node, maxRounds int) int {
	t.Helper()
	for round := 1; round <= maxRounds; round++ {
		h.tick(time.Second) // one anti-entropy interval; unanswered wants expire after a few
		for _, n := range nodes {
			n.AntiEntropy()
		}
		synced := true
		for _, n := range nodes[1:] {
			synced = synced && n.InSyncWith(nodes[0])
		}
		if synced {
			return round
		}
	}
	t.Fatalf("replicas did not converge in %d anti-entropy rounds", maxRounds)
	return 0
}

func fiveNodes(t *testing.T, h *hub) []*Node {
	var nodes []*Node
	for _, name := range []string{"A", "B", "C", "D", "E"} {
		nodes = append(nodes, h.add(t, DefaultConfig(name)))
	}
	return nodes
}

func TestBroadcastReachesEveryReplica(t *testing.T) {
	h := newHub(1)
	nodes := fiveNodes(t, h)
	_, err := nodes[0].Put("temperature", []byte("25.5"))
	require.NoError(t, err)
	for _, n := range nodes {
		e, err := n.Get("temperature")
		require.NoError(t, err, n.Name())
		assert.Equal(t, "25.5", string(e.Value))
	}
	assert.Zero(t, nodes[1].Stats().AntiEntropyRounds, "no anti-entropy was needed")
}

func TestPartitionWithConcurrentWritesHealsToTheLWWWinner(t *testing.T) {
	h := newHub(2)
	nodes := fiveNodes(t, h)
	var hist history
	for i := range 20 {
		hist.put(t, nodes[i%5], fmt.Sprint("key-", i), "before")
	}
	h.partition([]string{"A", "B"}, []string{"C", "D", "E"})

	var wg sync.WaitGroup
	for w, n := range nodes {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range 200 {
				key := fmt.Sprint("key-", r.IntN(30)) // overlapping keys on both sides
				if r.IntN(10) == 0 {
					hist.del(t, n, key)
				} else {
					hist.put(t, n, key, fmt.Sprintf("%s-%d", n.Name(), i))
				}
			}
		})
	}
	wg.Wait()
	assert.False(t, nodes[0].InSyncWith(nodes[4]), "the sides diverged")
	h.heal()
	rounds := converge(t, h, nodes, 20)
	t.Logf("converged in %d anti-entropy rounds after healing", rounds)
	hist.check(t, nodes)
}

func TestTenPercentLossStillConverges(t *testing.T) {
	h := newHub(3)
	nodes := fiveNodes(t, h)
	h.setLoss(0.10)
	var hist history
	for i := range 500 {
		hist.put(t, nodes[i%5], fmt.Sprint("k", i%97), fmt.Sprint("v", i))
	}
	rounds := converge(t, h, nodes, 50)
	t.Logf("converged in %d rounds with 10%% loss", rounds)
	hist.check(t, nodes)
}

// An isolated node misses n writes; after the partition heals, digest
// anti-entropy repairs it with at most twice the bytes of the missing
// entries, where full-state exchange resends everything.
func TestAntiEntropyBytesStayNearTheMissingData(t *testing.T) {
	const n = 5000
	missing, digestBytes := isolatedCatchUp(t, n, false)
	ratio := float64(digestBytes) / float64(missing)
	t.Logf("%d missing entries, %d bytes; digest anti-entropy sent %d bytes (%.2fx)", n, missing, digestBytes, ratio)
	assert.LessOrEqual(t, ratio, 2.0)

	_, fullBytes := isolatedCatchUp(t, n, true)
	t.Logf("full-state exchange sent %d bytes (%.2fx)", fullBytes, float64(fullBytes)/float64(missing))
	assert.Greater(t, fullBytes, digestBytes)
}

// isolatedCatchUp partitions E away while A..D take n writes, heals, and
// runs rounds of anti-entropy on every node until E is in sync. It returns the encoded size of the
// entries E missed and the anti-entropy bytes sent by everyone.
func isolatedCatchUp(t *testing.T, n int, fullState bool) (missing, sent int) {
	h := newHub(4)
	var nodes []*Node
	for _, name := range []string{"A", "B", "C", "D", "E"} {
		cfg := DefaultConfig(name)
		cfg.FullStateExchange = fullState
		nodes = append(nodes, h.add(t, cfg))
	}
	for i := range 200 { // some shared history first
		_, err := nodes[i%5].Put(fmt.Sprintf("base-%04d", i), make([]byte, 100))
		require.NoError(t, err)
	}
	h.partition([]string{"A", "B", "C", "D"}, []string{"E"})
	value := make([]byte, 100)
	for i := range n {
		_, err := nodes[i%4].Put(fmt.Sprintf("key-%011d", i), value)
		require.NoError(t, err)
	}
	list, err := nodes[0].List("key-")
	require.NoError(t, err)
	require.Len(t, list, n)
	missing = len(appendEntries(nil, kindRepair, list))

	h.heal()
	h.resetBytes()
	e := nodes[4]
	for range 10 {
		h.tick(time.Second)
		for _, n := range nodes {
			n.AntiEntropy() // every node, with a random peer, as Run does each interval
		}
		if e.InSyncWith(nodes[0]) {
			break
		}
	}
	require.True(t, e.InSyncWith(nodes[0]), "E caught up")
	return missing, h.sentBytes("root", "digests", "summaries", "want", "repair")
}
