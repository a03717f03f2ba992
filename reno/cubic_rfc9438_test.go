package reno

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// alphaCubic is RFC 9438's alpha_cubic for beta = 0.7: 3(1-beta)/(1+beta).
const alphaCubic = 3 * (1 - 0.7) / (1 + 0.7)

// caAck is one new ACK of one 1000-byte segment at time now.
func caAck(c *Cubic, w *Window, seq int64, now, srtt time.Duration) Action {
	return caAckN(c, w, 1, seq, now, srtt)
}

// caAckN is one new ACK of n 1000-byte segments (a delayed ACK for n = 2).
func caAckN(c *Cubic, w *Window, n int, seq int64, now, srtt time.Duration) Action {
	return Step(c, w, Ack{Kind: NewAck, Ack: seq, Acked: n * 1000, High: seq + 100000, Now: now, SRTT: srtt})
}

// TestCubicKAndWAfterLoss: after a loss at 100 segments, W_max = 100,
// cwnd_epoch = beta*100 = 70 and K = cbrt((W_max - cwnd_epoch)/C) =
// cbrt(75) s (RFC 9438 section 4.2), so W_cubic(0) = 70, W_cubic(K) = 100
// and W_cubic(2K) = 100 + C*75 = 130. With C = 0.8, K = cbrt(37.5).
func TestCubicKAndWAfterLoss(t *testing.T) {
	for _, tc := range []struct {
		c    *Cubic
		cDef float64
	}{{NewCubic(), 0.4}, {&Cubic{}, 0.4}, {&Cubic{C: -1}, 0.4}, {&Cubic{C: 0.8}, 0.8}} {
		win := cubicAfterLoss(t, tc.c, 100)
		require.Equal(t, 70000, win.Ssthresh)
		caAck(tc.c, &win, 100002, 5*time.Second, 100*time.Millisecond)
		k := math.Cbrt(30 / tc.cDef)
		assert.InDelta(t, k, tc.c.K().Seconds(), 1e-9, "C = %v", tc.cDef)
		assert.InDelta(t, 70, tc.c.W(0), 1e-9)
		assert.InDelta(t, 100, tc.c.W(tc.c.K()), 1e-6)
		assert.InDelta(t, 100+tc.cDef*(k*k*k), tc.c.W(2*tc.c.K()), 1e-6)
	}
}

// TestCubicBeta: 0 or a value outside (0,1) means 0.7; 0.5 halves FlightSize.
func TestCubicBeta(t *testing.T) {
	for beta, ss := range map[float64]int{0: 7000, -1: 7000, 1: 7000, 1.5: 7000, 0.5: 5000, 0.99: 9900} {
		c := &Cubic{Beta: beta}
		w := &Window{SMSS: 1000, Cwnd: 10000, Ssthresh: 5000, DupAcks: 3}
		c.OnAck(w, Ack{Kind: DupAck, Ack: 1, Flight: 10000, High: 20000})
		assert.Equal(t, ss, w.Ssthresh, "beta %v", beta)
	}
}

