package matrix

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// intDense returns an r×c matrix of small integers, so that any order of
// additions is exact and Strassen must equal the naive product exactly.
func intDense(rng *rand.Rand, r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			m.Set(i, j, float64(rng.IntN(19)-9))
		}
	}
	return m
}

// TestStrassenSplitAndCombineExact: the quadrant split (with a padding row
// or column for odd dimensions) and the recombination of the seven products
// give exactly the naive product for every parity of r, k and c, down to
// 1×1 blocks, and at a cutoff equal to the smallest dimension.
func TestStrassenSplitAndCombineExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, s := range [][3]int{
		{2, 2, 2}, {2, 3, 4}, {3, 2, 5}, {4, 5, 2}, {5, 5, 5}, {6, 7, 8}, {7, 6, 9},
		{9, 8, 7}, {2, 9, 3}, {8, 2, 9}, {13, 11, 12},
	} {
		for _, cutoff := range []int{1, 2, min(s[0], s[1], s[2])} {
			t.Run(fmt.Sprintf("%dx%dx%d/cutoff%d", s[0], s[1], s[2], cutoff), func(t *testing.T) {
				a, b := intDense(rng, s[0], s[1]), intDense(rng, s[1], s[2])
				got, err := Strassen(a, b, cutoff)
				require.NoError(t, err)
				var want mat.Dense
				want.Mul(a, b)
				assert.True(t, mat.Equal(got, &want), "got\n%v\nwant\n%v", mat.Formatted(got), mat.Formatted(&want))
			})
		}
	}
}

// TestStrassenOperandsNotDense: any mat.Matrix is accepted (copied), and
// an empty one is refused.
func TestStrassenOperandsNotDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	a := intDense(rng, 5, 3)
	b := intDense(rng, 5, 4)
	got, err := Strassen(a.T(), b, 1) // 3×5 · 5×4
	require.NoError(t, err)
	var want mat.Dense
	want.Mul(a.T(), b)
	assert.True(t, mat.Equal(got, &want))

	_, err = Strassen(mat.NewDense(2, 2, nil), mat.NewDense(2, 2, nil), -1)
	assert.EqualError(t, err, "matrix: Strassen cutoff -1 must be at least 1")
	_, err = Strassen(mat.NewDense(2, 2, nil), mat.NewDense(2, 2, nil), 1)
	assert.NoError(t, err)
	_, err = Strassen(mat.NewDense(2, 2, nil), (&mat.Dense{}).T(), 1)
	assert.ErrorIs(t, err, ErrShape)
	_, err = Strassen(mat.NewDense(2, 2, nil), nil, 1)
	assert.ErrorIs(t, err, ErrShape)
}

// TestMaxAbsDiffFindsTheLargest: the largest difference wherever it is,
// with its sign ignored; equal matrices differ by 0.
func TestMaxAbsDiffFindsTheLargest(t *testing.T) {
	a := mat.NewDense(2, 3, []float64{1, 2, 3, 4, 5, 6})
	b := mat.NewDense(2, 3, []float64{1.5, 2, 3, 4, 5, 3})
	assert.Equal(t, 3.0, MaxAbsDiff(a, b))
	assert.Equal(t, 3.0, MaxAbsDiff(b, a))
	c := mat.NewDense(2, 3, []float64{-3, 2, 3, 4, 5, 6})
	assert.Equal(t, 4.0, MaxAbsDiff(a, c))
	assert.Equal(t, 0.0, MaxAbsDiff(a, a))
	assert.True(t, math.IsInf(MaxAbsDiff(a, mat.NewDense(3, 2, nil)), 1))
	assert.True(t, math.IsInf(MaxAbsDiff(a, mat.NewDense(2, 2, nil)), 1))
	assert.Equal(t, 6.0, maxAbs(a))
	assert.Equal(t, 9.0, maxAbs(mat.NewDense(1, 3, []float64{-9, 2, 8})))
}
