package p2p

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Intervals for tests: short enough that three liveness failures take well
// under a second.
const (
	testGossip   = 40 * time.Millisecond
	testLiveness = 150 * time.Millisecond
	testRefresh  = 400 * time.Millisecond
	waitFor      = 10 * time.Second
	tick         = 10 * time.Millisecond
)

// node is a running seed or peer with the means to stop it.
type node struct {
	stop context.CancelFunc
	done chan struct{} // closed when Run has returned
	err  error
}

func (n *node) kill(t *testing.T) {
	t.Helper()
	n.stop()
	select {
	case <-n.done:
		require.NoError(t, n.err)
	case <-time.After(waitFor):
		t.Fatal("Run did not return after its context ended")
	}
}

func start(t *testing.T, run func(context.Context) error) *node {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{stop: cancel, done: make(chan struct{})}
	go func() {
		n.err = run(ctx)
		close(n.done)
	}()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { cancel(); <-n.done }) })
	return n
}

func startSeed(t *testing.T, cfg SeedConfig) (*Seed, *node) {
	t.Helper()
	s, err := NewSeed(cfg)
	require.NoError(t, err)
	return s, start(t, s.Run)
}

func testPeerConfig(seeds []netip.AddrPort, id int) Config {
	cfg := DefaultConfig()
	cfg.Seeds = seeds
	cfg.ID = id
	cfg.GossipInterval = testGossip
	cfg.GossipCount = 0
	cfg.LivenessInterval = testLiveness
	cfg.RefreshInterval = testRefresh
	cfg.DialTimeout = time.Second
	cfg.ReadTimeout = 2 * time.Second
	cfg.Rand = rand.New(rand.NewPCG(uint64(id), 7))
	return cfg
}

func startPeer(t *testing.T, cfg Config) (*Peer, *node) {
	t.Helper()
	p, err := NewPeer(cfg)
	require.NoError(t, err)
	n := start(t, p.Run)
	select {
	case <-p.Joined():
	case <-time.After(waitFor):
		t.Fatalf("%v did not join", p)
	}
	return p, n
}

func seedAddrs(seeds ...*Seed) []netip.AddrPort {
	var out []netip.AddrPort
	for _, s := range seeds {
		out = append(out, s.Addr())
	}
	return out
}

func hasPeer(r Registry, a netip.AddrPort) bool {
	for _, p := range r.Peers() {
		if p == a {
			return true
		}
	}
	return false
}

func isNeighbour(p *Peer, a netip.AddrPort) bool {
	for _, n := range p.Neighbours() {
		if n == a {
			return true
		}
	}
	return false
}

// eventually polls cond for up to a second, for use inside a larger
// require.Eventually that retries a whole step.
func eventually(cond func() bool) bool {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(tick)
	}
	return false
}
