package p2p

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// baOverlay grows a Barabási–Albert graph of n nodes, m links each, with
// PreferentialPick.
func baOverlay(n, m int, rnd *rand.Rand) Overlay {
	var o Overlay
	deg := map[netip.AddrPort]int{}
	for i := range n {
		a := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(1000+i))
		var cands []Candidate
		for _, b := range o.Nodes {
			cands = append(cands, Candidate{b, deg[b]})
		}
		for _, b := range PreferentialPick(rnd, cands, m) {
			o.Edges = append(o.Edges, [2]netip.AddrPort{b, a})
			deg[a]++
			deg[b]++
		}
		o.Nodes = append(o.Nodes, a)
	}
	return o
}

func TestRobustnessRandomVsTargeted(t *testing.T) {
	o := baOverlay(400, 2, rand.New(rand.NewPCG(1, 1)))
	require.Equal(t, 1, o.Components())
	alpha, _ := PowerLawMLE(o.Degrees(), 2)
	assert.InDelta(t, 2.7, alpha, 0.5, "preferential attachment gives a power law near 3")

	pts := o.Robustness(10, rand.New(rand.NewPCG(2, 2)))
	require.Len(t, pts, 11)
	assert.Equal(t, RobustnessPoint{0, 1, 1}, pts[0], "nothing removed: one component of everyone")
	at20 := pts[4] // 20% removed
	assert.InDelta(t, 0.2, at20.Removed, 1e-9)
	assert.Greater(t, at20.Random, 0.6, "random failures leave a giant component")
	assert.Less(t, at20.Targeted, at20.Random/2, "removing the hubs shatters the overlay")
}

func TestGiantWithout(t *testing.T) {
	a, b, c, d := netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.1:2"),
		netip.MustParseAddrPort("10.0.0.1:3"), netip.MustParseAddrPort("10.0.0.1:4")
	// A path a-b-c plus an isolated d: removing b leaves components of 1.
	o := Overlay{Nodes: []netip.AddrPort{a, b, c, d}, Edges: [][2]netip.AddrPort{{a, b}, {b, c}}}
	assert.Equal(t, 3, o.giantWithout(nil))
	assert.Equal(t, 1, o.giantWithout([]int{1}))
	assert.Equal(t, 2, o.giantWithout([]int{3, 0}))
	assert.Equal(t, 2, o.Components())
}

func TestReachCountsComponentAndHops(t *testing.T) {
	a := func(p uint16) netip.AddrPort { return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), p) }
	// A path 1-2-3-4 and a separate pair 5-6.
	o := Overlay{Nodes: []netip.AddrPort{a(1), a(2), a(3), a(4), a(5), a(6)},
		Edges: [][2]netip.AddrPort{{a(1), a(2)}, {a(2), a(3)}, {a(3), a(4)}, {a(5), a(6)}}}
	n, hops := o.reach(a(1))
	assert.Equal(t, 4, n)
	assert.Equal(t, 3, hops)
	n, hops = o.reach(a(2))
	assert.Equal(t, 4, n)
	assert.Equal(t, 2, hops)
	n, hops = o.reach(a(6))
	assert.Equal(t, 2, n)
	assert.Equal(t, 1, hops)
	assert.Equal(t, 2, o.Components())
}
