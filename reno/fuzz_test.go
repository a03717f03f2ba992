package reno

import (
	"testing"
	"time"
)

// FuzzScriptedLosses drives a short flow through arbitrary scripted loss
// patterns (which segment, which copy) with every variant and receiver
// option, and checks the invariants the RFC rules promise: the flow always
// completes (a scripted loss cannot repeat forever), cwnd never falls below
// one SMSS, ssthresh never below two, time never runs backwards, and the
// receiver gets every byte exactly once.
func FuzzScriptedLosses(f *testing.F) {
	f.Add(uint8(1), uint8(40), uint8(0), []byte{5, 0})
	f.Add(uint8(2), uint8(40), uint8(0), []byte{5, 0, 7, 0, 9, 0})
	f.Add(uint8(0), uint8(20), uint8(3), []byte{1, 0, 1, 1, 1, 2})
	f.Add(uint8(1), uint8(12), uint8(1), []byte{5, 0, 6, 0, 7, 0, 8, 0, 9, 0, 10, 0, 11, 0, 5, 1})
	f.Add(uint8(2), uint8(60), uint8(6), []byte{0, 0, 30, 0, 31, 0, 31, 1, 59, 0})
	f.Add(uint8(3), uint8(60), uint8(10), []byte{5, 0, 7, 0, 9, 0, 11, 0, 9, 1, 30, 0})
	f.Fuzz(func(t *testing.T, variant, segments, opts uint8, script []byte) {
		const mss = 1000
		n := int64(segments%64) + 1
		cfg := DefaultConfig()
		cfg.Link.Bandwidth = 10e6
		cfg.Link.Buffer = 1000
		cfg.Flows[0].Variant = Variants[int(variant)%len(Variants)]
		cfg.Flows[0].Bytes = n * mss
		cfg.Flows[0].DelayedAck = opts&1 != 0
		cfg.Flows[0].LimitedTransmit = opts&2 != 0
		cfg.Flows[0].ByteCounting = opts&4 != 0
		cfg.Flows[0].WholeSegments = opts&8 != 0
		cfg.Duration = 1000 * time.Second
		for i := 0; i+1 < len(script) && i < 40; i += 2 {
			seg := int64(script[i]) % n
			cfg.Link.Drops = append(cfg.Link.Drops, Drop{Seq: 1 + seg*mss, Copy: int(script[i+1] % 3)})
		}
		var last time.Duration
		cfg.OnEvent = func(r Record) {
			if r.Time < last {
				t.Fatalf("time ran backwards: %v after %v", r.Time, last)
			}
			last = r.Time
			if r.Cwnd < mss {
				t.Fatalf("cwnd %d < SMSS at %v (%s)", r.Cwnd, r.Time, r.Event)
			}
			if r.Ssthresh < 2*mss {
				t.Fatalf("ssthresh %d < 2*SMSS at %v", r.Ssthresh, r.Time)
			}
			if r.Flight < 0 {
				t.Fatalf("negative FlightSize at %v", r.Time)
			}
			if r.State == FastRecovery && cfg.Flows[0].Variant == VariantTahoe {
				t.Fatalf("Tahoe in fast recovery")
			}
		}
		fs := runSim(t, cfg).Flows[0]
		if !fs.Done || fs.Delivered != n*mss {
			t.Fatalf("flow not complete: done=%v delivered=%d of %d, %d timeouts", fs.Done, fs.Delivered, n*mss, fs.Timeouts)
		}
		if fs.Retransmissions > fs.SegmentsSent {
			t.Fatalf("%d retransmissions of %d segments", fs.Retransmissions, fs.SegmentsSent)
		}
	})
}