// TestCubicCongestionAvoidanceByHand follows RFC 9438 section 4 ACK by ACK:
// the target W_cubic(t+RTT) clamped to [cwnd, 1.5 cwnd], cwnd +=
// (target-cwnd)/cwnd per segment, W_est += alpha*segments/cwnd with alpha =
// alpha_cubic until W_est reaches cwnd_prior and 1 after, and cwnd = W_est
// whenever W_cubic(t) < W_est.
func TestCubicCongestionAvoidanceByHand(t *testing.T) {
	const eps = 1.0 // bytes: cwnd is kept in whole bytes
	seg := func(w Window) float64 { return float64(w.Cwnd) }

	t.Run("after a loss", func(t *testing.T) {
		c := NewCubic()
		win := cubicAfterLoss(t, c, 100) // W_max 100, cwnd 70, cwnd_prior 100
		t0 := 3 * time.Second
		// Delayed ACKs of two segments each.
		// t = 0: W_cubic(0) = 70 < W_est = 70 + 2 alpha/70: Reno-friendly.
		caAckN(c, &win, 2, 100002, t0, 500*time.Millisecond)
		cwnd1 := 70 + 2*alphaCubic/70
		assert.InDelta(t, 1000*cwnd1, seg(win), eps)
		// t = 1 s, RTT 0.5 s: target W_cubic(1.5) = 100 + 0.4 (1.5-K)^3;
		// W_cubic(1) = 86.7 is above W_est: the cubic region.
		caAckN(c, &win, 2, 102002, t0+time.Second, 500*time.Millisecond)
		k := math.Cbrt(75)
		target := 100 + 0.4*math.Pow(1.5-k, 3)
		cwnd2 := cwnd1 + 2*(target-cwnd1)/cwnd1
		assert.InDelta(t, 1000*cwnd2, seg(win), eps)
		// t = K: the curve's plateau; target W_cubic(K+0.5) = 100.05.
		now := t0 + c.K()
		caAck(c, &win, 103002, now, 500*time.Millisecond)
		cwnd3 := cwnd2 + (100+0.4*0.125-cwnd2)/cwnd2
		assert.InDelta(t, 1000*cwnd3, seg(win), eps)
		assert.Equal(t, CongestionAvoidance, win.State)
	})

	t.Run("after a timeout", func(t *testing.T) {
		// A timeout at cwnd 20 with FlightSize 20000: ssthresh 14000,
		// cwnd_prior 20; the next stage has W_max = cwnd_epoch = 14, K = 0.
		c := NewCubic()
		win := NewWindow(1000, 20000, 64000)
		c.OnTimeout(&win, Timeout{Flight: 20000, High: 30000})
		require.Equal(t, 14000, win.Ssthresh)
		win.Cwnd = 14000
		caAck(c, &win, 30002, time.Second, 0)
		assert.Zero(t, c.K())
		assert.InDelta(t, 14, c.WMax(), 1e-12)
		cwnd1 := 14 + alphaCubic/14
		assert.InDelta(t, 1000*cwnd1, seg(win), eps)
		// 10 s later W_cubic = 14 + 400: the target is capped at 1.5 cwnd,
		// so cwnd grows by half a segment.
		caAck(c, &win, 31002, 11*time.Second, 0)
		assert.InDelta(t, 1000*(cwnd1+0.5), seg(win), eps)
	})

	t.Run("W_est at cwnd_prior", func(t *testing.T) {
		// A timeout at cwnd 14: cwnd_prior = W_est = 14, so alpha is 1
		// from the first ACK on.
		c := NewCubic()
		win := NewWindow(1000, 14000, 64000)
		c.OnTimeout(&win, Timeout{Flight: 20000, High: 30000})
		win.Cwnd = 14000
		caAck(c, &win, 30002, time.Second, 0)
		assert.InDelta(t, 1000*(14+1.0/14), seg(win), eps)
	})

	// A flow that starts in congestion avoidance at time 0 (no loss yet):
	// the epoch starts at 0 with W_max = cwnd_epoch = cwnd_prior = 10, K = 0.
	// A zero Cubic{} behaves as NewCubic().
	for name, c := range map[string]*Cubic{"NewCubic": NewCubic(), "zero": {}} {
		t.Run("from time zero "+name, func(t *testing.T) {
			win := NewWindow(1000, 10000, 10000)
			caAck(c, &win, 1002, 0, 0)
			cwnd1 := 10 + 1.0/10 // alpha 1: W_est starts at cwnd_prior
			assert.InDelta(t, 1000*cwnd1, seg(win), eps)
			assert.InDelta(t, 10, c.WMax(), 1e-12)
			// t = 2 s: target W_cubic(2) = 10 + 0.4*8 = 13.2 > W_est.
			caAck(c, &win, 2002, 2*time.Second, 0)
			cwnd2 := cwnd1 + (13.2-cwnd1)/cwnd1
			assert.InDelta(t, 1000*cwnd2, seg(win), eps)
			assert.Zero(t, c.K())
		})
	}
}

