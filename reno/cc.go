package reno

import (
	"fmt"
	"math"
	"time"
)

// State is where a congestion-control state machine is.
type State uint8

// The three states of the [Reno] family.
const (
	SlowStart           State = iota // cwnd < ssthresh: grow by up to one SMSS per ACK
	CongestionAvoidance              // cwnd >= ssthresh: grow by about one SMSS per RTT
	FastRecovery                     // after a fast retransmit, until new data is acknowledged
)

// String returns the state's name as the RFCs spell it.
func (s State) String() string {
	switch s {
	case SlowStart:
		return "slow start"
	case CongestionAvoidance:
		return "congestion avoidance"
	case FastRecovery:
		return "fast recovery"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// InfiniteSsthresh is the "arbitrarily high" initial ssthresh of RFC 5681.
const InfiniteSsthresh = math.MaxInt32

// Window is the congestion-control state of one sender, in bytes. The
// sender reads Cwnd to decide how much it may have in flight.
//
// Who writes which field:
//
//	field                       written by
//	SMSS, ByteCounting,         the sender, once, from FlowConfig (NewWindow)
//	  WholeSegments
//	DupAcks                     the sender, before every OnAck: 0 on a new ACK,
//	                            +1 on a duplicate, 0 on a timeout (see Step)
//	Cwnd, Ssthresh, State       the CongestionControl (OnAck, OnTimeout)
//	Recover, PartialAcks,       the CongestionControl, if it uses them
//	  BytesAcked
//
// A controller must keep Cwnd >= SMSS and set [State], since the trace and
// limited transmit read it ([FastRecovery] while it inflates the window). With
// [FlowConfig.SACK] the sender runs loss recovery itself (RFC 6675): it calls
// the controller on the third duplicate ACK, where the controller sets
// Ssthresh and enters [FastRecovery], and on the ACK that ends recovery; in
// between it keeps Cwnd = Ssthresh and sends by its pipe estimate.
type Window struct {
	SMSS     int   // sender maximum segment size (sender)
	Cwnd     int   // congestion window (controller)
	Ssthresh int   // slow-start threshold (controller)
	State    State // where the state machine is (controller)
	// DupAcks counts consecutive duplicate ACKs, this one included; the
	// sender maintains it, controllers only read it.
	DupAcks int
	// Recover is the highest sequence number sent when fast recovery or the
	// last timeout began (RFC 6582); an ACK above it ends that episode.
	Recover int64
	// PartialAcks counts partial ACKs in the current fast recovery.
	PartialAcks int
	// ByteCounting selects the RFC 5681 RECOMMENDED congestion-avoidance
	// rule: add one SMSS each time a full cwnd of bytes has been
	// acknowledged, instead of equation 3 (SMSS*SMSS/cwnd per ACK).
	ByteCounting bool
	// WholeSegments keeps cwnd and ssthresh in whole segments, as Linux
	// does (it counts snd_cwnd in packets): ssthresh = max(FlightSize/2, 2)
	// rounded down to a whole SMSS, and growth in congestion avoidance by
	// byte counting. Set it with [FlowConfig.WholeSegments].
	WholeSegments bool
	// BytesAcked counts acknowledged bytes toward the next increase when
	// ByteCounting is on.
	BytesAcked int
}

// NewWindow returns the starting window for a sender with segment size smss:
// cwnd is iw bytes (0 means InitialWindow(smss)) and ssthresh is ssthresh
// bytes (0 means [InfiniteSsthresh]).
func NewWindow(smss, iw, ssthresh int) Window {
	if iw <= 0 {
		iw = InitialWindow(smss)
	}
	if ssthresh <= 0 {
		ssthresh = InfiniteSsthresh
	}
	w := Window{SMSS: smss, Cwnd: iw, Ssthresh: ssthresh}
	w.settle()
	return w
}

// InitialWindow returns the RFC 5681 (section 3.1) initial window in bytes:
// 2*SMSS above 2190 bytes, 3*SMSS above 1095 bytes, else 4*SMSS.
func InitialWindow(smss int) int {
	switch {
	case smss > 2190:
		return 2 * smss
	case smss > 1095:
		return 3 * smss
	default:
		return 4 * smss
	}
}

// settle names the growth state from cwnd and ssthresh (RFC 5681 uses slow
// start while cwnd < ssthresh).
func (w *Window) settle() {
	if w.Cwnd < w.Ssthresh {
		w.State = SlowStart
	} else {
		w.State = CongestionAvoidance
	}
}

// grow applies slow start or congestion avoidance for an ACK of acked new
// bytes (RFC 5681 equations 2 and 3).
func (w *Window) grow(acked int) {
	switch {
	case w.Cwnd < w.Ssthresh:
		w.Cwnd += min(acked, w.SMSS)
	case w.ByteCounting || w.WholeSegments:
		w.BytesAcked += acked
		if w.BytesAcked >= w.Cwnd {
			w.BytesAcked -= w.Cwnd
			w.Cwnd += w.SMSS
		}
	default:
		w.Cwnd += max(1, w.SMSS*w.SMSS/w.Cwnd)
	}
	w.settle()
}

// halve sets ssthresh = max(FlightSize/2, 2*SMSS) (RFC 5681 equation 4).
func (w *Window) halve(flight int) {
	if w.WholeSegments {
		w.Ssthresh = max(flight/w.SMSS/2, 2) * w.SMSS
	} else {
		w.Ssthresh = max(flight/2, 2*w.SMSS)
	}
	w.BytesAcked = 0
}

// AckKind classifies an arriving ACK.
type AckKind uint8

const (
	// NewAck acknowledges data not acknowledged before.
	NewAck AckKind = iota
	// DupAck is a duplicate ACK in the RFC 5681 sense: same cumulative ACK,
	// no data, data outstanding.
	DupAck
)

// Ack is what the sender tells its congestion control about one ACK.
type Ack struct {
	Kind  AckKind
	Ack   int64 // the cumulative acknowledgment number (next byte expected)
	Acked int   // bytes newly acknowledged (0 for a duplicate)
	// Flight is FlightSize in bytes before this ACK was processed, not
	// counting data sent by limited transmit (RFC 5681 3.2 step 2).
	Flight int
	High   int64 // highest sequence number sent so far
	// Now is the simulated time of this ACK, from the start of the run.
	Now time.Duration
	// SRTT is the sender's smoothed round-trip time (RFC 6298), 0 before
	// the first sample.
	SRTT time.Duration
	// RTT is the round-trip sample this ACK gave (0 if none): the time since
	// the newest segment it acknowledges was sent, when that segment was
	// sent once (Karn).
	RTT time.Duration
}

// Action tells the sender what to do beyond sending what cwnd allows.
type Action struct {
	// Retransmit the first unacknowledged segment now, whatever cwnd says.
	Retransmit bool
	// GoBackN resends everything from the first unacknowledged byte on, as
	// cwnd allows ([Tahoe]).
	GoBackN bool
	// KeepTimer asks the sender not to restart the retransmission timer for
	// this new ACK (RFC 6582 restarts it only on the first partial ACK).
	KeepTimer bool
	// Event is what the trace should call this ACK.
	Event Event
}

// Timeout is what the sender tells its congestion control when the
// retransmission timer expires.
type Timeout struct {
	Flight int   // FlightSize in bytes
	High   int64 // highest sequence number sent so far
	// Repeat is true when the segment has already been retransmitted by the
	// timer; RFC 5681 then leaves ssthresh alone.
	Repeat bool
	Now    time.Duration // simulated time of the expiry
}

// CongestionControl is a congestion-control algorithm: a small state machine
// over ACK and timeout events. It keeps its state in the [Window], so one value
// may serve many flows.
type CongestionControl interface {
	// Name is the algorithm's short name.
	Name() string
	// OnAck updates the window for one new or duplicate ACK.
	OnAck(w *Window, a Ack) Action
	// OnTimeout updates the window when the retransmission timer expires.
	OnTimeout(w *Window, t Timeout)
}

// NewCongestionControl returns the algorithm for a variant.
func NewCongestionControl(v Variant) (CongestionControl, error) {
	switch v {
	case VariantTahoe:
		return Tahoe{}, nil
	case VariantReno:
		return Reno{}, nil
	case VariantNewReno:
		return NewReno{}, nil
	case VariantSACK:
		return SACK{}, nil
	case VariantCubic:
		return NewCubic(), nil
	}
	_, err := ParseVariant(string(v))
	return nil, err
}

// timeout is the shared RFC 5681 reaction to a retransmission timeout:
// ssthresh = max(FlightSize/2, 2*SMSS) unless the segment was already resent
// by the timer, cwnd = LW = 1 SMSS, back to slow start.
func timeout(w *Window, t Timeout) {
	if !t.Repeat {
		w.halve(t.Flight)
	}
	w.Cwnd = w.SMSS
	w.PartialAcks = 0
	w.Recover = t.High
	w.settle()
}

// Tahoe is 4.3BSD-[Tahoe] TCP: slow start, congestion avoidance and fast
// retransmit, but no fast recovery. The third duplicate ACK is treated like a
// timeout without the wait: ssthresh is halved, cwnd drops to one segment and
// the sender goes back to the first unacknowledged segment. Like ns-2's [Tahoe]
// it ignores duplicate ACKs for data sent before the last loss episode
// (Recover), so resent data cannot trigger a second fast retransmit.
type Tahoe struct{}

// Name returns "tahoe".
func (Tahoe) Name() string { return string(VariantTahoe) }

// OnAck implements [CongestionControl].
func (Tahoe) OnAck(w *Window, a Ack) Action {
	if a.Kind == NewAck {
		w.grow(a.Acked)
		return Action{Event: EventNewAck}
	}
	if w.DupAcks != 3 || a.Ack <= w.Recover {
		return Action{Event: EventDupAck}
	}
	w.halve(a.Flight)
	w.Cwnd = w.SMSS
	w.Recover = a.High
	w.settle()
	return Action{GoBackN: true, Event: EventFastRetransmit}
}

// OnTimeout implements [CongestionControl].
func (Tahoe) OnTimeout(w *Window, t Timeout) { timeout(w, t) }

// Reno is RFC 5681 TCP Reno: Tahoe plus fast recovery. On the third
// duplicate ACK it halves ssthresh, retransmits, and inflates cwnd to
// ssthresh + 3*SMSS; each further duplicate ACK adds one SMSS; the first ACK
// of new data deflates cwnd to ssthresh and ends fast recovery.
type Reno struct{}

// Name returns "reno".
func (Reno) Name() string { return string(VariantReno) }

// OnAck implements [CongestionControl].
func (Reno) OnAck(w *Window, a Ack) Action {
	if a.Kind == NewAck {
		if w.State == FastRecovery {
			w.Cwnd = w.Ssthresh
			w.settle()
			return Action{Event: EventRecoveryExit}
		}
		w.grow(a.Acked)
		return Action{Event: EventNewAck}
	}
	switch {
	case w.State == FastRecovery:
		w.Cwnd += w.SMSS
	case w.DupAcks == 3:
		enterRecovery(w, a)
		return Action{Retransmit: true, Event: EventFastRetransmit}
	}
	return Action{Event: EventDupAck}
}

// OnTimeout implements [CongestionControl].
func (Reno) OnTimeout(w *Window, t Timeout) { timeout(w, t) }

func enterRecovery(w *Window, a Ack) {
	w.halve(a.Flight)
	w.Cwnd = w.Ssthresh + 3*w.SMSS
	w.State = FastRecovery
	w.Recover = a.High
	w.PartialAcks = 0
}

// NewReno is RFC 6582 TCP [NewReno]: Reno whose fast recovery lasts until every
// segment outstanding at its start (up to Recover) is acknowledged. A partial
// ACK retransmits the next hole at once, deflates cwnd by the data it
// acknowledged and adds back one SMSS; only the first partial ACK restarts the
// timer. Three duplicate ACKs for data at or below Recover do not start a new
// fast retransmit.
type NewReno struct{}

// Name returns "newreno".
func (NewReno) Name() string { return string(VariantNewReno) }

// OnAck implements [CongestionControl].
func (NewReno) OnAck(w *Window, a Ack) Action {
	if a.Kind == NewAck {
		if w.State != FastRecovery {
			w.grow(a.Acked)
			return Action{Event: EventNewAck}
		}
		if a.Ack > w.Recover { // full acknowledgment (RFC 6582 step 6, second option)
			w.Cwnd = w.Ssthresh
			w.settle()
			return Action{Event: EventRecoveryExit}
		}
		// Partial acknowledgment.
		w.Cwnd = max(w.Cwnd-a.Acked, 0)
		if a.Acked >= w.SMSS {
			w.Cwnd += w.SMSS
		}
		w.Cwnd = max(w.Cwnd, w.SMSS)
		w.PartialAcks++
		return Action{Retransmit: true, KeepTimer: w.PartialAcks > 1, Event: EventPartialAck}
	}
	switch {
	case w.State == FastRecovery:
		w.Cwnd += w.SMSS
	case w.DupAcks == 3 && a.Ack > w.Recover:
		enterRecovery(w, a)
		return Action{Retransmit: true, Event: EventFastRetransmit}
	}
	return Action{Event: EventDupAck}
}

// OnTimeout implements [CongestionControl].
func (NewReno) OnTimeout(w *Window, t Timeout) { timeout(w, t) }

// Step is what the simulator's sender does with one ACK before it acts on
// the result: it keeps w.DupAcks (a new ACK resets it, a duplicate ACK adds
// one) and then asks cc. Drive a controller by hand with [Step], not with
// OnAck, so that it sees the same [Window] the simulator would give it.
func Step(cc CongestionControl, w *Window, a Ack) Action {
	if a.Kind == NewAck {
		w.DupAcks = 0
	} else {
		w.DupAcks++
	}
	return cc.OnAck(w, a)
}

// SACK is [NewReno]'s window rules for a sender that recovers with [SACK]
// (RFC 6675): the sender, not the controller, decides what to resend during
// recovery. It differs from [NewReno] only in its name.
type SACK struct{ NewReno }

// Name returns "sack".
func (SACK) Name() string { return string(VariantSACK) }
