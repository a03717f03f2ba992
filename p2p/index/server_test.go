package index

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/netlab-go/netlab/pdu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGarbageLeavesServerServing: datagrams that do not decode get an E that
// says what was wrong, and the server keeps answering.
func TestGarbageLeavesServerServing(t *testing.T) {
	idx := startIndex(t, pdu.Classic{})
	conn, err := net.Dial("udp", idx.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	ask := func(b []byte) string {
		t.Helper()
		_, err := conn.Write(b)
		require.NoError(t, err)
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
		buf := make([]byte, 200)
		n, err := conn.Read(buf)
		require.NoError(t, err)
		return string(buf[:n])
	}
	assert.Equal(t, "Eunknown PDU type 'X'", ask([]byte("Xhello")))
	assert.Equal(t, "ER PDU: truncated: 3 data bytes, want 26", ask([]byte("Rabc")))
	assert.Equal(t, "Eempty PDU", ask([]byte{}))
	assert.True(t, strings.HasPrefix(ask(make([]byte, 1500)), "Eunknown PDU type '\\x00'"))
	assert.Contains(t, ask(append([]byte{'S'}, make([]byte, 500)...)), "at most 100")
	assert.Equal(t, "E"+MsgNotFound, ask([]byte("Ssong\x00\x00\x00\x00\x00\x00")), "still serving")
	st := idx.Stats()
	assert.Equal(t, uint64(6), st.Requests)
	assert.Equal(t, uint64(5), st.Refused)
}

func TestConfigValidation(t *testing.T) {
	_, err := New(Config{Workers: -1})
	assert.ErrorContains(t, err, "Config.Workers")
	_, err = New(Config{Addr: "not an address"})
	assert.ErrorContains(t, err, "Config.Addr")

	good := DefaultPeerConfig()
	good.Name, good.Index = "alice", "127.0.0.1:9"
	cases := []struct {
		mutate func(*PeerConfig)
		field  string
	}{
		{func(c *PeerConfig) { c.Name = "" }, "PeerConfig.Name"},
		{func(c *PeerConfig) { c.Name = "elevenbytes" }, "PeerConfig.Name"},
		{func(c *PeerConfig) { c.Index = "" }, "PeerConfig.Index"},
		{func(c *PeerConfig) { c.Index = "nowhere" }, "PeerConfig.Index"},
		{func(c *PeerConfig) { c.Listen = "bad:address:x" }, "PeerConfig.Listen"},
		{func(c *PeerConfig) { c.Timeout = -time.Second }, "PeerConfig.Timeout"},
		{func(c *PeerConfig) { c.Retries = -1 }, "PeerConfig.Retries"},
	}
	for _, tc := range cases {
		cfg := good
		tc.mutate(&cfg)
		_, err := NewPeer(cfg)
		assert.ErrorContains(t, err, tc.field)
	}
	// Framed allows long names.
	cfg := good
	cfg.Codec, cfg.Name = pdu.Framed{}, "a-rather-long-peer-name"
	p, err := NewPeer(cfg)
	require.NoError(t, err)
	require.NoError(t, p.Close())
}

func TestIndexTimeout(t *testing.T) {
	// A UDP socket that never answers stands in for a dead index server.
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer dead.Close()
	cfg := DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Timeout, cfg.Retries = "alice", dead.LocalAddr().String(), 50*time.Millisecond, 1
	p, err := NewPeer(cfg)
	require.NoError(t, err)
	_, err = p.List()
	require.ErrorIs(t, err, ErrTimeout)
	require.NoError(t, p.Close())
	_, err = p.Download(context.Background(), "x", t.TempDir())
	require.ErrorIs(t, err, ErrClosed)
}

func TestServerRunStopsOnCancel(t *testing.T) {
	s, err := New(DefaultConfig())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	require.NoError(t, s.Close(), "Close after Run is harmless")
}

// TestLateReplyIsNotTakenForTheNext: a reply that arrives after the client
// gave up on its request must not be taken for the answer to the retry.
func TestLateReplyIsNotTakenForTheNext(t *testing.T) {
	fake, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer fake.Close()
	served := make(chan error, 1)
	go func() {
		buf := make([]byte, 200)
		_, first, err := fake.ReadFromUDPAddrPort(buf) // the request; do not answer in time
		if err != nil {
			served <- err
			return
		}
		_, second, err := fake.ReadFromUDPAddrPort(buf) // the retry
		if err != nil {
			served <- err
			return
		}
		for _, r := range []struct {
			to   netip.AddrPort
			name string
		}{{first, "stale"}, {second, "fresh"}} {
			b, _ := pdu.Classic{}.Append(nil, &pdu.PDU{Type: pdu.List, Reply: true, Names: []string{r.name}})
			if _, err := fake.WriteToUDPAddrPort(b, r.to); err != nil {
				served <- err
				return
			}
		}
		served <- nil
	}()
	cfg := DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Timeout, cfg.Retries = "alice", fake.LocalAddr().String(), 200*time.Millisecond, 1
	p, err := NewPeer(cfg)
	require.NoError(t, err)
	defer p.Close()
	names, err := p.List()
	require.NoError(t, err)
	assert.Equal(t, []string{"fresh"}, names)
	require.NoError(t, <-served)
}

func TestStalledDownloaderIsDropped(t *testing.T) {
	idx := startIndex(t, pdu.Framed{})
	cfg := DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Codec, cfg.IdleTimeout = "alice", idx.Addr().String(), pdu.Framed{}, 100*time.Millisecond
	alice, err := NewPeer(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- alice.Run(ctx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	path, _ := writeRandom(t, t.TempDir(), "big", 32<<20) // far more than socket buffers hold
	require.NoError(t, alice.Register("big", path))

	conn, err := net.Dial("tcp", alice.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	b, _ := pdu.Framed{}.Append(nil, &pdu.PDU{Type: pdu.Download, Content: "big"})
	_, err = conn.Write(b)
	require.NoError(t, err)
	serving := func() int {
		alice.mu.Lock()
		defer alice.mu.Unlock()
		return len(alice.conns)
	}
	require.Eventually(t, func() bool { return serving() == 1 }, 10*time.Second, 5*time.Millisecond)
	// Read nothing: the server must give up and close its end, so the
	// handler goroutine (checked by goleak) ends.
	require.Eventually(t, func() bool {
		alice.mu.Lock()
		defer alice.mu.Unlock()
		return len(alice.conns) == 0
	}, 10*time.Second, 20*time.Millisecond)
}
