package reno

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCubicWholeSegmentReductions: with whole-segment windows, CUBIC's
// ssthresh after a loss or a timeout is beta*FlightSize rounded down to
// whole segments, never below two; a repeated timeout leaves it alone.
func TestCubicWholeSegmentReductions(t *testing.T) {
	// Third duplicate ACK in congestion avoidance: int(0.7*10500) = 7349 (the
	// product is a hair under 7350 in floating point) -> 7000.
	c := NewCubic()
	w := &Window{SMSS: 1000, Cwnd: 10000, Ssthresh: 5000, WholeSegments: true, DupAcks: 3}
	act := c.OnAck(w, Ack{Kind: DupAck, Ack: 1, Flight: 10500, High: 20000})
	assert.True(t, act.Retransmit)
	assert.Equal(t, 7000, w.Ssthresh)
	assert.Equal(t, 7000+3*1000, w.Cwnd)
	assert.Equal(t, 10.0, c.WMax(), "first loss: W_max is cwnd")
	assert.Equal(t, FastRecovery, w.State)

	// Without whole segments the same loss keeps the 349 bytes.
	c = NewCubic()
	w = &Window{SMSS: 1000, Cwnd: 10000, Ssthresh: 5000, DupAcks: 3}
	c.OnAck(w, Ack{Kind: DupAck, Ack: 1, Flight: 10500, High: 20000})
	assert.Equal(t, 7349, w.Ssthresh)

	// A small flight: the floor of two segments.
	c = NewCubic()
	w = &Window{SMSS: 1000, Cwnd: 3000, Ssthresh: 2000, WholeSegments: true, DupAcks: 3}
	c.OnAck(w, Ack{Kind: DupAck, Ack: 1, Flight: 2500, High: 5000})
	assert.Equal(t, 2000, w.Ssthresh)

	// Timeouts: 7349 -> 7000 whole; 0.7*2500 -> the floor 2000.
	for _, tc := range []struct {
		flight, whole, bytes int
	}{{10500, 7000, 7349}, {2500, 2000, 2000}} {
		c = NewCubic()
		w = &Window{SMSS: 1000, Cwnd: 12000, Ssthresh: 64000, WholeSegments: true}
		c.OnTimeout(w, Timeout{Flight: tc.flight})
		assert.Equal(t, tc.whole, w.Ssthresh, "flight %d", tc.flight)
		assert.Equal(t, 1000, w.Cwnd)
		w = &Window{SMSS: 1000, Cwnd: 12000, Ssthresh: 64000}
		NewCubic().OnTimeout(w, Timeout{Flight: tc.flight})
		assert.Equal(t, tc.bytes, w.Ssthresh, "flight %d", tc.flight)
	}
	w = &Window{SMSS: 1000, Cwnd: 4000, Ssthresh: 3000, WholeSegments: true}
	NewCubic().OnTimeout(w, Timeout{Flight: 50000, Repeat: true})
	assert.Equal(t, 3000, w.Ssthresh, "a repeated timeout keeps ssthresh")
	assert.Equal(t, 1000, w.Cwnd)
}

// TestRenoCycleSegmentsShortCycles: below the shortest whole cycle (4
// segments in 3 round trips) the round trips scale linearly: 1/p = 2 gives
// 1 segment in 1.5 round trips.
func TestRenoCycleSegmentsShortCycles(t *testing.T) {
	const mss, rtt = 1000, 100 * time.Millisecond
	bps := func(segs, rounds float64) float64 { return 8 * mss * segs / rounds / rtt.Seconds() }
	assert.InDelta(t, bps(1, 1.5), RenoCycleSegments(mss, rtt, 0.5), 1e-9)
	assert.InDelta(t, bps(3, 3), RenoCycleSegments(mss, rtt, 0.25), 1e-9)
	assert.Zero(t, RenoCycleSegments(0, rtt, 0.1))
	assert.Zero(t, RenoCycleSegments(mss, 0, 0.1))
}

// TestRateUnitsAtTheirBoundaries: each unit starts at exactly its power of
// a thousand.
func TestRateUnitsAtTheirBoundaries(t *testing.T) {
	for bps, want := range map[float64]string{
		1e9: "1.00 Gb/s", 999.994e6: "999.99 Mb/s", 1e6: "1.00 Mb/s", 999_994: "999.99 kb/s",
		1e3: "1.00 kb/s", 999: "999 b/s", 0: "0 b/s", 2.5e9: "2.50 Gb/s",
	} {
		assert.Equal(t, want, Rate(bps), "%v", bps)
	}
}

// TestSummaryString: the table names every flow; the utilization is in
// percent; Jain's index is shown only for more than one flow.
func TestSummaryString(t *testing.T) {
	s := Summary{
		Flows:      []FlowStats{{Flow: 0, Variant: "newreno", Throughput: 2e6, Goodput: 1.5e6, Retransmissions: 3, Timeouts: 1, FastRecoveries: 2, Losses: 4}},
		Simulated:  10 * time.Second,
		Measured:   8 * time.Second,
		Throughput: 2e6, Goodput: 1.5e6, Utilization: 0.25, Fairness: 1,
	}
	out := s.String()
	assert.Contains(t, out, "simulated 10s (rates over the last 8s)\n")
	assert.Contains(t, out, "0    newreno     2.00 Mb/s    1.50 Mb/s        3        1        2        4\n")
	assert.True(t, strings.HasSuffix(out, "total throughput 2.00 Mb/s, goodput 1.50 Mb/s, link utilization 25.0%\n"), out)

	s.Flows = append(s.Flows, FlowStats{Flow: 1, Variant: "cubic"})
	s.Fairness = 0.5
	assert.True(t, strings.HasSuffix(s.String(), "link utilization 25.0%, Jain fairness 0.500\n"), s.String())

	assert.Equal(t, 1.0, Jain([]float64{3, 3, 3}))
	assert.Equal(t, 0.5, Jain([]float64{4, 0}))
	assert.InDelta(t, (1.0+2+3)*(1+2+3)/(3*(1+4+9.0)), Jain([]float64{1, 2, 3}), 1e-15)
	assert.Zero(t, Jain([]float64{0, 0}))
	require.Zero(t, Jain(nil))
}
