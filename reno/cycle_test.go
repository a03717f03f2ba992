package reno

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRenoCycleFormulas(t *testing.T) {
	// p = 1/69: a = 6 solves 3/2*6*7 + 6 = 69 exactly, 8 round trips.
	p := 1.0 / 69
	want := 8000 / 0.1 * 68 / 8
	assert.InDelta(t, want, RenoCycle(1000, 100*time.Millisecond, p), 1e-6)
	assert.InDelta(t, want, RenoCycleSegments(1000, 100*time.Millisecond, p), 1e-6)
	// Between the cycles (a=5, W=11: 61 segments, 8 RTTs) and (a=6, W=12:
	// 69 segments, 8 RTTs) the whole-segment model stays at 8 RTTs.
	assert.InDelta(t, 8000/0.1*64/8, RenoCycleSegments(1000, 100*time.Millisecond, 1.0/65), 1e-6)
	// Between (a=5, W=10: 50, 7 RTTs) and (a=5, W=11: 61, 8 RTTs): half way.
	assert.InDelta(t, 8000/0.1*54.5/7.5, RenoCycleSegments(1000, 100*time.Millisecond, 1/55.5), 1e-6)
	// Mathis is the limit as p -> 0: the ratio is 1 - 7/6*sqrt(3p/2) + O(p).
	for _, p := range []float64{1e-4, 1e-6, 1e-8} {
		r := RenoCycle(1000, time.Second, p) / Mathis(1000, time.Second, p, 1)
		assert.InDelta(t, 1-7.0/6*math.Sqrt(1.5*p), r, 3*p+1e-9, "p=%v", p)
	}
	assert.True(t, math.IsInf(RenoCycle(1000, time.Second, 0), 1))
	assert.Zero(t, RenoCycleSegments(0, time.Second, 0.1))
}

// cycleRow is one line of the periodic-loss accuracy table in doc.go.
type cycleRow struct {
	p     float64
	tol   float64 // allowed |sim/RenoCycleSegments - 1|
	whole float64 // sim / RenoCycleSegments, measured
}

// TestRenoCycleModelPeriodicLoss is the accuracy table of doc.go: a long
// Reno flow with whole-segment windows (FlowConfig.WholeSegments, as Linux
// counts them) and limited transmit, one segment in 1/p dropped, over a link
// that never queues. From p = 0.0005 to 0.04 the simulator is within 2% of
// the exact cycle model in whole segments, except two named cases:
//
//   - p = 0.015 (3.2% above): the hole falls early in its round, so the
//     recovery round's segments go out inside the detection round and the
//     cycle is a quarter of a round trip shorter than the model's.
//   - p = 0.05 (17% below): the peak window is 5 segments and the hole is
//     among the last three of its round, so the third duplicate ACK needs
//     the limited-transmit segments and one more round trip: 6 round trips
//     where the cycle model counts 5. The model assumes detection in one.
func TestRenoCycleModelPeriodicLoss(t *testing.T) {
	rows := []cycleRow{
		{p: 0.0005, tol: 0.02}, {p: 0.001, tol: 0.02}, {p: 0.002, tol: 0.02},
		{p: 0.003, tol: 0.02}, {p: 0.005, tol: 0.02}, {p: 0.0075, tol: 0.02},
		{p: 0.01, tol: 0.02}, {p: 0.015, tol: 0.035}, {p: 0.02, tol: 0.02},
		{p: 0.03, tol: 0.02}, {p: 0.04, tol: 0.02}, {p: 0.05, tol: 0.2},
	}
	t.Log("p        sim/cycle(whole)  sim/cycle  sim/Mathis  cycle/Mathis")
	for i, r := range rows {
		cfg := modelConfig(r.p, LossPeriodic, 1)
		cfg.Flows[0].WholeSegments = true
		cfg.Flows[0].LimitedTransmit = true
		cfg.Duration = 200 * time.Second
		if r.p < 0.001 {
			cfg.Duration = 420 * time.Second
		}
		f := runSummary(t, cfg)
		require.InDelta(t, 100.08, float64(f.SRTT)/1e6, 0.01, "p=%v: the window must never queue", r.p)
		assert.Zero(t, f.Timeouts, "p=%v", r.p)
		rows[i].whole = f.Throughput / RenoCycleSegments(1000, f.SRTT, r.p)
		cont := f.Throughput / RenoCycle(1000, f.SRTT, r.p)
		mathis := f.Throughput / Mathis(1000, f.SRTT, r.p, 1)
		t.Logf("%-8g %.3f             %.3f      %.3f       %.3f", r.p, rows[i].whole, cont, mathis,
			RenoCycle(1000, f.SRTT, r.p)/Mathis(1000, f.SRTT, r.p, 1))
		assert.InDelta(t, 1, rows[i].whole, r.tol, "p=%v", r.p)
		// Mathis is an upper bound that the cycle approaches as p -> 0.
		assert.Less(t, mathis, 1.0, "p=%v", r.p)
	}
	// The named exceptions are real: a fix that removed them should update
	// the table (and this test), not hide inside a tolerance.
	assert.Greater(t, rows[7].whole, 1.02, "p=0.015 runs above the model")
	assert.Less(t, rows[11].whole, 0.9, "p=0.05 loses a round trip to detection")
}
