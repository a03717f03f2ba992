package reno

import (
	"math"
	"time"
)

// Mathis returns the Mathis et al. (1997) steady-state throughput of a TCP
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
