package reno

import (
	"math"
	"time"
)

// Cubic is CUBIC congestion control (RFC 9438), the default of Linux,
// Windows and macOS. After a loss the window follows a cubic function of the
// time t since congestion avoidance began,
//
//	W_cubic(t) = C (t - K)^3 + W_max       K = cbrt(W_max (1 - beta) / C)
//
// in segments, where W_max is the window at the last loss and the window was
// cut to beta*W_max: concave up to W_max (fast at first, flat near the old
// maximum), then convex beyond it (probing for more). Growth depends on time,
// not on ACKs, so flows with different RTTs grow alike and a long fat pipe
// is filled in seconds rather than the minutes [Reno]'s one segment per RTT
// needs.
//
// Per ACK in congestion avoidance cwnd moves toward target =
// W_cubic(t + RTT), clamped to [cwnd, 1.5 cwnd], by (target - cwnd)/cwnd
// segments per acknowledged segment. Where Reno would be faster (short RTT,
// small windows), the [Reno]-friendly estimate
//
//	W_est += alpha * acked/cwnd,  alpha = 3(1 - beta)/(1 + beta)  (1 once W_est >= cwnd_prior)
//
// wins: cwnd = W_est whenever W_cubic(t) < W_est. At a loss ssthresh =
// max(beta * FlightSize, 2 SMSS) and, with fast convergence, a flow whose
// window had not reached its previous W_max lowers W_max to
// cwnd (1 + beta)/2 to leave room for newer flows. Fast recovery is
// [NewReno]'s (partial ACKs resend the next hole) unless [FlowConfig.SACK] is
// set. After a timeout the next congestion-avoidance stage starts with K = 0
// and W_max = cwnd, as RFC 9438 section 4.8 says.
//
// HyStart enables HyStart++ (RFC 9406) in slow start. Cubic keeps per-flow
// state, so every flow needs its own value ([NewCubic]); [NewCongestionControl]
// gives each flow a fresh one.
type Cubic struct {
	// C is the cubic scaling constant in segments/s^3; 0 means 0.4.
	C float64
	// Beta is the multiplicative decrease factor; 0 means 0.7.
	Beta float64
	// NoFastConvergence turns fast convergence (on by default, as RFC 9438
	// asks) off.
	NoFastConvergence bool
	// HyStart enables HyStart++ (RFC 9406): slow start ends early, into
	// conservative slow start, when the round's minimum RTT grows.
	HyStart bool

	st cubicState
}

type cubicState struct {
	cwnd         float64       // segments, fractional: the controller's cwnd
	wMax         float64       // segments at the last congestion event
	k            float64       // seconds
	epoch        time.Duration // start of this congestion-avoidance stage; -1: none
	cwndEpoch    float64
	wEst         float64
	cwndPrior    float64
	afterTimeout bool
	hs           hystart
}

// NewCubic returns CUBIC with RFC 9438's constants (C = 0.4, beta = 0.7)
// and fast convergence.
func NewCubic() *Cubic {
	return &Cubic{st: cubicState{epoch: -1}}
}

// Name returns "cubic".
func (*Cubic) Name() string { return string(VariantCubic) }

func (c *Cubic) consts() (cc, beta float64) {
	cc, beta = c.C, c.Beta
	if cc <= 0 {
		cc = 0.4
	}
	if beta <= 0 || beta >= 1 {
		beta = 0.7
	}
	return cc, beta
}

// W returns W_cubic(t) in segments for the current epoch: C(t-K)^3 + W_max.
func (c *Cubic) W(t time.Duration) float64 {
	cc, _ := c.consts()
	d := t.Seconds() - c.st.k
	return cc*d*d*d + c.st.wMax
}

// K returns the current epoch's K: the time W_cubic takes to climb back to
// W_max.
func (c *Cubic) K() time.Duration { return time.Duration(c.st.k * float64(time.Second)) }

// WMax returns W_max in segments: the window at the last congestion event,
// lowered by fast convergence.
func (c *Cubic) WMax() float64 { return c.st.wMax }

