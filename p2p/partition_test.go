package p2p

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// partition cuts the overlay in two on loopback: every connection is opened
// through its dialer, which fails dials across the cut and, on connections
// already open, silently drops what crosses it both ways, like a pulled
// cable. Nodes on side 0 (the seed) reach everyone.
type partition struct {
	mu   sync.Mutex
	side map[netip.AddrPort]int
	cut  bool
}

func (pt *partition) across(a, b netip.AddrPort) bool {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	sa, sb := pt.side[a], pt.side[b]
	return pt.cut && sa != 0 && sb != 0 && sa != sb
}

func (pt *partition) set(cut bool) {
	pt.mu.Lock()
	pt.cut = cut
	pt.mu.Unlock()
}

// dialer returns the Dial function of the node whose address *self holds.
func (pt *partition) dialer(self *netip.AddrPort) DialFunc {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		to, err := netip.ParseAddrPort(addr)
		if err != nil {
			return nil, err
		}
		if pt.across(*self, to) {
			return nil, errors.New("partitioned")
		}
		c, err := defaultDial(ctx, addr)
		if err != nil {
			return nil, err
		}
		return &cutConn{Conn: c, pt: pt, a: *self, b: to}, nil
	}
}

type cutConn struct {
	net.Conn
	pt   *partition
	a, b netip.AddrPort
}

func (c *cutConn) Write(p []byte) (int, error) {
	if c.pt.across(c.a, c.b) {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *cutConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if err != nil || !c.pt.across(c.a, c.b) {
			return n, err
		}
	}
}

// gossipLog records which peer received which message, and how often.
type gossipLog struct {
	mu  sync.Mutex
	got map[netip.AddrPort]map[MessageKey]int
}

func (g *gossipLog) hook(self *netip.AddrPort) func(Message, netip.AddrPort) {
	return func(m Message, _ netip.AddrPort) {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.got == nil {
			g.got = map[netip.AddrPort]map[MessageKey]int{}
		}
		if g.got[*self] == nil {
			g.got[*self] = map[MessageKey]int{}
		}
		g.got[*self][KeyOf(m)]++
	}
}

func (g *gossipLog) count(p netip.AddrPort, m Message) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.got[p][KeyOf(m)]
}

// startPeer runs a peer made from cfg on side of the partition until the
// test ends: its dials go through the partition and its gossip into gl.
func (pt *partition) startPeer(t *testing.T, cfg Config, side int, gl *gossipLog) *Peer {
	t.Helper()
	self := new(netip.AddrPort)
	cfg.Dial = pt.dialer(self)
	cfg.OnGossip = gl.hook(self)
	p, err := NewPeer(cfg)
	require.NoError(t, err)
	*self = p.Addr()
	pt.mu.Lock()
	pt.side[p.Addr()] = side
	pt.mu.Unlock()
	start(t, p.Run)
	return p
}

