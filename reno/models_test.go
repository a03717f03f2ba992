package reno

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMathisFormula(t *testing.T) {
	// 1000-byte segments, 100 ms, p = 1%: sqrt(150) = 12.247 segments per RTT.
	got := Mathis(1000, 100*time.Millisecond, 0.01, 1)
	assert.InDelta(t, 8*1000*10*math.Sqrt(1.5/0.01), got, 1e-6)
	// Delayed ACKs (b=2) divide by sqrt(2).
	assert.InDelta(t, got/math.Sqrt2, Mathis(1000, 100*time.Millisecond, 0.01, 2), 1e-6)
	assert.True(t, math.IsInf(Mathis(1000, time.Second, 0, 1), 1))
	assert.Zero(t, Mathis(1000, 0, 0.1, 1))
}

func TestPFTKFormula(t *testing.T) {
	rtt, t0 := 100*time.Millisecond, time.Second
	// For small p the timeout term vanishes and PFTK tends to Mathis with
	// C = sqrt(3/2).
	assert.InDelta(t, 1, PFTK(1000, rtt, 1e-6, 1, t0, 0)/Mathis(1000, rtt, 1e-6, 1), 0.01)
	// By hand for p = 0.05, b = 1:
	// 0.1*sqrt(0.1/3) + 1*min(1, 3*sqrt(0.01875))*0.05*(1+0.08)
	den := 0.1*math.Sqrt(0.1/3) + math.Min(1, 3*math.Sqrt(3*0.05/8))*0.05*1.08
	assert.InDelta(t, 8000/den, PFTK(1000, rtt, 0.05, 1, t0, 0), 1e-6)
	// The receiver window caps it.
	assert.InDelta(t, 8000*10/0.1, PFTK(1000, rtt, 1e-6, 1, t0, 10), 1e-6)
	assert.InDelta(t, 8000*10/0.1, PFTK(1000, rtt, 0, 1, t0, 10), 1e-6)
	// Always below Mathis: timeouts only cost.
	for _, p := range []float64{0.001, 0.01, 0.1} {
		assert.Less(t, PFTK(1000, rtt, p, 1, t0, 0), Mathis(1000, rtt, p, 1))
	}
}

// modelConfig is a long flow that only the configured loss limits: a link
// far faster than the flow needs, a buffer that never fills, 100 ms RTT.
func modelConfig(p float64, pattern LossPattern, seed uint64) Config {
	cfg := DefaultConfig()
	cfg.Link.Bandwidth = 100e6
	cfg.Link.Buffer = 10000
	cfg.Link.Loss = p
	cfg.Link.Pattern = pattern
	cfg.Duration = 300 * time.Second
	cfg.Warmup = 20 * time.Second
	cfg.Seed = seed
	return cfg
}

func runSummary(t *testing.T, cfg Config) FlowStats {
	t.Helper()
	return runSim(t, cfg).Flows[0]
}

// renoPeriodic is Mathis' sawtooth with the two round trips a Reno sender
// spends on each loss, in segments per RTT over the link (the lost segment
// is not delivered). With n = 1/p segments sent per loss and the window
// climbing from a to 2a segments, one cycle is
//
//	a+1 rounds of congestion avoidance, windows a, a+1, ..., 2a
//	    (the last is the detection round: the window stays at 2a for
//	    the round trip it takes the duplicate ACKs to come back)
//	1 fast-recovery round, about a segments, cwnd not growing
//	n = 3/2 a(a+1) + a,  T = a + 2 round trips
//
// where Mathis has n = 3/2 a^2 in a round trips.
func renoPeriodic(p float64) float64 {
	n := 1 / p
	a := (-2.5 + math.Sqrt(6.25+6*n)) / 3
	return (n - 1) / (a + 2)
}

// cycleStats follows the fast retransmits of flow 0 after the warm-up.
type cycleStats struct {
	warmup      time.Duration
	first, last time.Duration // first and last fast retransmit
	cycles      int           // fast retransmit to fast retransmit
	ssthresh    float64       // sum of ssthresh after each, bytes
	frStart     time.Duration
	frLen       []time.Duration // each fast recovery, retransmit to exit
}

