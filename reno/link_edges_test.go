package reno

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestLinkDropTailAtTheDepartureInstant: a 1000-byte packet takes 1 ms at
// 8 Mb/s; with a buffer of 1, one packet in service and one waiting fill the
// link. A packet that arrives at the very instant the first one leaves finds
// room; one nanosecond earlier it is dropped.
func TestLinkDropTailAtTheDepartureInstant(t *testing.T) {
	ms := int64(time.Millisecond)
	for _, c := range []struct {
		at  int64
		ok  bool
		dep int64
	}{{ms, true, 3 * ms}, {ms - 1, false, 0}} {
		l := newLink(LinkConfig{Bandwidth: 8e6, Buffer: 1})
		dep, ok := l.admit(0, 1000)
		assert.True(t, ok)
		assert.Equal(t, ms, dep)
		dep, ok = l.admit(0, 1000)
		assert.True(t, ok)
		assert.Equal(t, 2*ms, dep)
		_, ok = l.admit(0, 1000)
		assert.False(t, ok, "the buffer is full")
		dep, ok = l.admit(c.at, 1000)
		assert.Equal(t, c.ok, ok, "arrival at %d", c.at)
		assert.Equal(t, c.dep, dep)
	}
}

// TestHyStartRoundEndsPastWindowEnd: a round ends with the ACK that covers
// its last byte (Ack > windowEnd), not with the ACK one byte short of it.
func TestHyStartRoundEndsPastWindowEnd(t *testing.T) {
	d := newHSDriver()
	d.round(8, 16*time.Millisecond)
	end := d.h.windowEnd
	d.h.onAck(&d.w, Ack{Ack: end, Acked: 1000, High: end + 50000, RTT: 30 * time.Millisecond})
	assert.Equal(t, 16*time.Millisecond, d.h.lastRoundMin, "the round goes on")
	assert.Equal(t, end, d.h.windowEnd)
	d.h.onAck(&d.w, Ack{Ack: end + 1, Acked: 1, High: end + 60000, RTT: 30 * time.Millisecond})
	assert.Equal(t, 30*time.Millisecond, d.h.lastRoundMin, "the round is over")
	assert.Equal(t, end+60000, d.h.windowEnd)
}