// TestCubicKeepsFractionalWindow: cwnd is kept in fractions of a segment
// between ACKs, so a hundred increments of under a byte each still add up
// (a controller that re-read the whole-byte cwnd every ACK would lose them).
func TestCubicKeepsFractionalWindow(t *testing.T) {
	c := NewCubic()
	win := cubicAfterLoss(t, c, 100)
	t0 := 3 * time.Second
	caAck(c, &win, 100002, t0, 0)
	// Near the plateau, at t = K, each ACK adds (100 - cwnd)/cwnd segments
	// in the cubic region; follow that in floating point.
	want := 70 + alphaCubic/70
	now := t0 + c.K()
	for i := 0; i < 400; i++ {
		caAck(c, &win, 101002+int64(i)*1000, now, 0)
		want += (c.W(now-t0) - want) / want
	}
	assert.InDelta(t, 1000*want, float64(win.Cwnd), 1)
}

// TestCubicRecoverEdges: RFC 6582's edges for CUBIC. A third duplicate ACK
// at exactly Recover does not start a new recovery; one above does. In fast
// recovery an ACK of exactly Recover is partial, one above it is full.
func TestCubicRecoverEdges(t *testing.T) {
	c := NewCubic()
	w := &Window{SMSS: 1000, Cwnd: 10000, Ssthresh: 5000, DupAcks: 3, Recover: 5001, State: CongestionAvoidance}
	act := c.OnAck(w, Ack{Kind: DupAck, Ack: 5001, Flight: 10000, High: 20000})
	assert.False(t, act.Retransmit)
	assert.Equal(t, EventDupAck, act.Event)
	assert.Equal(t, 10000, w.Cwnd)
	act = c.OnAck(w, Ack{Kind: DupAck, Ack: 5002, Flight: 10000, High: 20000})
	assert.True(t, act.Retransmit)
	assert.Equal(t, FastRecovery, w.State)
	assert.EqualValues(t, 20000, w.Recover)
	assert.Equal(t, 7000+3000, w.Cwnd)

	// A further duplicate inflates by one segment.
	w.DupAcks = 4
	c.OnAck(w, Ack{Kind: DupAck, Ack: 5002, Flight: 10000, High: 20000})
	assert.Equal(t, 11000, w.Cwnd)

	// Ack == Recover: partial (NewReno's deflation), still in recovery.
	act = c.OnAck(w, Ack{Kind: NewAck, Ack: 20000, Acked: 14998, Flight: 15000, High: 20000})
	assert.Equal(t, FastRecovery, w.State)
	assert.NotEqual(t, EventRecoveryExit, act.Event)
	// Ack == Recover+1: full, cwnd = ssthresh.
	act = c.OnAck(w, Ack{Kind: NewAck, Ack: 20001, Acked: 1, Flight: 1, High: 20000})
	assert.Equal(t, EventRecoveryExit, act.Event)
	assert.Equal(t, 7000, w.Cwnd)
	assert.Equal(t, CongestionAvoidance, w.State)
}

// TestCubicFastConvergenceAtWMax: a loss at exactly W_max is not below it,
// so fast convergence leaves W_max at cwnd.
func TestCubicFastConvergenceAtWMax(t *testing.T) {
	c := NewCubic()
	win := cubicAfterLoss(t, c, 100)
	win.Cwnd = 100000
	win.DupAcks = 3
	c.OnAck(&win, Ack{Kind: DupAck, Ack: 100001, Flight: 100000, High: 200000})
	assert.InDelta(t, 100, c.WMax(), 1e-12)
	win.Cwnd = 99000
	win.State, win.DupAcks = CongestionAvoidance, 3
	c.OnAck(&win, Ack{Kind: DupAck, Ack: 200001, Flight: 99000, High: 300000})
	assert.InDelta(t, 99*1.7/2, c.WMax(), 1e-12)
}
