package index

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
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
	good.Name, good.Index = "alice", netip.MustParseAddrPort("127.0.0.1:9")
	cases := []struct {
		mutate func(*PeerConfig)
		field  string
	}{
		{func(c *PeerConfig) { c.Name = "" }, "PeerConfig.Name"},
		{func(c *PeerConfig) { c.Name = "elevenbytes" }, "PeerConfig.Name"},
		{func(c *PeerConfig) { c.Index = netip.AddrPort{} }, "PeerConfig.Index"},
		{func(c *PeerConfig) { c.Index = netip.MustParseAddrPort("127.0.0.1:0") }, "PeerConfig.Index"},
		{func(c *PeerConfig) { c.Listen = "bad:address:x" }, "PeerConfig.Listen"},
		{func(c *PeerConfig) { c.Timeout = -time.Second }, "PeerConfig.Timeout"},
		{func(c *PeerConfig) { c.Retries = -1 }, "PeerConfig.Retries"},
		{func(c *PeerConfig) { c.MaxDownload = -1 }, "PeerConfig.MaxDownload"},
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
	cfg.Name, cfg.Index, cfg.Timeout, cfg.Retries = "alice", dead.LocalAddr().(*net.UDPAddr).AddrPort(), 50*time.Millisecond, 1
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
	require.NoError(t, testutil.Recv(t, done, 5*time.Second, "return from Run after cancel"))
	require.NoError(t, s.Close(), "Close after Run is harmless")
	require.ErrorIs(t, s.Run(context.Background()), ErrClosed)
}

// TestLateReplyIsNotTakenForTheNext: a reply that arrives after the client
// gave up on its request must not be taken for the answer to the next
// request, and the client keeps its socket (its identity at the index).
func TestLateReplyIsNotTakenForTheNext(t *testing.T) {
	fake, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer fake.Close()
	staleSent := make(chan error, 1)
	served := make(chan error, 1)
	gaveUp := make(chan struct{})
	go func() {
		buf := make([]byte, 200)
		var src []netip.AddrPort
		for range 2 { // the request and its one retry: do not answer
			_, from, err := fake.ReadFromUDPAddrPort(buf)
			if err != nil {
				staleSent <- err
				return
			}
			src = append(src, from)
		}
		<-gaveUp
		b, _ := pdu.Classic{}.Append(nil, &pdu.PDU{Type: pdu.List, Reply: true, Names: []string{"stale"}})
		_, err := fake.WriteToUDPAddrPort(b, src[0])
		if src[0] != src[1] {
			err = fmt.Errorf("the retry came from %v, the request from %v", src[1], src[0])
		}
		staleSent <- err
		_, from, err := fake.ReadFromUDPAddrPort(buf) // the next request
		if err == nil && from != src[0] {
			err = fmt.Errorf("the next request came from %v, not %v", from, src[0])
		}
		if err == nil {
			b, _ = pdu.Classic{}.Append(nil, &pdu.PDU{Type: pdu.List, Reply: true, Names: []string{"fresh"}})
			_, err = fake.WriteToUDPAddrPort(b, from)
		}
		served <- err
	}()
	cfg := DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Timeout, cfg.Retries = "alice", fake.LocalAddr().(*net.UDPAddr).AddrPort(), 200*time.Millisecond, 1
	p, err := NewPeer(cfg)
	require.NoError(t, err)
	defer p.Close()
	_, err = p.List()
	close(gaveUp)
	require.ErrorIs(t, err, ErrTimeout)
	require.NoError(t, <-staleSent)
	// The stale reply now waits in the socket; the next exchange must not
	// take it.
	l, err := p.List()
	require.NoError(t, err)
	assert.Equal(t, []string{"fresh"}, l.Names)
	require.NoError(t, <-served)
}

func TestStalledDownloaderIsDropped(t *testing.T) {
	idx := startIndex(t, pdu.Framed{})
	cfg := DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Codec, cfg.IdleTimeout = "alice", idx.Addr(), pdu.Framed{}, 100*time.Millisecond
	alice, err := NewPeer(cfg)
	require.NoError(t, err)
	testutil.Serve(t, alice.Run)
	path, _ := writeRandom(t, t.TempDir(), "big", 32<<20) // far more than socket buffers hold
	require.NoError(t, second(alice.Register("big", path)))

	conn, err := net.Dial("tcp", alice.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	b, _ := pdu.Framed{}.Append(nil, &pdu.PDU{Type: pdu.Download, Content: "big"})
	_, err = conn.Write(b)
	require.NoError(t, err)
	require.Eventually(t, func() bool { n, _ := alice.conns.Counts(); return n == 1 }, 10*time.Second, 5*time.Millisecond)
	// Read nothing: the server must give up and close its end, so the
	// handler goroutine (checked by goleak) ends.
	require.Eventually(t, func() bool { n, _ := alice.conns.Counts(); return n == 0 }, 10*time.Second, 20*time.Millisecond)
}

// TestCloseIsIdempotent: the first Close does the work, every later call
// returns nil, and every use after it returns ErrClosed.
func TestCloseIsIdempotent(t *testing.T) {
	srv, err := New(DefaultConfig())
	require.NoError(t, err)
	cfg := DefaultPeerConfig()
	cfg.Name, cfg.Index = "alice", srv.Addr()
	p, err := NewPeer(cfg)
	require.NoError(t, err)
	require.NoError(t, p.Close())
	require.NoError(t, p.Close())
	require.ErrorIs(t, p.Run(context.Background()), ErrClosed)
	_, err = p.Register("x", "helpers_test.go")
	require.ErrorIs(t, err, ErrClosed)
	_, err = p.Deregister("x")
	require.ErrorIs(t, err, ErrClosed)
	_, err = p.List()
	require.ErrorIs(t, err, ErrClosed)
	_, err = p.Download(context.Background(), "x", t.TempDir())
	require.ErrorIs(t, err, ErrClosed)

	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close())
	require.ErrorIs(t, srv.Run(context.Background()), ErrClosed)
}
