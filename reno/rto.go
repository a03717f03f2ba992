package reno

import "time"

// rtoEstimator is the RFC 6298 retransmission-timeout calculation.
//
//	first sample R:   SRTT = R, RTTVAR = R/2
//	later samples R': RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|, SRTT = 7/8 SRTT + 1/8 R'
//	RTO = SRTT + max(G, 4*RTTVAR), clamped to [Min, Max]
//	on expiry:        RTO = min(2*RTO, Max) until the next valid sample (Karn)
type rtoEstimator struct {
	cfg    RTOConfig
	srtt   time.Duration
	rttvar time.Duration
	rto    time.Duration
	valid  bool // at least one sample
}

func newRTOEstimator(cfg RTOConfig) rtoEstimator {
	return rtoEstimator{cfg: cfg, rto: min(max(cfg.Initial, cfg.Min), cfg.Max)}
}

// sample feeds one RTT measurement taken from a segment that was sent once
// (Karn's rule is the caller's job) and recomputes the RTO.
func (e *rtoEstimator) sample(r time.Duration) {
	if !e.valid {
		e.srtt = r
		e.rttvar = r / 2
		e.valid = true
	} else {
		d := e.srtt - r
		if d < 0 {
			d = -d
		}
		e.rttvar = (3*e.rttvar + d) / 4
		e.srtt = (7*e.srtt + r) / 8
	}
	e.rto = min(max(e.srtt+max(e.cfg.Granularity, 4*e.rttvar), e.cfg.Min), e.cfg.Max)
}

// backoff doubles the RTO after an expiry (RFC 6298 5.5).
func (e *rtoEstimator) backoff() {
	e.rto = min(2*e.rto, e.cfg.Max)
}
