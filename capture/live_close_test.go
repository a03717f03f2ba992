//go:build linux

package capture

import (
	"context"
	"fmt"
	"net"
	"os"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/netlab-go/netlab/internal/testutil"
)

// openLiveOrSkip opens a live capture on lo, skipping the test where that
// needs privileges the test does not have.
func openLiveOrSkip(t *testing.T) *Live {
	t.Helper()
	cfg := DefaultLiveConfig("lo")
	cfg.PollInterval = 20 * time.Millisecond
	l, err := OpenLive(cfg)
	if err != nil {
		t.Skipf("live capture is not possible here: %v", err)
	}
	return l
}

// socketOf names the capture's socket as /proc/self/fd shows it
// ("socket:[inode]"), so the test can tell whether that very socket is
// still open even if its descriptor number is reused.
func socketOf(t *testing.T, l *Live) (path, target string) {
	t.Helper()
	fd := reflect.ValueOf(l.handle).Elem().FieldByName("fd")
	require.True(t, fd.IsValid(), "pcapgo.EthernetHandle has no fd field")
	path = fmt.Sprintf("/proc/self/fd/%d", fd.Int())
	target, err := os.Readlink(path)
	require.NoError(t, err)
	return path, target
}

func requireSocketClosed(t *testing.T, path, target string) {
	t.Helper()
	now, err := os.Readlink(path)
	require.True(t, err != nil || now != target, "%s (%s) is still open", path, target)
}

// TestLiveCloseWithoutRun closes a capture that never ran: the socket is
// released, Close is idempotent and Run refuses to start.
func TestLiveCloseWithoutRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	l := openLiveOrSkip(t)
	path, target := socketOf(t, l)
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "Close is idempotent")
	requireSocketClosed(t, path, target)
	err := l.Run(context.Background(), func(Packet) { t.Error("Run after Close captured a frame") })
	require.ErrorIs(t, err, net.ErrClosed)
}

// TestLiveCloseDuringRun stops a running capture with Close: Run returns
// nil and releases the socket.
func TestLiveCloseDuringRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	l := openLiveOrSkip(t)
	path, target := socketOf(t, l)
	var frames atomic.Int64
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background(), func(Packet) { frames.Add(1) }) }()

	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer rx.Close()
	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	defer tx.Close()
	require.Eventually(t, func() bool { // Run is capturing
		_, err := tx.Write([]byte("ping"))
		require.NoError(t, err)
		return frames.Load() > 0
	}, 10*time.Second, 20*time.Millisecond)
	require.ErrorContains(t, l.Run(context.Background(), func(Packet) {}), "Run called twice")

	require.NoError(t, l.Close())
	require.NoError(t, testutil.Recv(t, done, 5*time.Second, "return of Run after Close"))
	requireSocketClosed(t, path, target)
	require.NoError(t, l.Close(), "Close after Run is harmless")
	require.ErrorIs(t, l.Run(context.Background(), func(Packet) {}), net.ErrClosed)
}
