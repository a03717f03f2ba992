package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/testutil"
)

func TestLiveConfigValidation(t *testing.T) {
	_, err := OpenLive(LiveConfig{})
	assert.ErrorContains(t, err, "Interface")
	_, err = OpenLive(LiveConfig{Interface: "lo", SnapLen: 10})
	assert.ErrorContains(t, err, "SnapLen")
	_, err = OpenLive(DefaultLiveConfig("no-such-interface-nl"))
	assert.Error(t, err)
}

// TestLiveLoopback captures UDP datagrams this test sends to itself on
// 127.0.0.1. It needs CAP_NET_RAW (an AF_PACKET socket): without it, it
// skips (fails in CI); any other error of OpenLive is a failure, so that a
// bug in OpenLive cannot read as a skip.
func TestLiveLoopback(t *testing.T) {
	if runtime.GOOS != "linux" {
		testenv.Missing(t, "live capture (Linux only)", "run the tests on Linux")
	}
	var file bytes.Buffer
	cfg := DefaultLiveConfig("lo")
	cfg.Output = &file
	cfg.PollInterval = 20 * time.Millisecond
	live, err := OpenLive(cfg)
	if errors.Is(err, os.ErrPermission) {
		testenv.Missing(t, "the privilege to open an AF_PACKET socket ("+err.Error()+")", "run the tests as root or with CAP_NET_RAW")
	}
	require.NoError(t, err, "OpenLive on lo with the privilege to do it")
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer rx.Close()
	port := uint16(rx.LocalAddr().(*net.UDPAddr).Port)

	var seen atomic.Int64
	mine := func(p Packet) bool {
		// Ethernet (14) + IPv4 (20, no options from the kernel) + UDP dst port.
		return len(p.Data) >= 38 && p.Data[23] == 17 && binary.BigEndian.Uint16(p.Data[36:38]) == port
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- live.Run(ctx, func(p Packet) {
			if mine(p) {
				seen.Add(1)
			}
		})
	}()

	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	defer tx.Close()
	big := bytes.Repeat([]byte("x"), 3000) // more than an Ethernet MTU: kept whole
	require.Eventually(t, func() bool {
		_, err := tx.Write(big)
		require.NoError(t, err)
		return seen.Load() >= 6
	}, 10*time.Second, 50*time.Millisecond, "datagrams to 127.0.0.1:%d never showed up on lo", port)
	cancel()
	require.NoError(t, testutil.Recv(t, done, 5*time.Second, "return of Run after its context ended"))

	r, err := NewReader(bytes.NewReader(file.Bytes()), 0)
	require.NoError(t, err)
	n := 0
	for {
		p, err := r.Next()
		if err != nil {
			break
		}
		if mine(p) {
			n++
			assert.Equal(t, 14+20+8+len(big), len(p.Data), "the whole frame was kept")
		}
	}
	assert.GreaterOrEqual(t, n, 6, "the pcap file has the frames too")
}
