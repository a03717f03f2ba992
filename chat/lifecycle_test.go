package chat

import (
	"context"
	"fmt"
	"net/netip"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/lifecycletest"
	"github.com/netlab-go/netlab/internal/testutil"
)

// TestLifecycle walks the server, the client and the UDP peer through
// construct, run, use, stop and use after close (see
// internal/lifecycletest), from zero configs plus what a test needs.
func TestLifecycle(t *testing.T) {
	// server: the use logs a client in, talks, and leaves it connected, so
	// the stop happens with a user online (and must not wait out
	// ShutdownGrace, since the client reads its goodbye at once).
	server := func(t *testing.T) lifecycletest.Component {
		s, err := NewServer(ServerConfig{})
		require.NoError(t, err)
		use := func(ctx context.Context) error {
			c, err := Dial(ctx, s.Addr().String(), fmt.Sprintf("u%d", s.Stats().Accepted))
			if err != nil {
				return err
			}
			t.Cleanup(func() { _ = c.Close() })
			go func() { // drain, as a client must
				for range c.Events() {
				}
			}()
			return c.All("hello")
		}
		return lifecycletest.Component{
			Run: s.Run, Close: s.Close, ErrClosed: ErrClosed, Use: use, UseErr: syscall.ECONNREFUSED,
		}
	}
	client := func(t *testing.T) lifecycletest.Component {
		s, err := NewServer(ServerConfig{})
		require.NoError(t, err)
		testutil.Serve(t, s.Run)
		c, err := Dial(context.Background(), s.Addr().String(), "alice")
		require.NoError(t, err)
		use := func(ctx context.Context) error {
			if err := c.All("ping"); err != nil {
				return err
			}
			for ev := range c.Events() {
				if ev.Kind == EventPublic && ev.Text == "ping" {
					return nil
				}
			}
			return fmt.Errorf("chat: the events ended before the echo")
		}
		// After Close, Events is closed: the use fails in All, with ErrClosed.
		return lifecycletest.Component{Close: c.Close, ErrClosed: ErrClosed, Use: use}
	}
	peer := func(t *testing.T) lifecycletest.Component {
		p, err := NewUDPPeer(PeerConfig{Addr: "127.0.0.1:0"})
		require.NoError(t, err)
		use := func(ctx context.Context) error {
			if err := p.Send(p.Addr(), "to myself"); err != nil {
				return err
			}
			select {
			case d := <-p.Incoming():
				if d.Text != "to myself" {
					return fmt.Errorf("received %q", d.Text)
				}
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return lifecycletest.Component{Run: p.Run, Close: p.Close, ErrClosed: ErrClosed, Use: use}
	}
	lifecycletest.Check(t, []lifecycletest.Case{
		{Name: "Server", New: server},
		{Name: "Client", Stop: lifecycletest.Close, New: client},
		{Name: "UDPPeer", New: peer},
	})
}

// TestZeroConfigMeansDefault: a zero field takes the value of the Default…
// function, and a field that is set is kept.
func TestZeroConfigMeansDefault(t *testing.T) {
	s, err := NewServer(ServerConfig{})
	require.NoError(t, err)
	assert.Equal(t, DefaultServerConfig(), s.cfg)
	require.NoError(t, s.Close())

	s, err = NewServer(ServerConfig{MaxClients: 3, ShutdownGrace: 1})
	require.NoError(t, err)
	want := DefaultServerConfig()
	want.MaxClients, want.ShutdownGrace = 3, 1
	assert.Equal(t, want, s.cfg)
	require.NoError(t, s.Close())

	p, err := NewUDPPeer(PeerConfig{Addr: "127.0.0.1:0"})
	require.NoError(t, err)
	wantPeer := DefaultPeerConfig()
	wantPeer.Addr = "127.0.0.1:0"
	assert.Equal(t, wantPeer, p.cfg)
	require.NoError(t, p.Close())
	require.ErrorIs(t, p.Send(netip.MustParseAddrPort("127.0.0.1:9"), "x"), ErrClosed)
}

// TestUDPPeerSendAfterRunEnded: when Run's context ends, Run closes the
// socket, and a send after it matches ErrClosed even without Close.
func TestUDPPeerSendAfterRunEnded(t *testing.T) {
	p, err := NewUDPPeer(PeerConfig{Addr: "127.0.0.1:0"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, p.Run(ctx))
	require.ErrorIs(t, p.Send(p.Addr(), "late"), ErrClosed)
	_, err = p.Announce([]netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:9")})
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, p.Close())
}

// TestUDPPeerCloseBeforeRunEndsIncoming: a reader of Incoming is not left
// waiting when the peer is closed before its Run started (udpchat -send
// closes its peer as soon as it has sent).
func TestUDPPeerCloseBeforeRunEndsIncoming(t *testing.T) {
	p, err := NewUDPPeer(PeerConfig{Addr: "127.0.0.1:0"})
	require.NoError(t, err)
	require.NoError(t, p.Close())
	_, open := <-p.Incoming()
	require.False(t, open, "Incoming is closed")
	require.ErrorIs(t, p.Run(context.Background()), ErrClosed)
	require.NoError(t, p.Close())
}
