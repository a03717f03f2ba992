package reno

import "time"

// hystart is HyStart++ (RFC 9406) for slow start: it watches the minimum
// RTT of each round and, when it rises by more than RttThresh, leaves
// ordinary slow start for conservative slow start (CSS), which grows a
// quarter as fast for CSS_ROUNDS rounds before congestion avoidance begins.
// A drop of the RTT below the baseline during CSS goes back to slow start.
type hystart struct {
	on            bool  // a round is being tracked
	windowEnd     int64 // the round ends when this byte is acknowledged
	lastRoundMin  time.Duration
	curRoundMin   time.Duration
	samples       int
	css           bool
	cssBaseline   time.Duration
	cssRounds     int
	cssBytesAcked int
}

// RFC 9406 section 4.3 constants.
const (
	hsMinRTTThresh  = 4 * time.Millisecond
	hsMaxRTTThresh  = 16 * time.Millisecond
	hsMinRTTDivisor = 8
	hsNRTTSample    = 8
	hsCSSGrowthDiv  = 4
	hsCSSRounds     = 5
	hsInfinity      = time.Duration(1<<63 - 1)
	hsLimitSegments = 8 // L: at most this many segments of growth per ACK (non-paced)
)

func (h *hystart) leave() { *h = hystart{} }

// onAck grows cwnd for one ACK in slow start.
func (h *hystart) onAck(w *Window, a Ack) {
	if !h.on {
		h.on = true
		h.lastRoundMin, h.curRoundMin = hsInfinity, hsInfinity
		h.windowEnd = a.High
	}
	if a.RTT > 0 {
		h.curRoundMin = min(h.curRoundMin, a.RTT)
		h.samples++
	}
	grow := min(a.Acked, hsLimitSegments*w.SMSS)
	if h.css {
		h.cssBytesAcked += grow
		if h.cssBytesAcked >= w.SMSS*hsCSSGrowthDiv {
			w.Cwnd += w.SMSS
			h.cssBytesAcked -= w.SMSS * hsCSSGrowthDiv
		}
		if h.samples >= hsNRTTSample && h.curRoundMin < h.cssBaseline {
			h.css = false // the RTT came back down: a false alarm
		}
	} else {
		w.Cwnd += min(grow, w.SMSS*hsLimitSegments)
		if h.samples >= hsNRTTSample && h.lastRoundMin != hsInfinity && h.curRoundMin != hsInfinity {
			thresh := min(max(h.lastRoundMin/hsMinRTTDivisor, hsMinRTTThresh), hsMaxRTTThresh)
			if h.curRoundMin >= h.lastRoundMin+thresh {
				h.css = true
				h.cssBaseline = h.curRoundMin
				h.cssRounds = 0
			}
		}
	}
	if a.Ack > h.windowEnd { // the round ends
		h.windowEnd = a.High
		h.lastRoundMin, h.curRoundMin, h.samples = h.curRoundMin, hsInfinity, 0
		if h.css {
			h.cssRounds++
			if h.cssRounds >= hsCSSRounds {
				w.Ssthresh = w.Cwnd // enter congestion avoidance
				h.css = false
			}
		}
	}
}
