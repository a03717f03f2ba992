package gossip_test

import (
	"sync/atomic"
	"testing"

	"github.com/hashicorp/memberlist"
	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingNetwork is a gossip.Network of one's own: it hands out
// MemNetwork transports, optionally wrapped so that they report drops, and
// remembers the addresses it was asked for.
type countingNetwork struct {
	mem       *gossiptest.MemNetwork
	withDrops bool
	drops     atomic.Uint64
	asked     []string
}

type droppingTransport struct {
	memberlist.Transport
	n *countingNetwork
}

func (t droppingTransport) Dropped() uint64 { return t.n.drops.Load() }

func (n *countingNetwork) NewTransport(addr string) (memberlist.Transport, error) {
	n.asked = append(n.asked, addr)
	t, err := n.mem.NewTransport(addr)
	if err != nil || !n.withDrops {
		return t, err
	}
	return droppingTransport{t, n}, nil
}

// Any gossip.Network carries a member, not only MemNetwork: the member asks
// it for BindAddr:BindPort (or "" for a fresh address), takes its address
// from the transport, and reports the transport's own drop count when the
// transport has one.
func TestClusterOnAnyNetwork(t *testing.T) {
	mem := newMem(t, gossiptest.DefaultMemConfig())
	counting := &countingNetwork{mem: mem, withDrops: true}
	cfg := gossip.DefaultLocalConfig()
	cfg.Network, cfg.Name = counting, "a"
	cfg.BindAddr, cfg.BindPort = "10.1.2.3", 4000
	a, _ := newMember(t, cfg)
	assert.Equal(t, "10.1.2.3:4000", a.Addr())
	assert.Equal(t, []string{"10.1.2.3:4000"}, counting.asked)
	assert.Zero(t, a.Stats().TransportDrops)
	counting.drops.Store(7)
	assert.Equal(t, uint64(7), a.Stats().TransportDrops)

	plain := &countingNetwork{mem: mem}
	cfgB := gossip.DefaultLocalConfig()
	cfgB.Network, cfgB.Name = plain, "b"
	b, _ := newMember(t, cfgB)
	assert.Equal(t, []string{""}, plain.asked, "port 0: the network picks the address")
	_, err := b.Join([]string{a.Addr()})
	require.NoError(t, err)
	assert.Equal(t, 2, b.NumMembers())
	assert.Zero(t, b.Stats().TransportDrops, "a transport without Dropped reports none")

	broken := &countingNetwork{mem: mem}
	cfgC := gossip.DefaultLocalConfig()
	cfgC.Network, cfgC.Name = broken, "c"
	cfgC.BindAddr, cfgC.BindPort = "not-an-ip", 1
	_, err = gossip.NewCluster(cfgC)
	assert.Error(t, err, "the network's error comes back from NewCluster")
}
