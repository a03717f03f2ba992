package p2p

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"

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

func TestPartitionAndHeal(t *testing.T) {
	s, _ := startSeed(t, DefaultSeedConfig())
	pt := &partition{side: map[netip.AddrPort]int{}}
	var gl gossipLog
	newPeer := func(id, side int) *Peer {
		self := new(netip.AddrPort)
		cfg := testPeerConfig(seedAddrs(s), id)
		cfg.Dial = pt.dialer(self)
		cfg.OnGossip = gl.hook(self)
		p, err := NewPeer(cfg)
		require.NoError(t, err)
		*self = p.Addr()
		pt.mu.Lock()
		pt.side[p.Addr()] = side
		pt.mu.Unlock()
		start(t, p.Run)
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
	m := main[0].Publish()
	require.Eventually(t, func() bool {
		for _, p := range main[1:] {
			if gl.count(p.Addr(), m) != 1 {
				return false
			}
		}
		return true
	}, waitFor, tick, "gossip still floods the main side")
	for _, p := range island {
		require.Zero(t, gl.count(p.Addr(), m), "nothing crosses the partition")
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