func TestPartitionAndHeal(t *testing.T) {
	s, _ := startSeed(t, DefaultSeedConfig())
	pt := &partition{side: map[netip.AddrPort]int{}}
	var gl gossipLog
	newPeer := func(id, side int) *Peer {
		p := pt.startPeer(t, testPeerConfig(seedAddrs(s), id), side, &gl)
		<-p.Joined()
		return p
	}
	var main, island []*Peer
	for i := range 6 {
		main = append(main, newPeer(i, 1))
	}
	for i := range 2 {
		island = append(island, newPeer(10+i, 2))
	}
	crossLinks := func() int {
		n := 0
		for _, p := range append(append([]*Peer{}, main...), island...) {
			for _, q := range p.Neighbours() {
				if pt.side[q] != pt.side[p.Addr()] {
					n++
				}
			}
		}
		return n
	}
	require.Positive(t, crossLinks(), "the island joined through the main side")

	pt.set(true)
	require.Eventually(t, func() bool { return crossLinks() == 0 }, waitFor, tick,
		"both sides declare the other dead and drop the links")
	// A peer whose link is down while a message floods misses it for good,
	// so each try publishes a new message.
	var sent []Message
	require.Eventually(t, func() bool {
		m := main[0].Publish()
		sent = append(sent, m)
		return eventually(func() bool { return reachedAll(&gl, main[1:], m) })
	}, waitFor, tick, "gossip still floods the main side")
	for _, p := range island {
		for _, m := range sent {
			require.Zero(t, gl.count(p.Addr(), m), "nothing crosses the partition")
		}
	}

	pt.set(false)
	require.Eventually(t, func() bool { return crossLinks() > 0 }, waitFor, tick,
		"the island, short of neighbours, reconnects at its next refresh")
	require.Eventually(t, func() bool {
		m := main[0].Publish()
		return eventually(func() bool {
			for _, p := range append(main[1:], island...) {
				if gl.count(p.Addr(), m) != 1 {
					return false
				}
			}
			return true
		})
	}, waitFor, tick, "after healing, gossip reaches every peer exactly once")
	for _, p := range append(main, island...) {
		require.Eventually(t, func() bool { return hasPeer(s.Registry(), p.Addr()) }, waitFor, tick,
			"%v registered again", p)
	}
}

