package gossip_test

import (
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newUDP(t *testing.T, max int) *gossip.UDPTransport {
	t.Helper()
	cfg := gossip.DefaultUDPConfig()
	cfg.MaxDatagram = max
	u, err := gossip.NewUDP(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { u.Close() })
	return u
}

func TestUDPTransportExchanges(t *testing.T) {
	a, b := newUDP(t, 1400), newUDP(t, 1400)
	require.NoError(t, a.Send(b.LocalAddr(), []byte("hi")))
	select {
	case p := <-b.Packets():
		assert.Equal(t, "hi", string(p.Data))
		assert.Equal(t, a.LocalAddr(), p.From)
	case <-time.After(2 * time.Second):
		t.Fatal("no datagram")
	}
	assert.Equal(t, uint64(1), a.Stats().PacketsSent)
}

func TestUDPTransportEnforcesMaxDatagram(t *testing.T) {
	big, small := newUDP(t, 2000), newUDP(t, 100)
	assert.ErrorIs(t, small.Send(big.LocalAddr(), make([]byte, 101)), gossip.ErrTooLarge)
	require.NoError(t, big.Send(small.LocalAddr(), make([]byte, 1500)))
	require.Eventually(t, func() bool { return small.Stats().Oversize == 1 }, 2*time.Second, 5*time.Millisecond)
	assert.Equal(t, 0, len(small.Packets()))
}

func TestUDPTransportConfig(t *testing.T) {
	cfg := gossip.DefaultUDPConfig()
	cfg.MaxDatagram = 70000
	_, err := gossip.NewUDP(cfg)
	assert.ErrorContains(t, err, "MaxDatagram")
	cfg = gossip.DefaultUDPConfig()
	cfg.Broadcast = true
	u, err := gossip.NewUDP(cfg)
	require.NoError(t, err, "SO_BROADCAST can be set on a loopback socket")
	require.NoError(t, u.Close())
	require.NoError(t, u.Close(), "Close twice is fine")
	assert.ErrorIs(t, u.Send("127.0.0.1:9", []byte("x")), gossip.ErrClosed)
}
