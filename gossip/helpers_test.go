package gossip_test

import (
	"testing"

	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/stretchr/testify/require"
)

// newMem returns an in-memory network that is closed at cleanup.
func newMem(t *testing.T, cfg gossiptest.MemConfig) *gossiptest.MemNetwork {
	t.Helper()
	n, err := gossiptest.NewMemNetwork(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	return n
}

// listen opens an endpoint on n; the network's Close closes it.
func listen(t *testing.T, n *gossiptest.MemNetwork, addr string) *gossiptest.MemTransport {
	t.Helper()
	tr, err := n.Listen(addr)
	require.NoError(t, err)
	return tr
}
