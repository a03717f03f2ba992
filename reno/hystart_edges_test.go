package reno

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hsDriver feeds HyStart++ rounds of ACKs of one SMSS each.
type hsDriver struct {
	h    hystart
	w    Window
	next int64 // next cumulative ACK number
}

func newHSDriver() *hsDriver {
	return &hsDriver{w: Window{SMSS: 1000, Cwnd: 10000, Ssthresh: 1 << 30}}
}

// round sends n ACKs with the given RTT, the last of which ends the round
// (it acknowledges past the round's end, and the next round ends at high).
func (d *hsDriver) round(n int, rtt time.Duration) {
	for i := range n {
		d.next += 1000
		ack := d.next
		if i == n-1 {
			ack = d.h.windowEnd + 1 // past the round's end
			d.next = ack
		}
		d.h.onAck(&d.w, Ack{Ack: ack, Acked: 1000, High: d.next + 100000, RTT: rtt})
	}
}

// TestHyStartEntersCSSAtTheThreshold: CSS starts once a round's minimum RTT
// (over at least 8 samples) is at least the last round's plus
// clamp(last/8, 4 ms, 16 ms), not a nanosecond earlier; it grows cwnd a
// quarter as fast; after 5 rounds it sets ssthresh to cwnd (congestion
// avoidance).
func TestHyStartEntersCSSAtTheThreshold(t *testing.T) {
	const base = 100 * time.Millisecond // thresh = 12.5 ms
	for _, tc := range []struct {
		rtt time.Duration
		css bool
	}{{base + 12500*time.Microsecond - 1, false}, {base + 12500*time.Microsecond, true}} {
		d := newHSDriver()
		d.round(8, base)
		require.Equal(t, 10000+8*1000, d.w.Cwnd, "slow start: one SMSS per ACK")
		require.Equal(t, base, d.h.lastRoundMin)
		// Seven samples of the higher RTT are not enough.
		for range 7 {
			d.next += 1000
			d.h.onAck(&d.w, Ack{Ack: d.next, Acked: 1000, High: d.next + 100000, RTT: tc.rtt})
		}
		require.False(t, d.h.css, "7 samples")
		d.next += 1000
		d.h.onAck(&d.w, Ack{Ack: d.next, Acked: 1000, High: d.next + 100000, RTT: tc.rtt})
		assert.Equal(t, tc.css, d.h.css, "rtt %v", tc.rtt)
	}

	// In CSS: +1 SMSS per 4 SMSS acknowledged, then congestion avoidance
	// after five round ends.
	d := newHSDriver()
	d.round(8, base)
	d.round(8, base+20*time.Millisecond) // enters CSS at its 8th ACK, then ends the round
	require.Equal(t, 1, d.h.cssRounds)
	start := d.w.Cwnd
	for r := 2; r <= 4; r++ {
		d.round(8, base+20*time.Millisecond)
		assert.Equal(t, r, d.h.cssRounds)
		assert.True(t, d.h.css)
		assert.Equal(t, 1<<30, d.w.Ssthresh)
	}
	assert.Equal(t, start+24/4*1000, d.w.Cwnd, "24 ACKs of 1 SMSS in CSS: 6 SMSS")
	d.round(8, base+20*time.Millisecond)
	assert.False(t, d.h.css)
	assert.Equal(t, d.w.Cwnd, d.w.Ssthresh, "after 5 CSS rounds: congestion avoidance")
}

// TestHyStartCSSFalseAlarm: an RTT back below the CSS baseline over 8
// samples returns to ordinary slow start.
func TestHyStartCSSFalseAlarm(t *testing.T) {
	const base = 10 * time.Millisecond // thresh = clamp(1.25 ms) = 4 ms
	d := newHSDriver()
	d.round(8, base)
	d.round(8, base+4*time.Millisecond)
	require.True(t, d.h.css)
	require.Equal(t, base+4*time.Millisecond, d.h.cssBaseline)
	for i := range 8 {
		d.next += 1000
		d.h.onAck(&d.w, Ack{Ack: d.next, Acked: 1000, High: d.next + 100000, RTT: base + 4*time.Millisecond - 1})
		assert.Equal(t, i < 7, d.h.css, "sample %d", i+1)
	}
	cwnd := d.w.Cwnd
	d.next += 1000
	d.h.onAck(&d.w, Ack{Ack: d.next, Acked: 1000, High: d.next + 100000})
	assert.Equal(t, cwnd+1000, d.w.Cwnd, "slow start again: one SMSS per ACK")

	// Growth per ACK is capped at 8 SMSS.
	d = newHSDriver()
	d.h.onAck(&d.w, Ack{Ack: 50000, Acked: 50000, High: 100000})
	assert.Equal(t, 10000+8*1000, d.w.Cwnd)
}
