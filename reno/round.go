package reno

import (
	"math"
	"math/rand/v2"
	"time"
)

// RoundConfig describes a run of the course's per-RTT round model.
type RoundConfig struct {
	Variant Variant       // tahoe, or reno/newreno (the same in this model)
	Loss    float64       // probability that each packet of a round is lost, in [0,1)
	RTT     time.Duration // length of one round; > 0
	MSS     int           // bytes per packet; > 0
	Rounds  int           // rounds to run; > 0
	// InitialCwnd in packets; 0 means 1.
	InitialCwnd float64
	// InitialSsthresh in packets; 0 means unbounded.
	InitialSsthresh float64
	Seed            uint64
}

// DefaultRoundConfig returns 200 rounds of [Reno] with 1% loss, 100 ms
// rounds and 1000-byte packets.
func DefaultRoundConfig() RoundConfig {
	return RoundConfig{Variant: VariantReno, Loss: 0.01, RTT: 100 * time.Millisecond, MSS: 1000, Rounds: 200, Seed: 1}
}

// Round is one round of the round model.
type Round struct {
	N         int     // round number from 0
	Cwnd      float64 // packets sent this round
	Ssthresh  float64 // packets, +Inf until the first loss
	Sent      int
	Delivered int
	Event     Event // EventNewAck (no loss), EventFastRetransmit or EventTimeout
}

// RoundResult is what a round-model run did. Trace has one [Record] per round
// (cwnd and ssthresh in bytes) so [Narrator] and the charts work on it too.
type RoundResult struct {
	Rounds         []Round
	Trace          []Record
	Throughput     float64 // delivered bits per second
	LossEvents     int
	FastRecoveries int
	Timeouts       int
}

// RunRounds runs the course's round model. Each round of one RTT:
//
//  1. send floor(cwnd) packets; flip a coin for each, lost with probability Loss;
//  2. no loss: cwnd doubles below ssthresh, else grows by one;
//  3. a loss with at least 3 delivered packets in the same round counts as
//     "3 duplicate ACKs": ssthresh = cwnd/2 and cwnd = ssthresh (Reno) or 1 (Tahoe);
//  4. a loss with fewer is a "timeout": ssthresh = cwnd/2, cwnd = 1.
//
// The package documentation lists where this differs from TCP.
func RunRounds(cfg RoundConfig) (*RoundResult, error) {
	if _, err := ParseVariant(string(cfg.Variant)); err != nil {
		return nil, invalid("RoundConfig.Variant: unknown variant %q (want tahoe, reno or newreno)", cfg.Variant)
	}
	switch {
	case !(cfg.Loss >= 0 && cfg.Loss < 1):
		return nil, invalid("RoundConfig.Loss must be in [0,1), got %v", cfg.Loss)
	case cfg.RTT <= 0:
		return nil, invalid("RoundConfig.RTT must be > 0, got %v", cfg.RTT)
	case cfg.MSS <= 0:
		return nil, invalid("RoundConfig.MSS must be > 0 bytes, got %d", cfg.MSS)
	case cfg.Rounds <= 0:
		return nil, invalid("RoundConfig.Rounds must be > 0, got %d", cfg.Rounds)
	case cfg.InitialCwnd < 0 || cfg.InitialSsthresh < 0:
		return nil, invalid("RoundConfig.InitialCwnd and InitialSsthresh must be >= 0")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	cwnd, ssthresh := cfg.InitialCwnd, cfg.InitialSsthresh
	if cwnd == 0 {
		cwnd = 1
	}
	if ssthresh == 0 {
		ssthresh = math.Inf(1)
	}
	res := &RoundResult{}
	var delivered int64
	for n := 0; n < cfg.Rounds; n++ {
		r := Round{N: n, Cwnd: cwnd, Ssthresh: ssthresh, Sent: int(cwnd), Event: EventNewAck}
		lost := 0
		for i := 0; i < r.Sent; i++ {
			if rng.Float64() < cfg.Loss {
				lost++
			}
		}
		r.Delivered = r.Sent - lost
		delivered += int64(r.Delivered)
		state := SlowStart
		switch {
		case lost == 0 && cwnd < ssthresh:
			cwnd *= 2
		case lost == 0:
			cwnd++
		case r.Delivered >= 3: // "3 duplicate ACKs"
			res.LossEvents++
			ssthresh = math.Max(cwnd/2, 2)
			r.Event = EventFastRetransmit
			if cfg.Variant == VariantTahoe {
				cwnd = 1
			} else {
				cwnd = ssthresh
				state = FastRecovery
				res.FastRecoveries++
			}
		default: // "timeout"
			res.LossEvents++
			res.Timeouts++
			ssthresh = math.Max(cwnd/2, 2)
			cwnd = 1
			r.Event = EventTimeout
		}
		if state != FastRecovery && cwnd >= ssthresh {
			state = CongestionAvoidance
		}
		res.Rounds = append(res.Rounds, r)
		res.Trace = append(res.Trace, roundRecord(cfg, n+1, r.Event, cwnd, ssthresh, state))
	}
	res.Throughput = float64(delivered) * float64(cfg.MSS) * 8 / (float64(cfg.Rounds) * cfg.RTT.Seconds())
	return res, nil
}

func roundRecord(cfg RoundConfig, n int, ev Event, cwnd, ssthresh float64, st State) Record {
	ss := InfiniteSsthresh
	if !math.IsInf(ssthresh, 1) {
		ss = int(ssthresh * float64(cfg.MSS))
	}
	timeout := time.Duration(0)
	if ev == EventTimeout {
		timeout = cfg.RTT // the model charges one round for a timeout
	}
	return Record{
		Time: time.Duration(n) * cfg.RTT, Event: ev, Cwnd: int(cwnd * float64(cfg.MSS)),
		Ssthresh: ss, State: st, Flight: int(math.Floor(cwnd)) * cfg.MSS, RTO: timeout,
	}
}
