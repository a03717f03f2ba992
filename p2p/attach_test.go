package p2p

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPreferentialPickFavoursHighDegree(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	hub := netip.MustParseAddrPort("10.0.0.1:1")
	leaf := netip.MustParseAddrPort("10.0.0.2:1")
	cands := []Candidate{{hub, 9}, {leaf, 0}}
	hubFirst := 0
	const trials = 10000
	for range trials {
		got := PreferentialPick(rnd, cands, 1)
		if got[0] == hub {
			hubFirst++
		}
	}
	// Weights 10 and 1: the hub is chosen 10/11 of the time.
	assert.InDelta(t, 10.0/11, float64(hubFirst)/trials, 0.02)
}

func TestPreferentialPickIsWithoutReplacement(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	var cands []Candidate
	for i := range 20 {
		cands = append(cands, Candidate{netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(i+1)), i})
	}
	got := PreferentialPick(rnd, cands, 20)
	assert.Len(t, got, 20)
	seen := map[netip.AddrPort]bool{}
	for _, a := range got {
		assert.False(t, seen[a])
		seen[a] = true
	}
	assert.Len(t, PreferentialPick(rnd, cands, 50), 20, "no more than there are")
	assert.Empty(t, PreferentialPick(rnd, nil, 3))
}

func TestCourseCapacity(t *testing.T) {
	assert.Equal(t, 40, CourseCapacity(0))
	assert.Equal(t, 26, CourseCapacity(10)) // 40/1.5
	assert.Equal(t, 17, CourseCapacity(20)) // 40/2.25
	assert.Equal(t, 1, CourseCapacity(1000), "never below one")
}

func TestMajority(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 3} {
		assert.Equal(t, want, Majority(n), "n=%d", n)
	}
}

func TestPowerLawMLERecoversExponent(t *testing.T) {
	// Draw from a continuous power law with alpha 2.5 above xmin 5, rounded:
	// the discrete estimator should land near 2.5.
	rnd := rand.New(rand.NewPCG(5, 6))
	const alpha, kmin = 2.5, 5
	var ks []int
	for range 20000 {
		x := (kmin - 0.5) * math.Pow(1-rnd.Float64(), -1/(alpha-1))
		ks = append(ks, int(math.Round(x)))
	}
	got, n := PowerLawMLE(ks, kmin)
	assert.InDelta(t, alpha, got, 0.1)
	assert.Greater(t, n, 19000)

	nan, n := PowerLawMLE([]int{1}, 1)
	assert.True(t, math.IsNaN(nan))
	assert.Equal(t, 1, n)
}
