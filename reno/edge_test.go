package reno

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEventPipeGrowsInOrder fills a pipe past its 64-slot ring while it
// wraps, so that growing the ring must copy the events in FIFO order, and
// checks that time never goes backwards and every event comes out once.
func TestEventPipeGrowsInOrder(t *testing.T) {
	var q eventQueue
	p := q.newPipe()
	at := int64(0)
	next := int64(0) // seq of the next event expected out
	push := func(n int) {
		for i := 0; i < n; i++ {
			at += 10
			q.pushPipe(p, event{at: at, seq: at / 10})
		}
	}
	pop := func(n int) {
		for i := 0; i < n; i++ {
			e := q.pop()
			next++
			require.Equal(t, next, e.seq, "FIFO order")
			require.Equal(t, 10*next, e.at)
		}
	}
	// Move the ring's head off zero, then overfill it twice.
	push(40)
	pop(30)
	push(100) // 110 queued: grows 64 -> 128 with head at 30
	pop(50)
	push(150) // 210 queued: grows 128 -> 256 with head elsewhere
	pop(q.pipes[0].n)
	assert.Zero(t, q.len())
	assert.EqualValues(t, 290, next)
}

// TestSimulatedTimeNeverGoesBackwards runs a flow whose ACK pipe holds
// hundreds of packets (100 Mb/s, 100 ms) and checks the trace's clock.
func TestSimulatedTimeNeverGoesBackwards(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Link.Bandwidth = 100e6
	cfg.Link.Buffer = 100000 // no loss: the window grows to the link's 1250-packet BDP
	cfg.Duration = 3 * time.Second
	var last time.Duration
	var n, back int
	cfg.OnEvent = func(r Record) {
		n++
		if r.Time < last {
			back++
		}
		last = r.Time
	}
	res := runSim(t, cfg)
	assert.Greater(t, n, 10000)
	assert.Zero(t, back, "events processed with the clock going backwards")
	assert.Greater(t, res.Utilization, 0.5)
	assert.Zero(t, res.Flows[0].Losses)
}

// TestRTOVarianceUpdate feeds RFC 6298 samples above and below SRTT and
// checks every intermediate value (section 2.3).
func TestRTOVarianceUpdate(t *testing.T) {
	e := newRTOEstimator(RTOConfig{Initial: time.Second, Min: time.Millisecond, Max: time.Minute, Granularity: time.Millisecond})
	assert.Equal(t, time.Second, e.rto)
	e.sample(100 * time.Millisecond)
	assert.Equal(t, 100*time.Millisecond, e.srtt)
	assert.Equal(t, 50*time.Millisecond, e.rttvar)
	assert.Equal(t, 300*time.Millisecond, e.rto) // 100 + 4*50
	// R above SRTT: |SRTT - R| = 100 ms.
	e.sample(200 * time.Millisecond)
	assert.Equal(t, 62500*time.Microsecond, e.rttvar) // (3*50 + 100)/4
	assert.Equal(t, 112500*time.Microsecond, e.srtt)  // (7*100 + 200)/8
	assert.Equal(t, 362500*time.Microsecond, e.rto)   // 112.5 + 4*62.5
	// R below SRTT: |SRTT - R| = 72.5 ms.
	e.sample(40 * time.Millisecond)
	assert.Equal(t, 65000*time.Microsecond, e.rttvar) // (3*62.5 + 72.5)/4
	assert.Equal(t, 103437500*time.Nanosecond, e.srtt)
	assert.Equal(t, 363437500*time.Nanosecond, e.rto)
	// Identical samples shrink the variance until G takes over.
	for i := 0; i < 200; i++ {
		e.sample(100 * time.Millisecond)
	}
	assert.InDelta(t, 100e6, float64(e.srtt), 1e3)
	assert.Equal(t, e.srtt+time.Millisecond, e.rto)
	e.backoff()
	assert.Equal(t, 2*(e.srtt+time.Millisecond), e.rto)
}

// TestNewRenoRecoverEdges puts ACKs exactly at the RFC 6582 boundaries.
func TestNewRenoRecoverEdges(t *testing.T) {
	enter := func() Window {
		w := NewWindow(1000, 10000, 0)
		for i := 0; i < 3; i++ {
			Step(NewReno{}, &w, Ack{Kind: DupAck, Ack: 1001, Flight: 10000, High: 10000})
		}
		require.Equal(t, FastRecovery, w.State)
		require.EqualValues(t, 10000, w.Recover)
		return w
	}
	// Ack = Recover leaves byte Recover unacknowledged: a partial ACK.
	w := enter()
	act := Step(NewReno{}, &w, Ack{Kind: NewAck, Ack: 10000, Acked: 8999, High: 10000})
	assert.Equal(t, EventPartialAck, act.Event)
	assert.Equal(t, FastRecovery, w.State)
	// Ack = Recover+1 covers it: a full ACK.
	w = enter()
	act = Step(NewReno{}, &w, Ack{Kind: NewAck, Ack: 10001, Acked: 9000, High: 10000})
	assert.Equal(t, EventRecoveryExit, act.Event)

	// A partial ACK of exactly one SMSS adds one SMSS back (">= SMSS").
	w = enter()
	before := w.Cwnd
	Step(NewReno{}, &w, Ack{Kind: NewAck, Ack: 2001, Acked: 1000, High: 10000})
	assert.Equal(t, before, w.Cwnd)
	// One byte less adds nothing back.
	w = enter()
	Step(NewReno{}, &w, Ack{Kind: NewAck, Ack: 2000, Acked: 999, High: 10000})
	assert.Equal(t, before-999, w.Cwnd)

	// After a timeout with Recover = 12000, three duplicates at Ack 12000 are
	// echoes (no fast retransmit), at 12001 they start one.
	for _, c := range []struct {
		ack  int64
		want bool
	}{{12000, false}, {12001, true}} {
		w := NewWindow(1000, 0, 0)
		NewReno{}.OnTimeout(&w, Timeout{Flight: 8000, High: 12000})
		var act Action
		for i := 0; i < 3; i++ {
			act = Step(NewReno{}, &w, Ack{Kind: DupAck, Ack: c.ack, Flight: 3000, High: 15000})
		}
		assert.Equal(t, c.want, act.Retransmit, "Ack %d", c.ack)
	}
}

// TestTimeoutSsthresh checks ssthresh = max(FlightSize/2, 2*SMSS) after a
// timeout, and that a repeated timeout leaves it alone.
func TestTimeoutSsthresh(t *testing.T) {
	for _, cc := range []CongestionControl{Tahoe{}, Reno{}, NewReno{}} {
		w := NewWindow(1000, 20000, 0)
		cc.OnTimeout(&w, Timeout{Flight: 20000, High: 20000})
		assert.Equal(t, 10000, w.Ssthresh, cc.Name())
		assert.Equal(t, 1000, w.Cwnd, cc.Name())
		cc.OnTimeout(&w, Timeout{Flight: 1000, High: 20000, Repeat: true})
		assert.Equal(t, 10000, w.Ssthresh, cc.Name())
		cc.OnTimeout(&w, Timeout{Flight: 3000, High: 20000})
		assert.Equal(t, 2000, w.Ssthresh, "at least 2*SMSS: "+cc.Name())
	}
}