// OnAck implements [CongestionControl].
func (c *Cubic) OnAck(w *Window, a Ack) Action {
	smss := float64(w.SMSS)
	if c.st.epoch == 0 && c.st.cwnd == 0 && c.st.wMax == 0 {
		c.st.epoch = -1 // a zero Cubic{} works too
	}
	if int(c.st.cwnd*smss) != w.Cwnd {
		c.st.cwnd = float64(w.Cwnd) / smss
	}
	if a.Kind == DupAck {
		switch {
		case w.State == FastRecovery:
			w.Cwnd += w.SMSS
			c.st.cwnd = float64(w.Cwnd) / smss
		case w.DupAcks == 3 && a.Ack > w.Recover:
			c.reduce(w, a.Flight)
			w.Cwnd = w.Ssthresh + 3*w.SMSS
			c.st.cwnd = float64(w.Cwnd) / smss
			w.State = FastRecovery
			w.Recover = a.High
			w.PartialAcks = 0
			return Action{Retransmit: true, Event: EventFastRetransmit}
		}
		return Action{Event: EventDupAck}
	}
	if w.State == FastRecovery {
		if a.Ack > w.Recover {
			w.Cwnd = w.Ssthresh
			c.st.cwnd = float64(w.Cwnd) / smss
			w.settle()
			return Action{Event: EventRecoveryExit}
		}
		act := NewReno{}.OnAck(w, a) // a partial ACK: the same as NewReno
		c.st.cwnd = float64(w.Cwnd) / smss
		return act
	}
	if w.Cwnd < w.Ssthresh {
		if c.HyStart {
			c.st.hs.onAck(w, a)
		} else {
			w.grow(a.Acked)
		}
		c.st.cwnd = float64(w.Cwnd) / smss
		w.settle()
		return Action{Event: EventNewAck}
	}
	c.avoid(w, a)
	return Action{Event: EventNewAck}
}

// avoid is RFC 9438 congestion avoidance for one ACK.
func (c *Cubic) avoid(w *Window, a Ack) {
	cc, beta := c.consts()
	smss := float64(w.SMSS)
	st := &c.st
	if st.epoch < 0 {
		st.epoch = a.Now
		st.cwndEpoch = st.cwnd
		if st.afterTimeout || st.wMax < st.cwnd {
			st.wMax = st.cwnd
			st.afterTimeout = false
		}
		st.k = math.Cbrt((st.wMax - st.cwndEpoch) / cc)
		st.wEst = st.cwndEpoch
		if st.cwndPrior == 0 {
			st.cwndPrior = st.cwnd
		}
	}
	acked := float64(a.Acked) / smss
	t := (a.Now - st.epoch).Seconds()
	rtt := a.SRTT.Seconds()
	d := t + rtt - st.k
	target := cc*d*d*d + st.wMax
	target = min(max(target, st.cwnd), 1.5*st.cwnd)
	alpha := 3 * (1 - beta) / (1 + beta)
	if st.wEst >= st.cwndPrior {
		alpha = 1
	}
	st.wEst += alpha * acked / st.cwnd
	if d = t - st.k; cc*d*d*d+st.wMax < st.wEst {
		st.cwnd = max(st.cwnd, st.wEst) // the Reno-friendly region
	} else {
		st.cwnd += (target - st.cwnd) / st.cwnd * acked
	}
	w.Cwnd = max(int(st.cwnd*smss), w.SMSS)
	w.settle()
}

// reduce is RFC 9438's reaction to a congestion event: W_max (with fast
// convergence), ssthresh = beta * FlightSize, a new epoch.
func (c *Cubic) reduce(w *Window, flight int) {
	_, beta := c.consts()
	smss := float64(w.SMSS)
	st := &c.st
	cwnd := float64(w.Cwnd) / smss
	if !c.NoFastConvergence && cwnd < st.wMax {
		st.wMax = cwnd * (1 + beta) / 2
	} else {
		st.wMax = cwnd
	}
	st.cwndPrior = cwnd
	ss := int(beta * float64(flight))
	if w.WholeSegments {
		ss = ss / w.SMSS * w.SMSS
	}
	w.Ssthresh = max(ss, 2*w.SMSS)
	w.BytesAcked = 0
	st.epoch = -1
	st.hs.leave()
}

// OnTimeout implements [CongestionControl]: ssthresh = beta * FlightSize
// (not again for the same segment), cwnd = 1 SMSS, and the next
// congestion-avoidance stage starts from K = 0.
func (c *Cubic) OnTimeout(w *Window, t Timeout) {
	_, beta := c.consts()
	if !t.Repeat {
		cwnd := float64(w.Cwnd) / float64(w.SMSS)
		c.st.cwndPrior = cwnd
		w.Ssthresh = max(int(beta*float64(t.Flight)), 2*w.SMSS)
		if w.WholeSegments {
			w.Ssthresh = max(w.Ssthresh/w.SMSS, 2) * w.SMSS
		}
	}
	w.Cwnd = w.SMSS
	w.PartialAcks = 0
	w.Recover = t.High
	w.BytesAcked = 0
	c.st.cwnd = 1
	c.st.epoch = -1
	c.st.afterTimeout = true
	c.st.hs.leave()
	w.settle()
}
