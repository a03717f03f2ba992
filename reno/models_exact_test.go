package reno

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestModelsByHand checks each closed-form model at a point worked out by
// hand, and at the edges of its domain (a zero or negative segment size,
// RTT or loss rate; b below 1).
func TestModelsByHand(t *testing.T) {
	const eps = 1e-12
	ms := time.Millisecond

	// Mathis: 1460 bytes, 50 ms, p = 2%, b = 2: sqrt(3/(2*2*0.02)) =
	// sqrt(37.5) segments per RTT of 1460*8 bits every 50 ms.
	assert.InEpsilon(t, 8*1460/0.05*math.Sqrt(37.5), Mathis(1460, 50*ms, 0.02, 2), eps)
	assert.Equal(t, Mathis(1460, 50*ms, 0.02, 1), Mathis(1460, 50*ms, 0.02, 0), "b < 1 counts as 1")
	assert.Zero(t, Mathis(0, 50*ms, 0, 1), "no segment size: 0 even without loss")
	assert.Zero(t, Mathis(-1, 50*ms, 0.1, 1))
	assert.Zero(t, Mathis(1460, -ms, 0.1, 1))
	assert.True(t, math.IsInf(Mathis(1460, 50*ms, -0.1, 1), 1))

	// RenoCycle: p = 2% is 50 segments a cycle, and 3/2 a(a+1) + a = 50
	// at a = 5 exactly: 49 segments delivered in a+2 = 7 round trips.
	assert.InEpsilon(t, 8*1460/0.05*49/7, RenoCycle(1460, 50*ms, 0.02), eps)
	// p = 1/11: 11 = 3/2 a(a+1) + a at a = 2: 10 segments in 4 round trips.
	assert.InEpsilon(t, 8*1000/0.1*10/4, RenoCycle(1000, 100*ms, 1.0/11), eps)
	assert.Zero(t, RenoCycle(0, 50*ms, 0))
	assert.Zero(t, RenoCycle(1000, 0, 0))
	assert.Zero(t, RenoCycle(1000, -ms, 0.1))
	assert.True(t, math.IsInf(RenoCycle(1000, 50*ms, 0), 1))
	assert.True(t, math.IsInf(RenoCycle(1000, 50*ms, -1), 1))

	// RenoCycleSegments: 9 segments a cycle lies between the cycles of
	// 7 segments (W = 3) and 11 (W = 4), both 4 round trips: 8 segments
	// delivered in 4 round trips.
	assert.InEpsilon(t, 8*1000/0.1*8/4, RenoCycleSegments(1000, 100*ms, 1.0/9), eps)
	assert.Zero(t, RenoCycleSegments(0, 50*ms, 0))
	assert.Zero(t, RenoCycleSegments(1000, 0, 0))
	assert.Zero(t, RenoCycleSegments(1000, -ms, 0.1))
	assert.True(t, math.IsInf(RenoCycleSegments(1000, 50*ms, 0), 1))

	// CubicResponse: RTT 1 s and p = 1e-4 give (RTT/p)^(3/4) = 1000 and
	// C(3+beta)/(4(1-beta)) = 0.4*3.7/1.2 = 37/30, so the average window is
	// 1000 (37/30)^(1/4) segments, far above Reno's sqrt(15000) = 122.
	assert.InEpsilon(t, 8*1000*1000*math.Pow(37.0/30, 0.25), CubicResponse(1000, time.Second, 1e-4), eps)
	// At 100 ms and p = 1%, Reno's sqrt(150) = 12.2 beats CUBIC's
	// 10^(3/4) (37/30)^(1/4) = 5.9 segments.
	assert.InEpsilon(t, 8*1000/0.1*math.Sqrt(150), CubicResponse(1000, 100*ms, 0.01), eps)
	assert.Zero(t, CubicResponse(0, 50*ms, 0))
	assert.Zero(t, CubicResponse(1000, 0, 0))
	assert.Zero(t, CubicResponse(1000, -ms, 0.1))
	assert.True(t, math.IsInf(CubicResponse(1000, 50*ms, -1), 1))

	// PFTK with b = 2, p = 0.2: bp = 0.4, 3 sqrt(3*0.4/8) = 1.16 is capped
	// at 1, and 1+32p^2 = 2.28: den = 0.1 sqrt(0.8/3) + 1*1*0.2*2.28.
	den := 0.1*math.Sqrt(0.8/3) + 0.2*2.28
	assert.InEpsilon(t, 8*1000/den, PFTK(1000, 100*ms, 0.2, 2, time.Second, 0), eps)
	assert.Equal(t, PFTK(1000, 100*ms, 0.05, 1, time.Second, 0), PFTK(1000, 100*ms, 0.05, 0, time.Second, 0), "b < 1 counts as 1")
	// At p = 0.05 the model gives 28 segments/s; a window of 2 segments
	// per 100 ms (20/s) is the tighter limit.
	assert.InEpsilon(t, 8*1000*20, PFTK(1000, 100*ms, 0.05, 1, time.Second, 2), eps)
	assert.True(t, math.IsInf(PFTK(1000, 100*ms, 0, 1, time.Second, 0), 1))
	assert.True(t, math.IsInf(PFTK(1000, 100*ms, -1, 1, time.Second, 0), 1))
	assert.InEpsilon(t, 8*1000*30, PFTK(1000, 100*ms, -1, 1, time.Second, 3), eps)
	assert.Zero(t, PFTK(0, 100*ms, 0, 1, time.Second, 10))
	assert.Zero(t, PFTK(0, 100*ms, 0, 1, time.Second, 0), "no segment size: 0 even without loss or window")
	assert.Zero(t, PFTK(1000, 0, 0, 1, time.Second, 10))
	assert.Zero(t, PFTK(1000, -ms, 0.1, 1, time.Second, 10))
}

// TestCycleRoundsByHand: the whole-segment cycles are (segments, round
// trips) (4, 3), (7, 4), (11, 4), (16, 5), (21, 5), (28, 6), (34, 6),
// (43, 7); between two of them the round trips are interpolated, below the
// first they scale linearly from zero.
func TestCycleRoundsByHand(t *testing.T) {
	for _, tc := range []struct{ n, rounds float64 }{
		{1, 0.75}, {2, 1.5}, {4, 3},
		{5.5, 3.5}, {7, 4}, {9, 4}, {11, 4},
		{13.5, 4.5}, {16, 5}, {18.5, 5}, {21, 5},
		{25, 5 + 4.0/7}, {28, 6}, {31, 6}, {34, 6},
		{38.5, 6.5}, {43, 7},
	} {
		assert.InDelta(t, tc.rounds, cycleRounds(tc.n), 1e-12, "n = %v", tc.n)
	}
}
