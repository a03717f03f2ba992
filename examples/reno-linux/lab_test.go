package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/netlab-go/netlab/internal/testenv"
)

func TestPayload(t *testing.T) {
	// IPv4 (IHL 5) + TCP (data offset 8, timestamps) + 100 bytes.
	p := make([]byte, 20+32+100)
	p[0], p[9] = 0x45, 6
	p[2], p[3] = 0, byte(len(p))
	p[20+12] = 8 << 4
	assert.Equal(t, 100, payload(p))
	assert.Equal(t, 0, payload(p[:20+32]), "a truncated packet")
	p[9] = 17
	assert.Equal(t, 0, payload(p), "UDP")
	assert.Equal(t, 0, payload([]byte{0x60, 0, 0}), "IPv6 or garbage")
}

func TestParseFlags(t *testing.T) {
	pts, err := parsePoints("0.01:40ms, 0:1s")
	require.NoError(t, err)
	assert.Equal(t, []Point{{0.01, 40 * time.Millisecond}, {0, time.Second}}, pts)
	for _, bad := range []string{"0.01", "x:40ms", "0.01:soon", "0.7:40ms", "0.01:10s"} {
		_, err := parsePoints(bad)
		assert.ErrorContains(t, err, "-points", bad)
	}
	_, err = parseCCs("reno,bbr")
	assert.ErrorContains(t, err, "-cc")
}

// TestLinuxAgainstTheSimulator runs Linux's reno and cubic through the lab
// at two (p, RTT) points, 9 s each (3 s of warm-up), and compares their
// goodput with the simulator's at the same setting: each within 25%, the
// goal of issue 18. The loss is periodic, one data packet in 1/p, so that a
// short transfer sees exactly its share of losses (a Bernoulli count over
// 6 s varies by a fifth). Needs root; examples/reno-linux runs longer
// transfers, with random loss by default.
func TestLinuxAgainstTheSimulator(t *testing.T) {
	testenv.Root(t, "network namespaces and TUN devices")
	if err := Available([]string{"reno", "cubic"}); err != nil {
		testenv.Missing(t, "the lab", err.Error())
	}
	defer goleak.VerifyNone(t)
	l := &Lab{Bandwidth: 50e6, Buffer: 200, Seed: 1, Periodic: true}
	require.NoError(t, l.Open())
	defer l.Close()
	// At p = 0.02 and 40 ms the window is about seven segments, where
	// Linux's loss recovery (tail loss probes, RACK, a 200 ms minimum RTO)
	// departs from RFC 5681's: reno measured 0.75 there once. The points
	// here keep windows large enough for the two to describe one algorithm.
	points := []Point{{Loss: 0.01, RTT: 80 * time.Millisecond}, {Loss: 0.01, RTT: 40 * time.Millisecond}}
	rows, err := Compare(context.Background(), l, []string{"reno", "cubic"}, points, 9*time.Second, 3*time.Second, func(r Row) {
		t.Logf("%-5s p=%-5g RTT=%-5v Linux %.2f Mb/s, simulated %.2f Mb/s, ratio %.2f (%d data packets, %d lost, %d retransmitted)",
			r.CC, r.Point.Loss, r.Point.RTT, r.Linux.Goodput/1e6, r.Simulated/1e6, r.Ratio, r.Linux.Data, r.Linux.Lost, r.Linux.Retrans)
	})
	require.NoError(t, err)
	require.Len(t, rows, 4)
	for _, r := range rows {
		assert.Greater(t, r.Linux.Lost, int64(10), "the loss works")
		assert.Zero(t, r.Linux.Overflow, "the loss, not the buffer, limits the flow")
		assert.InDelta(t, 1, r.Ratio, 0.25, "%s at %+v", r.CC, r.Point)
		assert.InDelta(t, r.Point.Loss*float64(r.Linux.Data), float64(r.Linux.Lost), 1, "periodic loss")
	}
	l.Close()
}
