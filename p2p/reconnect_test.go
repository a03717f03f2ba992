package p2p

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/fakeclock"
	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	a := listenAddr(ln)
	require.NoError(t, ln.Close())
	return a
}

// refuser answers every connect with "refused:at capacity".
func refuser(t *testing.T) netip.AddrPort {
	return testutil.ServeConns(t, func(c net.Conn) {
		_, _ = bufio.NewReader(c).ReadString('\n')
		_ = writeLine(c, "refused:at capacity", time.Second)
	})
}

func TestReconnectRules(t *testing.T) {
	s1, _ := startSeed(t, DefaultSeedConfig())
	s2, _ := startSeed(t, DefaultSeedConfig())
	// q registers with another seed than p, so that p learns of q only from
	// the lists this test hands to reconnect.
	q, _ := startPeer(t, testPeerConfig(seedAddrs(s2), 1))

	clock := fakeclock.New(time.Unix(1_700_000_000, 0))
	var dials sync.Map // address → *atomic.Int64
	cfg := testPeerConfig(seedAddrs(s1), 0)
	cfg.Now = clock.Now
	cfg.LivenessInterval, cfg.RefreshInterval = time.Hour, time.Hour // the test drives p
	cfg.Dial = func(ctx context.Context, addr string) (net.Conn, error) {
		n, _ := dials.LoadOrStore(addr, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		return defaultDial(ctx, addr)
	}
	p, _ := startPeer(t, cfg)
	dialsTo := func(a netip.AddrPort) int64 {
		n, ok := dials.Load(a.String())
		if !ok {
			return 0
		}
		return n.(*atomic.Int64).Load()
	}
	lose := func(a netip.AddrPort) {
		p.mu.Lock()
		p.lose(a, clock.Now())
		p.mu.Unlock()
	}
	ctx := context.Background()
	require.Empty(t, p.Neighbours())

	// A lost neighbour that the seeds do not list is not dialled.
	lose(q.Addr())
	assert.Zero(t, p.reconnect(ctx, nil))
	assert.Zero(t, dialsTo(q.Addr()))
	assert.Equal(t, []netip.AddrPort{q.Addr()}, p.Lost())

	// Listed again, it is alive: the link comes back and the entry goes.
	assert.Equal(t, 1, p.reconnect(ctx, []netip.AddrPort{q.Addr()}))
	assert.Equal(t, []netip.AddrPort{q.Addr()}, p.Neighbours())
	assert.Empty(t, p.Lost())
	assert.Equal(t, 1, p.Stats().Reconnected)
	require.Eventually(t, func() bool { return isNeighbour(q, p.Addr()) }, waitFor, tick, "q has the link too")

	// Listed but unreachable (still partitioned): dialled, and kept.
	gone := closedAddr(t)
	lose(gone)
	assert.Zero(t, p.reconnect(ctx, []netip.AddrPort{gone}))
	assert.EqualValues(t, 1, dialsTo(gone))
	assert.Equal(t, []netip.AddrPort{gone}, p.Lost())

	// After ReconnectTimeout it is forgotten without another dial.
	clock.Advance(cfg.ReconnectTimeout + time.Second)
	assert.Zero(t, p.reconnect(ctx, []netip.AddrPort{gone}))
	assert.EqualValues(t, 1, dialsTo(gone))
	assert.Empty(t, p.Lost())

	// A neighbour that answers refused is reachable: the entry goes.
	full := refuser(t)
	lose(full)
	assert.Zero(t, p.reconnect(ctx, []netip.AddrPort{full}))
	assert.EqualValues(t, 1, dialsTo(full))
	assert.Empty(t, p.Lost())

	// The list is bounded; the oldest entry makes room.
	first := netip.MustParseAddrPort("127.0.0.1:1")
	lose(first)
	for i := range lostMax {
		clock.Advance(time.Second)
		lose(netip.AddrPortFrom(first.Addr(), uint16(2+i)))
	}
	lost := p.Lost()
	assert.Len(t, lost, lostMax)
	assert.NotContains(t, lost, first)
}
