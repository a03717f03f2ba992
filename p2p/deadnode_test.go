package p2p

import (
	"bufio"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakePeer is a course-style peer's listener that counts the Liveness
// Requests it receives and, unless silent, answers each with a Liveness
// Reply. A silent one accepts and reads but never answers, like a process
// that is stopped (kill -STOP) while the kernel still accepts for it.
type fakePeer struct {
	addr     netip.AddrPort
	requests atomic.Int64
}

func startFakePeer(t *testing.T, silent bool) *fakePeer {
	t.Helper()
	fp := &fakePeer{}
	fp.addr = testutil.ServeConns(t, func(c net.Conn) {
		la := c.LocalAddr().(*net.TCPAddr).AddrPort() // fp.addr, as this goroutine sees it
		self := netip.AddrPortFrom(la.Addr().Unmap(), la.Port())
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			m, err := Parse(strings.TrimSuffix(line, "\n"))
			if err != nil || m.Kind != KindLivenessRequest {
				continue
			}
			fp.requests.Add(1)
			if !silent {
				reply := Message{Kind: KindLivenessReply, Time: m.Time, From: m.From, To: self}
				_ = writeLine(c, reply.String(), time.Second)
			}
		}
	})
	return fp
}

// register registers addrs at the seed over c, as a course peer's
// register line would.
func (c *client) register(addrs ...netip.AddrPort) {
	c.t.Helper()
	for _, a := range addrs {
		require.Equal(c.t, lineRegistered, c.ask(Message{Kind: KindRegister, Addr: a}.String()))
	}
}

func deadNodeLine(dead, reporter netip.AddrPort) string {
	return Message{Kind: KindDeadNode, Addr: dead, Time: StampOf(time.Now()), From: reporter}.String()
}

// A stranger's Dead Node removes nothing, whether the reported peer lives or
// not, and makes the seed probe nobody.
func TestStrangersDeadNodeLeavesThePeer(t *testing.T) {
	s, _ := startSeed(t, DefaultSeedConfig())
	live := startFakePeer(t, false)
	gone := closedAddr(t)
	dialFrom(t, "127.0.0.1", s.Addr()).register(live.addr, gone)

	// 127.0.0.2 is loopback too, and no peer registered from it.
	stranger := dialFrom(t, "127.0.0.2", s.Addr())
	for _, target := range []netip.AddrPort{live.addr, gone} {
		assert.Equal(t, "error:reporter 127.0.0.2 is not a registered peer", stranger.ask(deadNodeLine(target, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), 0))))
	}
	// Claiming to be a registered peer does not help from another address.
	stranger = dialFrom(t, "127.0.0.2", s.Addr())
	assert.Equal(t, "error:reporter address 127.0.0.1 does not match connection source 127.0.0.2", stranger.ask(deadNodeLine(live.addr, live.addr)))

	assert.ElementsMatch(t, []netip.AddrPort{live.addr, gone}, s.Registry().Peers(), "both peers stay")
	assert.Zero(t, live.requests.Load(), "a stranger's report sends no probe")

	// A stranger on the registered peers' own host passes the address check
	// (the protocol has no credentials); the probe keeps the live peer.
	same := dialFrom(t, "127.0.0.1", s.Addr())
	assert.Equal(t, "error:"+live.addr.String()+" answered the seed's probe: not removed", same.ask(deadNodeLine(live.addr, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0))))
	assert.True(t, hasPeer(s.Registry(), live.addr))
	assert.Equal(t, int64(1), live.requests.Load())
}

// A registered neighbour's report about a peer that is alive is checked by
// the seed's probe, which the peer answers: the peer stays, at every seed.
func TestNeighbourReportOfALivePeerIsProbedAndKept(t *testing.T) {
	var logs testutil.SyncBuffer
	seedCfg := DefaultSeedConfig()
	seedCfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s1, _ := startSeed(t, seedCfg)
	s2, _ := startSeed(t, seedCfg)
	seeds := seedAddrs(s1, s2)
	var peerLogs testutil.SyncBuffer
	ca := testPeerConfig(seeds, 0)
	ca.Logger = slog.New(slog.NewTextHandler(&peerLogs, nil))
	a, _ := startPeer(t, ca)
	b, _ := startPeer(t, testPeerConfig(seeds, 1))
	require.Eventually(t, func() bool { return isNeighbour(a, b.Addr()) && isNeighbour(b, a.Addr()) }, waitFor, tick)

	// A's report, as a course peer would send it: IP-only reporter.
	c := dialFrom(t, "127.0.0.1", s1.Addr())
	assert.Equal(t, "error:"+b.Addr().String()+" answered the seed's probe: not removed", c.ask(deadNodeLine(b.Addr(), netip.AddrPortFrom(a.Addr().Addr(), 0))))

	// netlab's own reporting path, to every seed.
	a.reportAndReplace(t.Context(), b.Addr())
	for _, s := range []*Seed{s1, s2} {
		assert.True(t, hasPeer(s.Registry(), b.Addr()), "seed %v keeps the live peer", s.Addr())
	}
	assert.Contains(t, logs.String(), "the peer answered the seed's probe")
	assert.Equal(t, 3, strings.Count(logs.String(), "removed=false"), "one report by hand, one per seed from A")
	assert.Equal(t, 2, strings.Count(peerLogs.String(), "seed kept the reported node"))
	assert.Contains(t, peerLogs.String(), "kept_by="+s1.Addr().String())
}

