package p2p

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKilledPeerIsDetectedReportedAndReplaced(t *testing.T) {
	s1, _ := startSeed(t, DefaultSeedConfig())
	s2, _ := startSeed(t, DefaultSeedConfig())
	seeds := seedAddrs(s1, s2)

	// A hub that the others attach to, then four more peers.
	var peers []*Peer
	var nodes []*node
	for i := range 8 {
		cfg := testPeerConfig(seeds, i)
		p, n := startPeer(t, cfg)
		peers, nodes = append(peers, p), append(nodes, n)
	}
	victim := peers[0]
	var watchers []*Peer
	before := map[*Peer][]netip.AddrPort{}
	for _, p := range peers[1:] {
		if isNeighbour(p, victim.Addr()) {
			watchers = append(watchers, p)
			before[p] = p.Neighbours()
		}
	}
	require.NotEmpty(t, watchers, "someone must be a neighbour of the first peer")
	for _, s := range []*Seed{s1, s2} {
		require.True(t, hasPeer(s.Registry(), victim.Addr()))
	}

	nodes[0].kill(t)

	require.Eventually(t, func() bool {
		return !hasPeer(s1.Registry(), victim.Addr()) && !hasPeer(s2.Registry(), victim.Addr())
	}, waitFor, tick, "every seed removes the dead peer")
	replaced := 0
	for _, w := range watchers {
		require.Eventually(t, func() bool { return !isNeighbour(w, victim.Addr()) }, waitFor, tick)
		// Peers other than w and the victim that w was not linked to.
		if len(peers)-2-(len(before[w])-1) == 0 {
			continue // w was linked to everyone: nobody is left to pick
		}
		replaced++
		require.Eventually(t, func() bool {
			for _, n := range w.Neighbours() {
				if !slices.Contains(before[w], n) {
					return true
				}
			}
			return false
		}, waitFor, tick, "%v replaces its lost neighbour with a new one; before %v, now %v, all %d", w, before[w], w.Neighbours(), len(peers))
	}
	assert.Positive(t, replaced, "some watcher had room to replace the dead peer")
	total := 0
	for _, p := range peers[1:] {
		total += p.Stats().DeadReported
	}
	assert.GreaterOrEqual(t, total, len(watchers))
}

func TestPeersJoinWhileAMajorityOfSeedsIsUp(t *testing.T) {
	s1, _ := startSeed(t, DefaultSeedConfig())
	s2, _ := startSeed(t, DefaultSeedConfig())
	s3, n3 := startSeed(t, DefaultSeedConfig())
	seeds := seedAddrs(s1, s2, s3)
	first, _ := startPeer(t, testPeerConfig(seeds, 0))
	assert.Len(t, first.Registered(), 2, "a peer registers with floor(3/2)+1 seeds")

	n3.kill(t)
	for i := 1; i < 4; i++ {
		p, _ := startPeer(t, testPeerConfig(seeds, i))
		got := p.Registered()
		assert.Len(t, got, 2)
		assert.NotContains(t, got, s3.Addr(), "the dead seed cannot be one of them")
		assert.True(t, hasPeer(s1.Registry(), p.Addr()) && hasPeer(s2.Registry(), p.Addr()))
	}

	s2.Close()
	lone, err := NewPeer(testPeerConfig(seeds, 9))
	require.NoError(t, err)
	_, err = lone.register(t.Context())
	require.ErrorIs(t, err, ErrNoMajority, "one seed of three is not a majority")
	require.NoError(t, lone.Close())
}

func TestRestartedPeerRejoins(t *testing.T) {
	s, _ := startSeed(t, DefaultSeedConfig())
	seeds := seedAddrs(s)
	var peers []*Peer
	for i := range 4 {
		p, _ := startPeer(t, testPeerConfig(seeds, i))
		peers = append(peers, p)
	}
	cfg := testPeerConfig(seeds, 4)
	old, oldNode := startPeer(t, cfg)
	addr := old.Addr()
	require.NotEmpty(t, old.Neighbours())
	oldNode.kill(t)

	// The same address comes back before, or after, the others give up on it.
	cfg.Addr = addr.String()
	cfg.GossipCount = 3
	back, _ := startPeer(t, cfg)
	require.Equal(t, addr, back.Addr())
	require.Eventually(t, func() bool {
		return hasPeer(s.Registry(), addr) && len(back.Neighbours()) >= 1
	}, waitFor, tick, "the restarted peer is registered and has neighbours again")

	// Gossip from the others reaches the restarted peer once its links settle.
	require.Eventually(t, func() bool {
		peers[0].Publish()
		return back.Stats().GossipReceived > 0
	}, waitFor, 100*tick)
}
