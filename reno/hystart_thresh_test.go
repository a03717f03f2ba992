package reno

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestHyStartLowRTTFloor: below 32 ms, last/8 is under MIN_RTT_THRESH, so the
// threshold is the 4 ms floor: after rounds at 16 ms, 19.999 ms stays in slow
// start and 20 ms enters CSS.
func TestHyStartLowRTTFloor(t *testing.T) {
	for _, c := range []struct {
		rtt time.Duration
		css bool
	}{{20*time.Millisecond - time.Microsecond, false}, {20 * time.Millisecond, true}} {
		d := newHSDriver()
		d.round(8, 16*time.Millisecond)
		d.round(8, c.rtt)
		assert.Equal(t, c.css, d.h.css, "rtt %v", c.rtt)
	}
}

// TestHyStartIgnoresACKsWithoutSample: ACKs that carry no RTT sample (RTT 0)
// neither count towards the 8 samples nor set a round's minimum, so a round
// of them leaves no baseline to compare the next round against.
func TestHyStartIgnoresACKsWithoutSample(t *testing.T) {
	d := newHSDriver()
	d.round(8, 0)
	assert.Equal(t, hsInfinity, d.h.lastRoundMin)
	d.round(8, 100*time.Millisecond)
	assert.False(t, d.h.css)
	assert.Equal(t, 100*time.Millisecond, d.h.lastRoundMin)
	assert.Equal(t, 10000+16*1000, d.w.Cwnd, "slow start: one SMSS per ACK")
}

// TestHyStartCSSGrowthPhase: in CSS cwnd grows by one SMSS once four SMSS
// have been acknowledged: not on the first ACK, on the fourth, the eighth.
func TestHyStartCSSGrowthPhase(t *testing.T) {
	d := newHSDriver()
	d.round(8, 16*time.Millisecond)
	d.round(8, 20*time.Millisecond)
	if !d.h.css {
		t.Fatal("not in CSS")
	}
	base := d.w.Cwnd
	var got []int
	for range 8 {
		d.next += 1000
		d.h.onAck(&d.w, Ack{Ack: d.next, Acked: 1000, High: d.next + 100000, RTT: 20 * time.Millisecond})
		got = append(got, d.w.Cwnd-base)
	}
	assert.Equal(t, []int{0, 0, 0, 1000, 1000, 1000, 1000, 2000}, got)
}
