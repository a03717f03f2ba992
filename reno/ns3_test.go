package reno

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests in this file reproduce the scenarios of ns-3's TCP test suite
// (src/internet/test in ns-3-dev) for slow start, congestion avoidance and
// classic recovery. They were written from the scenario descriptions in
// tcp-slow-start-test.cc, tcp-cong-avoid-test.cc and
// tcp-classic-recovery-test.cc and from RFC 5681's arithmetic; no ns-3 code
// is used. Where ns-3 tests something this simulator does not model (a
// duplicate-ACK threshold other than 3, a receiver that acknowledges 125
// bytes at a time), the test says what it checks instead.

// TestNS3SlowStart is tcp-slow-start-test's TcpSlowStartNormalTest: initial
// ssthresh 400000 bytes, segment sizes 500 and 1000, 10 or 9 packets. Every
// change of cwnd in slow start is exactly one SMSS, cwnd never passes
// ssthresh, and cwnd grows at most once per SMSS of newly acknowledged data;
// with one ACK per segment each ACK adds one SMSS (RFC 5681 equation 2).
func TestNS3SlowStart(t *testing.T) {
	for _, c := range []struct{ mss, packets int }{{500, 10}, {1000, 9}} {
		t.Run(fmt.Sprintf("mss=%d", c.mss), func(t *testing.T) {
			cfg := scriptConfig(VariantNewReno, int64(c.mss*c.packets))
			cfg.Flows[0].MSS = c.mss
			cfg.Flows[0].InitialSsthresh = 400000
			res, got := runTrace(t, cfg)
			require.True(t, res.Flows[0].Done)
			require.Len(t, got, c.packets, "one ACK per segment")
			cwnd := InitialWindow(c.mss)
			var acked int64 = 1
			for _, r := range got {
				require.Equal(t, EventNewAck, r.Event)
				assert.Equal(t, cwnd+c.mss, r.Cwnd, "each ACK adds exactly one SMSS")
				assert.LessOrEqual(t, r.Cwnd, 400000)
				assert.Equal(t, SlowStart, r.State)
				// At most one SMSS of growth per SMSS acknowledged.
				assert.LessOrEqual(t, int64(r.Cwnd-InitialWindow(c.mss)), r.Seq-1)
				assert.Equal(t, acked+int64(c.mss), r.Seq)
				cwnd, acked = r.Cwnd, r.Seq
			}
			// The doubling takes one RTT: the ACK of the first window's last
			// segment arrives one RTT (plus serialisation) after the first.
			iw := InitialWindow(c.mss) / c.mss
			assert.InDelta(t, 0, (got[iw].Time - got[0].Time - 100*time.Millisecond).Seconds(), 0.001)
		})
	}
}

// TestNS3SlowStartSmallAcks stands for tcp-slow-start-test's
// TcpSlowStartAttackerTest, whose receiver acknowledges 125 bytes at a time:
// slow start must not grow faster because ACKs are smaller. Per RFC 5681,
// cwnd += min(N, SMSS) for N newly acknowledged bytes, so four ACKs of 125
// bytes add what one ACK of 500 does.
func TestNS3SlowStartSmallAcks(t *testing.T) {
	small := NewWindow(500, 0, 400000)
	whole := NewWindow(500, 0, 400000)
	for i := 0; i < 40; i++ {
		Step(Reno{}, &small, Ack{Kind: NewAck, Acked: 125})
		if i%4 == 3 {
			Step(Reno{}, &whole, Ack{Kind: NewAck, Acked: 500})
		}
		assert.LessOrEqual(t, small.Cwnd-InitialWindow(500), (i+1)*125)
	}
	assert.Equal(t, whole.Cwnd, small.Cwnd)
	assert.Equal(t, InitialWindow(500)+10*500, small.Cwnd)
}

