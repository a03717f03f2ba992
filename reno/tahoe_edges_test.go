package reno

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTahoeRecoverEdge: Tahoe ignores duplicate ACKs for data sent before
// its last loss episode: a third duplicate at exactly Recover is an echo, one
// above it is a new loss (ssthresh halved, cwnd one segment, go back N).
func TestTahoeRecoverEdge(t *testing.T) {
	for _, c := range []struct {
		ack  int64
		want bool
	}{{12000, false}, {12001, true}} {
		w := NewWindow(1000, 0, 0)
		Tahoe{}.OnTimeout(&w, Timeout{Flight: 8000, High: 12000})
		w.Cwnd = 9000
		var act Action
		for i := 0; i < 3; i++ {
			act = Step(Tahoe{}, &w, Ack{Kind: DupAck, Ack: c.ack, Flight: 6000, High: 15000})
		}
		assert.Equal(t, c.want, act.GoBackN, "Ack %d", c.ack)
		if c.want {
			assert.Equal(t, EventFastRetransmit, act.Event)
			assert.Equal(t, 3000, w.Ssthresh)
			assert.Equal(t, 1000, w.Cwnd)
			assert.EqualValues(t, 15000, w.Recover)
		} else {
			assert.Equal(t, EventDupAck, act.Event)
			assert.Equal(t, 4000, w.Ssthresh, "from the timeout")
			assert.Equal(t, 9000, w.Cwnd)
		}
	}
}
