//go:build linux

package capture

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/lifecycletest"
	"github.com/netlab-go/netlab/internal/testenv"
)

// TestLifecycle walks a live capture on lo through construct, run, use,
// stop and use after close (see internal/lifecycletest). The use sends a
// datagram on lo and waits until Run has seen a frame; once the capture
// has stopped, the use is a new Run, which must be refused with ErrClosed.
func TestLifecycle(t *testing.T) {
	testenv.Root(t, "a live capture opens an AF_PACKET socket")
	live := func(t *testing.T) lifecycletest.Component {
		l, err := OpenLive(LiveConfig{Interface: "lo", PollInterval: 20 * time.Millisecond})
		require.NoError(t, err)
		var frames atomic.Int64
		var running atomic.Bool
		run := func(ctx context.Context) error {
			running.Store(true)
			defer running.Store(false)
			return l.Run(ctx, func(Packet) { frames.Add(1) })
		}
		rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		t.Cleanup(func() { rx.Close() })
		tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
		require.NoError(t, err)
		t.Cleanup(func() { tx.Close() })
		stopped := false
		use := func(ctx context.Context) error {
			if stopped {
				return l.Run(ctx, func(Packet) { t.Error("a stopped capture captured a frame") })
			}
			stopped = true // the next use comes after the stop
			before := frames.Load()
			for frames.Load() == before {
				if _, err := tx.Write([]byte("ping")); err != nil {
					return err
				}
				select {
				case <-ctx.Done():
					return errors.New("capture: no frame seen on lo")
				case <-time.After(20 * time.Millisecond):
				}
			}
			return nil
		}
		return lifecycletest.Component{Run: run, Ready: running.Load, Close: l.Close, ErrClosed: ErrClosed, Use: use}
	}
	lifecycletest.Check(t, []lifecycletest.Case{
		{Name: "Live", New: live},
	})
}

// TestZeroConfigMeansDefault: a zero SnapLen or PollInterval takes the
// value of DefaultLiveConfig, and a field that is set is kept.
func TestZeroConfigMeansDefault(t *testing.T) {
	testenv.Root(t, "a live capture opens an AF_PACKET socket")
	l, err := OpenLive(LiveConfig{Interface: "lo"})
	require.NoError(t, err)
	assert.Equal(t, DefaultLiveConfig("lo"), l.cfg)
	require.NoError(t, l.Close())

	l, err = OpenLive(LiveConfig{Interface: "lo", SnapLen: 4096})
	require.NoError(t, err)
	want := DefaultLiveConfig("lo")
	want.SnapLen = 4096
	assert.Equal(t, want, l.cfg)
	require.NoError(t, l.Close())
	assert.ErrorIs(t, l.Run(context.Background(), func(Packet) {}), ErrClosed)
}
