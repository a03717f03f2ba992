package reno

import (
	"math"
	"time"
)

// Mathis returns the [Mathis] et al. (1997) steady-state throughput of a TCP
// flow in bits per second:
//
//	B = (MSS / RTT) * C / sqrt(p),  C = sqrt(3 / (2b))
//
// mss is in bytes, p is the loss probability per packet and b the number of
// segments acknowledged by one ACK (1, or 2 with delayed ACKs). It returns
// +Inf for p <= 0 and 0 for a non-positive rtt or mss.
func Mathis(mss int, rtt time.Duration, p float64, b int) float64 {
	if mss <= 0 || rtt <= 0 {
		return 0
	}
	if p <= 0 {
		return math.Inf(1)
	}
	b = max(b, 1)
	return 8 * float64(mss) / rtt.Seconds() * math.Sqrt(3/(2*float64(b)*p))
}

// PFTK returns the Padhye, Firoiu, Towsley and Kurose (1998) throughput of a
// Reno flow in bits per second, the "full model" approximation that counts
// timeouts and the receiver window:
//
//	B = min( Wmax/RTT,  1 / ( RTT*sqrt(2bp/3) + T0*min(1, 3*sqrt(3bp/8))*p*(1+32p^2) ) )
//
// in segments per second, times 8*mss. t0 is the retransmission timeout and
// wmax the largest window in segments (0 means no limit). It returns +Inf for
// p <= 0 without a window limit and 0 for a non-positive rtt or mss.
func PFTK(mss int, rtt time.Duration, p float64, b int, t0 time.Duration, wmax int) float64 {
	if mss <= 0 || rtt <= 0 {
		return 0
	}
	b = max(b, 1)
	r := rtt.Seconds()
	limit := math.Inf(1)
	if wmax > 0 {
		limit = float64(wmax) / r
	}
	if p <= 0 {
		return 8 * float64(mss) * limit
	}
	bp := float64(b) * p
	den := r*math.Sqrt(2*bp/3) + t0.Seconds()*math.Min(1, 3*math.Sqrt(3*bp/8))*p*(1+32*p*p)
	return 8 * float64(mss) * math.Min(limit, 1/den)
}

// RenoCycle returns the throughput, in bits per second, of the exact [Reno]
// cycle under periodic loss (one segment in every 1/p lost), one ACK per
// segment: ssthresh a solves
//
//	1/p = 3/2 a(a+1) + a
//
// segments per cycle of a+2 round trips (the window climbs a, a+1, ..., 2a,
// the last round being the detection round, then one round of fast
// recovery at about a segments), and the rate is (1/p - 1)/(a+2) segments
// per RTT, since the lost segment is not delivered. The package
// documentation derives it and shows why [Mathis] is its limit as p -> 0.
// It returns +Inf for p <= 0 and 0 for a non-positive rtt or mss.
func RenoCycle(mss int, rtt time.Duration, p float64) float64 {
	if mss <= 0 || rtt <= 0 {
		return 0
	}
	if p <= 0 {
		return math.Inf(1)
	}
	n := 1 / p
	a := (-2.5 + math.Sqrt(6.25+6*n)) / 3
	return 8 * float64(mss) / rtt.Seconds() * (n - 1) / (a + 2)
}

// RenoCycleSegments is [RenoCycle] with the window in whole segments, as a
// sender that counts cwnd in segments keeps it ([FlowConfig.WholeSegments],
// or Linux). ssthresh a is a whole number and the peak W is 2a or 2a+1
// (ssthresh = floor(W/2)), so the possible cycles are
//
//	W = 2a:    3/2 a(a+1) + a        segments in a+2 round trips
//	W = 2a+1:  3/2 a(a+1) + 3a + 1   segments in a+3 round trips
//
// A loss period 1/p that falls between two neighbouring cycles makes the
// sender alternate between them so that the cycles average 1/p segments;
// the round trips per cycle are then the same mix of theirs, a linear
// interpolation. The rate is (1/p - 1) segments per that many round trips.
func RenoCycleSegments(mss int, rtt time.Duration, p float64) float64 {
	if mss <= 0 || rtt <= 0 {
		return 0
	}
	if p <= 0 {
		return math.Inf(1)
	}
	n := 1 / p
	rounds := cycleRounds(n)
	return 8 * float64(mss) / rtt.Seconds() * (n - 1) / rounds
}

// cycleRounds interpolates round trips per cycle between the whole-segment
// cycles that bracket n segments per cycle.
func cycleRounds(n float64) float64 {
	// Cycles in increasing segments: (a, 2a), (a, 2a+1), (a+1, 2a+2), ...
	seg := func(a, extra float64) (float64, float64) {
		s := 1.5*a*(a+1) + a
		if extra == 1 {
			return s + 2*a + 1, a + 3
		}
		return s, a + 2
	}
	prevS, prevR := seg(1, 0)
	if n <= prevS {
		return prevR * n / prevS
	}
	for a := 1.0; ; a++ {
		for _, extra := range []float64{1, 0} {
			aa := a
			if extra == 0 {
				aa = a + 1
			}
			s, r := seg(aa, extra)
			if n <= s {
				return prevR + (r-prevR)*(n-prevS)/(s-prevS)
			}
			prevS, prevR = s, r
		}
	}
}

// CubicResponse returns CUBIC's average throughput under periodic loss p in
// bits per second, RFC 9438 section 5.1: the average window
//
//	W_avg = (C (3+beta) / (4 (1-beta)))^(1/4) * RTT^(3/4) / p^(3/4)  segments
//
// with C = 0.4 and beta = 0.7, or [Reno]'s sqrt(3/(2p)) where that is larger
// (the [Reno]-friendly region, where CUBIC behaves as an AIMD with [Reno]'s
// average). It returns +Inf for p <= 0 and 0 for a non-positive rtt or mss.
func CubicResponse(mss int, rtt time.Duration, p float64) float64 {
	if mss <= 0 || rtt <= 0 {
		return 0
	}
	if p <= 0 {
		return math.Inf(1)
	}
	const c, beta = 0.4, 0.7
	w := math.Pow(c*(3+beta)/(4*(1-beta)), 0.25) * math.Pow(rtt.Seconds(), 0.75) / math.Pow(p, 0.75)
	w = math.Max(w, math.Sqrt(3/(2*p)))
	return 8 * float64(mss) * w / rtt.Seconds()
}
