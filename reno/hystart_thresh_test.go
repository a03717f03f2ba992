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