// A peer that crashed is still removed from every seed by its neighbours'
// reports, within the documented bound: (LivenessFailures+1) liveness
// intervals, plus the report's round trip (2·DialTimeout at most).
func TestCrashedPeerIsRemovedWithinTheBound(t *testing.T) {
	s1, _ := startSeed(t, DefaultSeedConfig())
	s2, _ := startSeed(t, DefaultSeedConfig())
	s3, _ := startSeed(t, DefaultSeedConfig())
	seeds := seedAddrs(s1, s2, s3)
	var peers []*Peer
	var nodes []*node
	for i := range 5 {
		p, n := startPeer(t, testPeerConfig(seeds, i))
		peers, nodes = append(peers, p), append(nodes, n)
	}
	victim := peers[0]
	require.Eventually(t, func() bool {
		for _, p := range peers[1:] {
			if isNeighbour(p, victim.Addr()) {
				return true
			}
		}
		return false
	}, waitFor, tick, "someone is linked to the first peer")
	cfg := testPeerConfig(seeds, 0)
	bound := time.Duration(cfg.LivenessFailures+1)*cfg.LivenessInterval + 2*cfg.DialTimeout

	start := time.Now()
	nodes[0].kill(t)
	require.Eventually(t, func() bool { return !inAnyRegistry([]*Seed{s1, s2, s3}, victim.Addr()) }, waitFor, time.Millisecond,
		"every seed removes the crashed peer")
	took := time.Since(start)
	t.Logf("removed from every seed after %v; bound %v", took, bound)
	assert.LessOrEqual(t, took, bound)
}

// A peer that accepts connections but answers nothing (stopped, not crashed)
// is removed once the probe has waited ProbeTimeout.
func TestSilentPeerIsRemovedAfterTheProbeTimeout(t *testing.T) {
	cfg := DefaultSeedConfig()
	cfg.ProbeTimeout = 200 * time.Millisecond
	s, _ := startSeed(t, cfg)
	hung := startFakePeer(t, true)
	c := dialFrom(t, "127.0.0.1", s.Addr())
	reporter := closedAddr(t)
	c.register(hung.addr, reporter)
	start := time.Now()
	assert.Equal(t, lineRemoved, c.ask(deadNodeLine(hung.addr, reporter)))
	assert.GreaterOrEqual(t, time.Since(start), cfg.ProbeTimeout, "the seed waited for an answer")
	assert.Equal(t, int64(1), hung.requests.Load(), "the probe reached the silent peer")
	assert.Equal(t, []netip.AddrPort{reporter}, s.Registry().Peers())
}

// Reports that arrive together about one peer share one probe.
func TestConcurrentReportsShareOneProbe(t *testing.T) {
	cfg := DefaultSeedConfig()
	cfg.ProbeTimeout = 300 * time.Millisecond
	s, _ := startSeed(t, cfg)
	hung := startFakePeer(t, true)
	dialFrom(t, "127.0.0.1", s.Addr()).register(hung.addr)
	reporter := netip.AddrPortFrom(hung.addr.Addr(), 0)
	var clients []*client
	for range 4 {
		clients = append(clients, dialFrom(t, "127.0.0.1", s.Addr()))
	}
	for _, c := range clients {
		c.send(deadNodeLine(hung.addr, reporter))
	}
	for _, c := range clients {
		assert.Equal(t, lineRemoved, c.recv())
	}
	// Without sharing, each report that arrived while the first probe ran
	// would probe again; after the removal none probes (not registered).
	assert.Equal(t, int64(1), hung.requests.Load())
	assert.Empty(t, s.Registry().Peers())
}
