package gossiptest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemberlistTransportDropsInsteadOfBlocking(t *testing.T) {
	cfg := DefaultMemConfig()
	cfg.Buffer = 4
	net := newMem(t, cfg)
	a, err := net.newMemberlistTransport("")
	require.NoError(t, err)
	defer a.Shutdown()
	b, err := net.newMemberlistTransport("")
	require.NoError(t, err)
	defer b.Shutdown()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 { // nobody reads b.PacketCh()
			a.WriteTo([]byte("x"), b.Addr())
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("WriteTo blocked on a full receiver")
	}
	require.Eventually(t, func() bool {
		return b.Dropped()+net.Stats(b.Addr()).Overflow == 100-uint64(len(b.PacketCh()))
	}, 2*time.Second, 5*time.Millisecond)
	ip, port, err := a.FinalAdvertiseAddr("", 0)
	require.NoError(t, err)
	assert.Equal(t, a.Addr(), fmt.Sprintf("%s:%d", ip, port))
}
