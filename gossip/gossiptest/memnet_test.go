package gossiptest

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newMem(t *testing.T, cfg MemConfig) *MemNetwork {
	t.Helper()
	n, err := NewMemNetwork(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	return n
}

func listen(t *testing.T, n *MemNetwork, addr string) *MemTransport {
	t.Helper()
	tr, err := n.Listen(addr)
	require.NoError(t, err)
	return tr
}

func TestMemNetworkDeliversAndCounts(t *testing.T) {
	n := newMem(t, DefaultMemConfig())
	a, b := listen(t, n, ""), listen(t, n, "")
	assert.NotEqual(t, a.LocalAddr(), b.LocalAddr())
	require.NoError(t, a.Send(b.LocalAddr(), []byte("hello")))
	p := <-b.Packets()
	assert.Equal(t, "hello", string(p.Data))
	assert.Equal(t, a.LocalAddr(), p.From)
	assert.Equal(t, MemStats{PacketsSent: 1, BytesSent: 5}, a.Stats())
	assert.Equal(t, MemStats{PacketsReceived: 1, BytesReceived: 5}, b.Stats())
	assert.ErrorIs(t, a.Send("nowhere:1", []byte("x")), ErrUnknownAddr)
}

func TestMemNetworkRejectsBadConfig(t *testing.T) {
	cfg := DefaultMemConfig()
	cfg.Loss = 1
	_, err := NewMemNetwork(cfg)
	assert.ErrorContains(t, err, "MemConfig.Loss")
	cfg = DefaultMemConfig()
	cfg.Buffer = 0
	_, err = NewMemNetwork(cfg)
	assert.ErrorContains(t, err, "MemConfig.Buffer")
}

func TestMemNetworkTooLarge(t *testing.T) {
	cfg := DefaultMemConfig()
	cfg.MaxDatagram = 10
	n := newMem(t, cfg)
	a, b := listen(t, n, "a"), listen(t, n, "b")
	assert.ErrorIs(t, a.Send(b.LocalAddr(), make([]byte, 11)), gossip.ErrTooLarge)
}

func TestMemNetworkFullReceiverDropsInsteadOfBlocking(t *testing.T) {
	cfg := DefaultMemConfig()
	cfg.Buffer = 2
	n := newMem(t, cfg)
	a, b := listen(t, n, "a"), listen(t, n, "b")
	for range 5 {
		require.NoError(t, a.Send("b", []byte("x")))
	}
	assert.Equal(t, uint64(2), b.Stats().PacketsReceived)
	assert.Equal(t, uint64(3), b.Stats().Overflow)
}

func TestMemNetworkLossIsDeterministicUnderSeed(t *testing.T) {
	lost := func(seed uint64) []int {
		cfg := DefaultMemConfig()
		cfg.Loss = 0.3
		cfg.Seed = seed
		cfg.Buffer = 2000
		n := newMem(t, cfg)
		a, b := listen(t, n, "a"), listen(t, n, "b")
		var got []int
		for i := range 1000 {
			require.NoError(t, a.Send("b", []byte(fmt.Sprint(i))))
		}
		for len(b.Packets()) > 0 {
			p := <-b.Packets()
			var i int
			fmt.Sscan(string(p.Data), &i)
			got = append(got, i)
		}
		return got
	}
	first := lost(7)
	assert.Equal(t, first, lost(7), "same seed, same drops")
	assert.NotEqual(t, first, lost(8))
	assert.InDelta(t, 700, len(first), 60, "about 30%% lost")
}

func TestMemNetworkPartitionAndHeal(t *testing.T) {
	n := newMem(t, DefaultMemConfig())
	a, b, c := listen(t, n, "a"), listen(t, n, "b"), listen(t, n, "c")
	n.Partition([]string{"a", "b"}, []string{"c"})
	assert.True(t, n.Reachable("a", "b"))
	assert.False(t, n.Reachable("a", "c"))
	require.NoError(t, a.Send("c", []byte("lost")))
	require.NoError(t, a.Send("b", []byte("kept")))
	assert.Equal(t, "kept", string((<-b.Packets()).Data))
	assert.Equal(t, 0, len(c.Packets()))
	assert.Equal(t, uint64(1), a.Stats().Lost)
	_, err := a.Dial("c")
	assert.ErrorIs(t, err, ErrUnreachable)

	n.Heal()
	require.NoError(t, a.Send("c", []byte("now")))
	assert.Equal(t, "now", string((<-c.Packets()).Data))
}

func TestMemNetworkLatency(t *testing.T) {
	cfg := DefaultMemConfig()
	cfg.Latency = 20 * time.Millisecond
	cfg.Jitter = 10 * time.Millisecond
	n := newMem(t, cfg)
	a, b := listen(t, n, "a"), listen(t, n, "b")
	start := time.Now()
	require.NoError(t, a.Send("b", []byte("late")))
	select {
	case p := <-b.Packets():
		assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
		assert.Equal(t, "late", string(p.Data))
	case <-time.After(2 * time.Second):
		t.Fatal("delayed datagram never arrived")
	}
}

func TestMemTransportStreams(t *testing.T) {
	n := newMem(t, DefaultMemConfig())
	a, b := listen(t, n, ""), listen(t, n, "")
	c, err := a.Dial(b.LocalAddr())
	require.NoError(t, err)
	s := <-b.Streams()
	assert.Equal(t, a.LocalAddr(), s.RemoteAddr().String())
	go func() { c.Write([]byte("ping")); c.Close() }()
	got, err := io.ReadAll(s)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(got))
	s.Close()
}

func TestMemTransportCloseClosesChannels(t *testing.T) {
	n := newMem(t, DefaultMemConfig())
	a, b := listen(t, n, "a"), listen(t, n, "b")
	_, err := a.Dial("b") // left waiting: Close must close it
	require.NoError(t, err)
	require.NoError(t, b.Close())
	_, ok := <-b.Packets()
	assert.False(t, ok)
	assert.ErrorIs(t, b.Send("a", nil), gossip.ErrClosed)
	require.NoError(t, a.Send("b", []byte("to nobody")), "a closed peer is silence, not an error")
}
