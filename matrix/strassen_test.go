package matrix

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// randDense returns an r×c matrix with entries uniform in [-1, 1).
func randDense(rng *rand.Rand, r, c int) *mat.Dense { return RandomDense(rng, r, c) }

// tolerance is the accuracy bound of the issue: 1e-9·n·max|a|·max|b|.
func tolerance(a, b *mat.Dense) float64 {
	_, n := a.Dims()
	return 1e-9 * float64(n) * maxAbs(a) * maxAbs(b)
}

func TestStrassenMatchesGonumForManyShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{
		{1, 1, 1}, {2, 2, 2}, {3, 3, 3}, {4, 4, 4}, {5, 7, 3}, {7, 5, 9},
		{8, 8, 8}, {16, 16, 16}, {17, 17, 17}, {31, 33, 29}, {32, 1, 32},
		{1, 40, 1}, {64, 64, 64}, {65, 63, 67}, {100, 50, 75}, {127, 128, 129},
		{50, 200, 30}, {96, 96, 96},
	}
	for _, s := range shapes {
		cutoffs := []int{1, 2, 8, 32}
		if max(s[0], s[1], s[2]) > 40 {
			cutoffs = []int{5, 16, 32} // deep recursion on big shapes is slow under -race
		}
		for _, cutoff := range cutoffs {
			t.Run(fmt.Sprintf("%dx%dx%d/cutoff%d", s[0], s[1], s[2], cutoff), func(t *testing.T) {
				a, b := randDense(rng, s[0], s[1]), randDense(rng, s[1], s[2])
				got, err := Strassen(a, b, cutoff)
				require.NoError(t, err)
				want := mulLeaf(a, b)
				r, c := got.Dims()
				assert.Equal(t, [2]int{s[0], s[2]}, [2]int{r, c})
				assert.LessOrEqual(t, MaxAbsDiff(got, want), tolerance(a, b))
			})
		}
	}
}

func TestStrassenExactOnIntegers(t *testing.T) {
	// Small integers stay exact in float64, so Strassen must match exactly.
	rng := rand.New(rand.NewPCG(3, 4))
	a, b := mat.NewDense(37, 41, nil), mat.NewDense(41, 23, nil)
	for _, m := range []*mat.Dense{a, b} {
		r, c := m.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				m.Set(i, j, float64(rng.IntN(21)-10))
			}
		}
	}
	got, err := Strassen(a, b, 3)
	require.NoError(t, err)
	assert.True(t, mat.Equal(got, mulLeaf(a, b)))
}

func TestStrassenOnViews(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	big := randDense(rng, 50, 50)
	a := big.Slice(3, 40, 5, 30).(*mat.Dense)  // 37×25, stride 50
	b := big.Slice(10, 35, 1, 46).(*mat.Dense) // 25×45
	got, err := Strassen(a, b, 4)
	require.NoError(t, err)
	assert.LessOrEqual(t, MaxAbsDiff(got, mulLeaf(a, b)), tolerance(a, b))
}

// TestStrassenStopsWhenItsContextEnds: dispatch's local fallback gives up
// with the context's error rather than finishing a product nobody waits for.
func TestStrassenStopsWhenItsContextEnds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, b := randDense(rng, 64, 64), randDense(rng, 64, 64)
	ctx, cancel := context.WithCancel(context.Background())
	got, err := strassenCtx(ctx, a, b, 8)
	require.NoError(t, err)
	assert.Equal(t, strassen(a, b, 8), got)
	cancel()
	got, err = strassenCtx(ctx, a, b, 8)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, got)
	got, err = strassenCtx(ctx, a, b, 64) // one kernel block: nothing to stop between
	require.NoError(t, err)
	assert.Equal(t, mulLeaf(a, b), got)
}

func TestStrassenRejectsBadInput(t *testing.T) {
	a, b := mat.NewDense(3, 4, nil), mat.NewDense(5, 2, nil)
	_, err := Strassen(a, b, 8)
	require.ErrorIs(t, err, ErrShape)
	assert.Contains(t, err.Error(), "A is 3×4 but B is 5×2")
	_, err = Strassen(a, mat.NewDense(4, 2, nil), 0)
	assert.ErrorContains(t, err, "cutoff 0")
	_, err = Strassen(&mat.Dense{}, b, 8)
	assert.ErrorIs(t, err, ErrShape)
	_, err = Strassen(nil, b, 8)
	assert.ErrorIs(t, err, ErrShape)
}

func TestMaxAbsDiff(t *testing.T) {
	a := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	b := mat.NewDense(2, 2, []float64{1, 2.5, 3, 3})
	assert.Equal(t, 1.0, MaxAbsDiff(a, b))
	assert.True(t, math.IsInf(MaxAbsDiff(a, mat.NewDense(1, 2, nil)), 1))
	assert.True(t, math.IsNaN(MaxAbsDiff(a, mat.NewDense(2, 2, []float64{math.NaN(), 2, 3, 4}))))
}