// TestPartitionHealsLargeHalves cuts an overlay of 2×15 peers in two and
// waits until each half has dropped the links across the cut and every peer
// has its quota of neighbours again from its own half. Neither half is then
// short of links, so topping up cannot rejoin them; the test heals the cut
// and requires the overlay to become one component again, with gossip from
// one side reaching every peer of the other.
func TestPartitionHealsLargeHalves(t *testing.T) {
	const half = 15
	s, _ := startSeed(t, DefaultSeedConfig())
	pt := &partition{side: map[netip.AddrPort]int{}}
	var gl gossipLog
	var sides [3][]*Peer
	var all []*Peer
	for i := range 2 * half {
		side := 1 + i%2 // interleaved, so that many links cross the cut
		cfg := testPeerConfig(seedAddrs(s), 100+i)
		// Thirty peers on a loaded machine: a liveness interval twice the
		// other tests' keeps slow replies from passing for deaths.
		cfg.LivenessInterval = 2 * testLiveness
		p := pt.startPeer(t, cfg, side, &gl)
		select {
		case <-p.Joined():
		case <-time.After(waitFor):
			t.Fatalf("%v did not join", p)
		}
		sides[side] = append(sides[side], p)
		all = append(all, p)
	}
	sideOf := func(a netip.AddrPort) int {
		pt.mu.Lock()
		defer pt.mu.Unlock()
		return pt.side[a]
	}
	crossLinks := func() int {
		n := 0
		for _, p := range all {
			for _, q := range p.Neighbours() {
				if sideOf(q) != sideOf(p.Addr()) {
					n++
				}
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return crossLinks() > 0 && mutualComponents(all) == 1 }, waitFor, tick,
		"the overlay forms as one component with links across the future cut")

	dump := func() {
		for _, p := range all {
			t.Logf("%v side %d, %+v: %s", p.Addr(), sideOf(p.Addr()), p.Stats(), p.linkStates())
		}
	}
	pt.set(true)
	quota := testPeerConfig(nil, 0).Neighbours
	if !assert.Eventually(t, func() bool {
		if crossLinks() > 0 {
			return false
		}
		for _, p := range all {
			if len(p.Neighbours()) < quota {
				return false
			}
		}
		return true
	}, waitFor, tick, "each half drops the links across the cut and fills every peer's quota from its own side") {
		dump()
		t.FailNow()
	}
	// The halves are usually connected inside, but the protocol does not
	// promise it: a half may fall into pieces that each fill their quotas,
	// as the whole overlay did before this change.
	t.Logf("partitioned: %d component(s) in half 1, %d in half 2",
		mutualComponents(sides[1]), mutualComponents(sides[2]))
	// A peer whose link is down while a message floods misses it for good,
	// so each try publishes a new message.
	origin := sides[1][0]
	var sent []Message
	require.Eventually(t, func() bool {
		m := origin.Publish()
		sent = append(sent, m)
		return eventually(func() bool { return reachedAll(&gl, reachable(all, origin), m) })
	}, waitFor, tick, "gossip floods the origin's part of the first half")
	for _, p := range sides[2] {
		for _, m := range sent {
			require.Zero(t, gl.count(p.Addr(), m), "nothing crosses the partition")
		}
	}

	pt.set(false)
	healed := time.Now()
	require.Eventually(t, func() bool { return mutualComponents(all) == 1 }, waitFor, tick,
		"after healing, the two halves become one component again")
	t.Logf("one component %v after the cut healed (refresh interval %v)",
		time.Since(healed).Round(time.Millisecond), testRefresh)
	// A replacement picked just as the cut heals may cross it first; the
	// links lost at the cut come back at the next refreshes all the same.
	require.Eventually(t, func() bool {
		for _, p := range all {
			if p.Stats().Reconnected > 0 {
				return true
			}
		}
		return false
	}, waitFor, tick, "peers reconnect to neighbours they lost at the cut")
	var missed []netip.AddrPort
	if !assert.Eventually(t, func() bool {
		m := origin.Publish()
		ok := eventually(func() bool { return reachedAll(&gl, sides[2], m) })
		missed = missed[:0]
		for _, p := range sides[2] {
			if gl.count(p.Addr(), m) != 1 {
				missed = append(missed, p.Addr())
			}
		}
		return ok
	}, waitFor, tick, "gossip from the first half reaches every peer of the second") {
		t.Logf("missed by %v; %d components", missed, mutualComponents(all))
		dump()
	}
}

// reachable returns the peers that origin reaches over links both ends
// list, origin excluded.
func reachable(peers []*Peer, origin *Peer) []*Peer {
	byAddr := map[netip.AddrPort]*Peer{}
	nbrs := map[netip.AddrPort][]netip.AddrPort{}
	for _, p := range peers {
		byAddr[p.Addr()], nbrs[p.Addr()] = p, p.Neighbours()
	}
	seen := map[netip.AddrPort]bool{origin.Addr(): true}
	queue := []netip.AddrPort{origin.Addr()}
	var out []*Peer
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		for _, b := range nbrs[a] {
			if !seen[b] && byAddr[b] != nil && slices.Contains(nbrs[b], a) {
				seen[b] = true
				queue = append(queue, b)
				out = append(out, byAddr[b])
			}
		}
	}
	return out
}

// linkStates describes the peer's links for a failure message.
func (p *Peer) linkStates() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := ""
	for a, l := range p.links {
		s += fmt.Sprintf("%v(out=%v up=%v fail=%d) ", a, l.outgoing, l.c != nil, l.failures)
	}
	return s
}

// mutualComponents counts the connected components of the overlay among
// peers, counting only links that both ends list (a link that one end
// already dropped carries no gossip).
func mutualComponents(peers []*Peer) int {
	nbrs := map[netip.AddrPort][]netip.AddrPort{}
	for _, p := range peers {
		nbrs[p.Addr()] = p.Neighbours()
	}
	var o Overlay
	for a, ns := range nbrs {
		o.Nodes = append(o.Nodes, a)
		for _, b := range ns {
			if a.Compare(b) < 0 && slices.Contains(nbrs[b], a) {
				o.Edges = append(o.Edges, [2]netip.AddrPort{a, b})
			}
		}
	}
	return o.Components()
}

// reachedAll reports whether every one of peers has delivered m exactly once.
func reachedAll(gl *gossipLog, peers []*Peer, m Message) bool {
	for _, p := range peers {
		if gl.count(p.Addr(), m) != 1 {
			return false
		}
	}
	return true
}