func (c *cycleStats) record(r Record) {
	if r.Time < c.warmup {
		return
	}
	switch r.Event {
	case EventFastRetransmit:
		if c.first == 0 {
			c.first = r.Time
		} else {
			c.cycles++
			c.ssthresh += float64(r.Ssthresh)
		}
		c.last, c.frStart = r.Time, r.Time
	case EventRecoveryExit:
		if c.frStart != 0 {
			c.frLen = append(c.frLen, r.Time-c.frStart)
		}
	}
}

// TestMathisAgreementPeriodicLoss drops exactly one packet in every 1/p
// sent (retransmissions count) from a long Reno flow with the RFC 5681
// RECOMMENDED byte counting and limited transmit (RFC 3042), over a link
// fast enough (100 Mb/s, 1250 packets per RTT) that the window never queues.
//
// The issue asks for 10% of Mathis at p = 0.001, 0.005, 0.01 and 0.02. An
// RFC 5681 Reno sender meets that at p = 0.001 but not from p = 0.005 on
// (it does up to p = 0.004, W/2 = 13 segments), and this test pins why (see doc.go, "Where the models come from"). Mathis' tooth climbs from
// W/2 to W in W/2 round trips and halves the moment it reaches W. Reno's
// climbs from a to 2a and then spends two more round trips: the window stays
// at its peak for the round trip the duplicate ACKs take to come back, and
// fast recovery takes one more in which cwnd does not grow. Those carry
// segments too, so for the same 1/p the window stays lower (a < W/2) and the
// cycle is still 1-2 round trips longer than W/2. Measured (sim/Mathis,
// cycle in RTTs, Mathis' W/2, ssthresh a in segments, renoPeriodic/Mathis):
//
//	p       sim/Mathis  cycle  W/2    a     model
//	0.0002  0.982       58.77  57.74  57.0  0.980
//	0.001   0.956       27.00  25.82  25.0  0.955
//	0.005   0.861       13.34  11.55  10.5  0.902
//	0.01    0.851        9.50   8.16   7.0  0.862
//	0.02    0.808        7.00   5.77   5.0  0.808
//
// At p = 0.005 FlightSize at the third duplicate ACK is 21 segments, so
// ssthresh is 10.5: only 10 whole segments fit, and byte counting (one SMSS
// per cwnd of acknowledged bytes) then sometimes needs a second round trip
// for one SMSS, which costs 0.85 RTT more per cycle. (At p = 0.015, with
// ssthresh 5.5, the same costs 1.5 RTT: 0.729 of Mathis, 0.833 modelled.)
// The gap to Mathis is O(1/W): 2.1% at p = 0.0001.
func TestMathisAgreementPeriodicLoss(t *testing.T) {
	for _, p := range []float64{0.0002, 0.001, 0.005, 0.01, 0.02} {
		cfg := modelConfig(p, LossPeriodic, 1)
		cfg.Flows[0].ByteCounting = true
		cfg.Flows[0].LimitedTransmit = true
		if p < 0.001 {
			cfg.Duration = 420 * time.Second // cycles of 5.9 s
		}
		cs := &cycleStats{warmup: cfg.Warmup}
		cfg.OnEvent = cs.record
		f := runSummary(t, cfg)

		// The RTT the flow sees: 100 ms of propagation plus 80 µs to
		// serialise a segment; ACKs do not queue, and neither does data.
		rtt := f.SRTT
		assert.InDelta(t, 100.08, float64(rtt)/1e6, 0.01, "p=%v: the window must never queue", p)
		model := Mathis(1000, rtt, p, 1)
		ratio := f.Throughput / model
		segPerRTT := f.Throughput / 8000 * rtt.Seconds()

		require.Greater(t, cs.cycles, 50, "p=%v: measure over many cycles", p)
		cycle := (cs.last - cs.first).Seconds() / float64(cs.cycles) / rtt.Seconds()
		a := cs.ssthresh / float64(cs.cycles) / 1000
		t.Logf("p=%g simulated %s, Mathis %s, ratio %.3f; cycle %.2f RTT (Mathis %.2f), ssthresh %.2f segments, model %.3f",
			p, Rate(f.Throughput), Rate(model), ratio, cycle, math.Sqrt(2/(3*p)), a, renoPeriodic(p)/math.Sqrt(1.5/p))

		assert.Zero(t, f.Timeouts, "p=%v: every loss is repaired by fast retransmit", p)
		// One retransmission replaces each lost segment: throughput and
		// goodput are the same data.
		assert.InDelta(t, f.Throughput, f.Goodput, 0.002*f.Throughput, "p=%v", p)
		// Throughput is one cycle's delivered segments over its length.
		assert.InDelta(t, (1/p-1)/cycle, segPerRTT, 0.01*segPerRTT, "p=%v", p)
		// Each fast recovery lasts one round trip: the retransmission's.
		require.GreaterOrEqual(t, len(cs.frLen), cs.cycles, "p=%v", p)
		for _, d := range cs.frLen {
			require.InDelta(t, rtt.Seconds(), d.Seconds(), 0.005, "p=%v", p)
		}
		// The cycle: a round trips of growth from a to 2a, the detection
		// round trip and the recovery round trip. Less when a hole early in
		// its round lets recovery send within the detection burst; more
		// when a half-segment ssthresh loses round trips to whole segments.
		assert.GreaterOrEqual(t, cycle-a, 1.5, "p=%v", p)
		assert.LessOrEqual(t, cycle-a, 3.6, "p=%v", p)
		// So the sawtooth with those two round trips predicts the rate when
		// ssthresh is whole segments, and bounds it from above otherwise.
		if math.Abs(a-math.Round(a)) < 0.01 {
			assert.InDelta(t, 1, segPerRTT/renoPeriodic(p), 0.025, "p=%v", p)
		} else {
			assert.InDelta(t, 0.93, segPerRTT/renoPeriodic(p), 0.08, "p=%v", p)
		}
		// And Mathis is an upper bound that Reno approaches as W grows:
		// within the 10% at p = 0.001, within 3% at p = 0.0002.
		assert.Less(t, ratio, 1.0, "p=%v", p)
		if p <= 0.001 {
			assert.InDelta(t, 1, ratio, 0.10, "p=%v", p)
		}
		if p <= 0.0002 {
			assert.InDelta(t, 1, ratio, 0.03, "p=%v", p)
		}
	}
}