// TestNS3CongestionAvoidance is tcp-cong-avoid-test's
// TcpNewRenoCongAvoidNormalTest: MSS 500, a transfer of 10 to 50 packets
// that starts in congestion avoidance (ns-3 sets the initial ssthresh to 0;
// here it is the RFC 5681 floor, 2*SMSS, below the initial window), no
// losses. In every RTT the total increase of cwnd must not exceed one SMSS
// (RFC 5681: "MUST NOT increment cwnd by more than SMSS bytes" per RTT).
// With whole segments (ns-3 counts cwnd in segments too) it is exactly one
// SMSS per window of ACKs.
func TestNS3CongestionAvoidance(t *testing.T) {
	for packets := 10; packets <= 50; packets += 10 {
		for _, whole := range []bool{false, true} {
			t.Run(fmt.Sprintf("packets=%d/whole=%v", packets, whole), func(t *testing.T) {
				cfg := scriptConfig(VariantNewReno, int64(500*packets))
				cfg.Flows[0].MSS = 500
				cfg.Flows[0].InitialSsthresh = 1000
				cfg.Flows[0].WholeSegments = whole
				res, got := runTrace(t, cfg)
				require.True(t, res.Flows[0].Done)
				require.Equal(t, int64(500*packets), res.Flows[0].Delivered)
				// Sum the increases in consecutive RTTs (100.04 ms here).
				start, base := got[0].Time, InitialWindow(500)
				prev := base
				for _, r := range got {
					assert.Equal(t, CongestionAvoidance, r.State)
					if r.Time-start >= 100*time.Millisecond {
						assert.LessOrEqual(t, prev-base, 500, "increase in the RTT from %v", start)
						start, base = r.Time, prev
					}
					if whole {
						assert.Zero(t, r.Cwnd%500, "whole segments")
					}
					prev = r.Cwnd
				}
				assert.LessOrEqual(t, prev-base, 500)
				if whole {
					// IW = 4 segments: after 4 ACKs 5, after 5 more 6, ...
					w, n := 4, 0
					for _, r := range got {
						n++
						if n == w {
							w, n = w+1, 0
						}
						assert.Equal(t, w*500, r.Cwnd)
					}
				}
			})
		}
	}
}

// TestNS3ClassicRecovery is tcp-classic-recovery-test's ClassicRecoveryTest
// with its six cases (cwnd, segment size, ssthresh). ns-3 keeps the inflated
// window apart (cWndInfl); this package inflates cwnd itself, so the checks
// read: on entering recovery cwnd = ssthresh + 3*SMSS, each further
// duplicate ACK adds one SMSS, and the ACK that ends recovery sets cwnd =
// ssthresh. ns-3 hands EnterRecovery its ssthresh; here it comes from
// FlightSize (RFC 5681 equation 4), so each case picks the FlightSize that
// gives ns-3's ssthresh. ns-3's fourth-duplicate-ACK threshold case is not
// reproduced: the threshold is fixed at 3 here, as RFC 5681 sets it.
func TestNS3ClassicRecovery(t *testing.T) {
	for _, c := range []struct{ cwnd, smss, ssthresh int }{
		{3000, 500, 2500}, {3000, 1000, 2500}, {3000, 500, 1000},
		{2500, 500, 2500}, {1000, 500, 2500},
	} {
		for _, cc := range []CongestionControl{Reno{}, NewReno{}} {
			t.Run(fmt.Sprintf("%s/cwnd=%d/smss=%d/ssthresh=%d", cc.Name(), c.cwnd, c.smss, c.ssthresh), func(t *testing.T) {
				w := NewWindow(c.smss, c.cwnd, 0)
				flight := 2 * c.ssthresh
				for i := 0; i < 3; i++ {
					Step(cc, &w, Ack{Kind: DupAck, Ack: 1, Flight: flight, High: 100000})
				}
				require.Equal(t, FastRecovery, w.State)
				assert.Equal(t, c.ssthresh, w.Ssthresh)
				assert.Equal(t, c.ssthresh+3*c.smss, w.Cwnd, "entering recovery")
				Step(cc, &w, Ack{Kind: DupAck, Ack: 1, Flight: flight, High: 100000})
				assert.Equal(t, c.ssthresh+4*c.smss, w.Cwnd, "one more duplicate ACK")
				act := Step(cc, &w, Ack{Kind: NewAck, Ack: 100001, Acked: 100000, High: 100000})
				assert.Equal(t, EventRecoveryExit, act.Event)
				assert.Equal(t, c.ssthresh, w.Cwnd, "leaving recovery")
				assert.Equal(t, c.ssthresh, w.Ssthresh)
			})
		}
	}
}
