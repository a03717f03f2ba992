package p2p

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDegreeDistributionAndCCDF(t *testing.T) {
	deg := []int{0, 1, 1, 2, 2, 2, 5, 9}
	ks, pk := DegreeDistribution(deg)
	assert.Equal(t, []int{1, 2, 5, 9}, ks)
	assert.InDeltaSlice(t, []float64{2.0 / 8, 3.0 / 8, 1.0 / 8, 1.0 / 8}, pk, 1e-12)
	ks, cc := DegreeCCDF(deg)
	assert.Equal(t, []int{1, 2, 5, 9}, ks)
	assert.InDeltaSlice(t, []float64{7.0 / 8, 5.0 / 8, 2.0 / 8, 1.0 / 8}, cc, 1e-12, "P(K ≥ k); the degree-0 node counts in n")
}

func TestPowerLawCCDF(t *testing.T) {
	assert.Equal(t, 1.0, PowerLawCCDF(2, 2, 2.5))
	assert.Equal(t, 1.0, PowerLawCCDF(1, 2, 2.5), "below kmin")
	assert.InDelta(t, math.Pow(3.5/1.5, -1.5), PowerLawCCDF(4, 2, 2.5), 1e-12)
}

func TestPowerLawKSSeparatesPowerLawsFromOthers(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	const alpha, kmin = 2.5, 3
	var pl, narrow []int
	for range 20000 {
		x := (kmin - 0.5) * math.Pow(1-rnd.Float64(), -1/(alpha-1))
		pl = append(pl, int(math.Round(x)))
		narrow = append(narrow, kmin+rnd.IntN(3)) // degrees 3, 4, 5 evenly: no tail
	}
	a, _ := PowerLawMLE(pl, kmin)
	assert.Less(t, PowerLawKS(pl, kmin, a), 0.02, "a power-law sample is close to its fit")
	a, _ = PowerLawMLE(narrow, kmin)
	assert.Greater(t, PowerLawKS(narrow, kmin, a), 0.15, "a narrow distribution is far from any power law")
	assert.True(t, math.IsNaN(PowerLawKS([]int{1}, 2, 2.5)), "nothing at or above kmin")
	assert.True(t, math.IsNaN(PowerLawKS(pl, kmin, math.NaN())))
}