// TestMathisAgreementPeriodicLossEquation3 pins what plain equation 3
// (cwnd += SMSS*SMSS/cwnd per ACK) gives: growth of slightly under one SMSS
// per RTT, so further below the model.
func TestMathisAgreementPeriodicLossEquation3(t *testing.T) {
	for _, p := range []float64{0.001, 0.005, 0.01, 0.02} {
		f := runSummary(t, modelConfig(p, LossPeriodic, 1))
		ratio := f.Throughput / Mathis(1000, 100*time.Millisecond, p, 1)
		t.Logf("p=%.3f ratio %.3f", p, ratio)
		assert.InDelta(t, 0.87, ratio, 0.08, "p=%v", p)
	}
}

// TestPFTKAgreementRandomLoss uses plain Reno (equation 3, no limited
// transmit) with Bernoulli loss and the RFC 6298 1 s minimum RTO, which is
// PFTK's T0 here, averaged over two seeds.
func TestPFTKAgreementRandomLoss(t *testing.T) {
	for _, p := range []float64{0.001, 0.003, 0.01, 0.02, 0.05} {
		var sum float64
		for seed := uint64(1); seed <= 2; seed++ {
			f := runSummary(t, modelConfig(p, LossBernoulli, seed))
			sum += f.Throughput
		}
		sim := sum / 2
		model := PFTK(1000, 100*time.Millisecond, p, 1, time.Second, 0)
		t.Logf("p=%.3f simulated %s, PFTK %s, ratio %.3f", p, Rate(sim), Rate(model), sim/model)
		assert.InDelta(t, 1, sim/model, 0.25, "p=%v", p)
	}
}
