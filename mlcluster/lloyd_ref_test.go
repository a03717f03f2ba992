package mlcluster

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Lloyd step checked against a naive reference written the textbook
// way. The data are small integers, so every distance and sum is exact and
// results must be equal, not close. Ties between different centroids
// (frequent with integers) may go to any of them, as the kernel compares
// scores computed in floating point; a duplicate centroid never wins.

// refNearest is the textbook nearest centroid: squared distance summed
// column by column, the first of equal distances kept.
func refNearest(row, cents []float64) (float64, int) {
	d := len(row)
	best, bi := math.Inf(1), -1
	for c := 0; c*d < len(cents); c++ {
		var s float64
		for j := range row {
			t := row[j] - cents[c*d+j]
			s += t * t
		}
		if bi < 0 || s < best {
			best, bi = s, c
		}
	}
	return best, bi
}

// intData returns rows*d small integers in [-4, 4].
func intData(rng *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(rng.IntN(9) - 4)
	}
	return out
}

// TestAssignAccumulateMatchesReference: labels, per-cluster sums and
// counts, and inertia equal the reference for every width (8 is unrolled,
// odd widths have a tail), with nil outputs skipped.
func TestAssignAccumulateMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 27))
	for _, d := range []int{1, 2, 3, 5, 7, 8, 9} {
		for _, k := range []int{1, 2, 3, 6} {
			t.Run(fmt.Sprintf("d%d_k%d", d, k), func(t *testing.T) {
				rows := 40
				data := intData(rng, rows*d)
				cents := intData(rng, k*d)
				if k > 1 {
					copy(cents[d:2*d], cents[:d]) // a duplicate centroid: every tie
				}
				sums, counts, labels := make([]float64, k*d), make([]float64, k), make([]float64, rows)
				inertia := assignAccumulate(data, d, cents, sums, counts, labels, true)

				wantSums, wantCounts := make([]float64, k*d), make([]float64, k)
				var wantInertia float64
				for i := range rows {
					row := data[i*d : (i+1)*d]
					best, _ := refNearest(row, cents)
					// The kernel compares 1/2|c|^2 - x.c in floating point, so
					// two different centroids at exactly the same distance may
					// go either way; the label must be one at the least
					// distance. (A duplicate centroid scores identically and
					// never wins: checked below.)
					bi := int(labels[i])
					require.True(t, bi >= 0 && bi < k, "row %d label %d", i, bi)
					got, _ := refNearest(row, cents[bi*d:(bi+1)*d])
					require.Equal(t, best, got, "row %d %v: label %d is not a nearest centroid", i, row, bi)
					wantInertia += best
					wantCounts[bi]++
					for j, v := range row {
						wantSums[bi*d+j] += v
					}
				}
				assert.Equal(t, wantInertia, inertia)
				assert.Equal(t, wantSums, sums)
				assert.Equal(t, wantCounts, counts)
				if k > 1 {
					assert.Zero(t, counts[1], "cluster 1 duplicates cluster 0 and must win no row")
				}

				// nil outputs: the inertia alone, the same.
				assert.Equal(t, wantInertia, assignAccumulate(data, d, cents, nil, nil, nil, true))
				if d > 1 {
					// A trailing partial row is not a row.
					assert.Equal(t, wantInertia, assignAccumulate(append(data, 1), d, cents, nil, nil, nil, true))
				}
			})
		}
	}
}

// TestNearestPicksTheClosest: with one centroid at the row and others at
// known distances, the distance and index are exact, for the unrolled
// width and another.
func TestNearestPicksTheClosest(t *testing.T) {
	for _, d := range []int{3, 8} {
		row := make([]float64, d)
		for j := range row {
			row[j] = float64(j + 1)
		}
		cents := make([]float64, 0, 3*d)
		far := make([]float64, d) // distance: sum of (j+1)^2
		near := append([]float64(nil), row...)
		near[d-1] += 2 // distance 4
		cents = append(append(append(cents, far...), near...), row...)
		labels := make([]float64, 1)
		inertia := assignAccumulate(row, d, cents, nil, nil, labels, true)
		assert.Equal(t, 0.0, inertia, "d=%d", d)
		assert.Equal(t, 2.0, labels[0], "d=%d", d)
		inertia = assignAccumulate(row, d, cents[:2*d], nil, nil, labels, true)
		assert.Equal(t, 4.0, inertia, "d=%d", d)
		assert.Equal(t, 1.0, labels[0], "d=%d", d)
		for j := range row {
			row[j] = -row[j] // every column matters, with its sign
		}
		want := 0.0
		for j := range row {
			want += (row[j] - cents[d+j]) * (row[j] - cents[d+j])
		}
		inertia = assignAccumulate(row, d, cents[d:2*d], nil, nil, labels, true)
		assert.Equal(t, want, inertia, "d=%d", d)
	}
}

// refLloyd is the textbook loop: assign, recompute means (an empty cluster
// keeps its centroid), stop when no centroid moved more than tol.
func refLloyd(ds *Dataset, init []float64, maxIter int, tol float64) LloydResult {
	d := ds.Cols
	k := len(init) / d
	cents := append([]float64(nil), init...)
	iter := 0
	for iter < maxIter {
		sums, counts := make([]float64, k*d), make([]float64, k)
		for i := range ds.Rows {
			_, bi := refNearest(ds.Row(i), cents)
			counts[bi]++
			for j, v := range ds.Row(i) {
				sums[bi*d+j] += v
			}
		}
		shift := 0.0
		for c := range k {
			if counts[c] == 0 {
				continue
			}
			moved := 0.0
			for j := range d {
				v := sums[c*d+j] / counts[c]
				moved += (v - cents[c*d+j]) * (v - cents[c*d+j])
				cents[c*d+j] = v
			}
			shift = max(shift, math.Sqrt(moved))
		}
		iter++
		if shift <= tol {
			break
		}
	}
	out := LloydResult{Centroids: cents, Labels: make([]int, ds.Rows), Iterations: iter}
	for i := range ds.Rows {
		best, bi := refNearest(ds.Row(i), cents)
		out.Labels[i], out.Inertia = bi, out.Inertia+best
	}
	return out
}

// TestLloydMatchesReference: centroids, labels, inertia and the number of
// iterations equal the textbook loop's, for stopping by tolerance, by
// maxIter, and with maxIter 0 (labels of init only).
func TestLloydMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 14))
	for _, d := range []int{2, 8} {
		rows := make([][]float64, 60)
		for i := range rows {
			rows[i] = intData(rng, d)
			if i%3 == 0 {
				rows[i][0] += 20 // a second blob
			}
		}
		ds, err := NewDataset("ints", rows)
		require.NoError(t, err)
		init := append(append(append([]float64(nil), ds.Row(0)...), ds.Row(1)...), intData(rng, d)...)
		init = append(init, 100, 100) // a fourth centroid far away: it wins no row
		init = append(init, make([]float64, d-2)...)
		for _, tc := range []struct {
			maxIter int
			tol     float64
		}{{0, 0}, {1, 0}, {2, 0}, {50, 0}, {50, 0.5}, {50, 1e9}} {
			got := Lloyd(ds, init, tc.maxIter, tc.tol)
			want := refLloyd(ds, init, tc.maxIter, tc.tol)
			assert.Equal(t, want, got, "d=%d maxIter=%d tol=%v", d, tc.maxIter, tc.tol)
		}
		// One step from init moves, so tol 1e9 stops after exactly one.
		assert.Equal(t, 1, Lloyd(ds, init, 50, 1e9).Iterations)
		// Converged: several steps, fewer than the cap, and the last moved nothing.
		conv := Lloyd(ds, init, 50, 0)
		assert.Greater(t, conv.Iterations, 1)
		assert.Less(t, conv.Iterations, 50)
		assert.Equal(t, init[3*d:], conv.Centroids[3*d:], "the empty cluster keeps its centroid")
	}
}

// refSeed is k-means++ written plainly, drawing from rng exactly as
// SeedPlusPlus documents: one Float64 per center, scaled by the total
// weight, walked over the rows.
func refSeed(ds *Dataset, k int, rng *rand.Rand) []float64 {
	w := make([]float64, ds.Rows)
	for i := range w {
		w[i] = 1
	}
	var centers []float64
	for c := 0; c < k; c++ {
		total := 0.0
		for _, v := range w {
			total += v
		}
		if total == 0 {
			break
		}
		u := rng.Float64() * total
		pick := ds.Rows - 1
		acc := 0.0
		for i, v := range w {
			if u < acc+v && v > 0 {
				pick = i
				break
			}
			acc += v
		}
		centers = append(centers, ds.Row(pick)...)
		for i := range w {
			s := 0.0
			for j, x := range ds.Row(i) {
				s += (x - ds.Row(pick)[j]) * (x - ds.Row(pick)[j])
			}
			if c == 0 || s < w[i] {
				w[i] = s
			}
		}
	}
	return centers
}

// TestSeedPlusPlusMatchesReference: the same centers as the plain
// k-means++, from the same random stream; a chosen row is never chosen
// again; with fewer distinct rows than k it stops at the distinct rows.
func TestSeedPlusPlusMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([][]float64, 30)
	for i := range rows {
		rows[i] = intData(rng, 3)
		rows[i][0] += float64(10 * (i % 4))
	}
	ds, err := NewDataset("ints", rows)
	require.NoError(t, err)
	for seed := range uint64(20) {
		got := SeedPlusPlus(ds, 5, rand.New(rand.NewPCG(seed, 9)))
		want := refSeed(ds, 5, rand.New(rand.NewPCG(seed, 9)))
		require.Equal(t, want, got, "seed %d", seed)
		require.Len(t, got, 15)
		seen := map[[3]float64]bool{}
		for c := 0; c < 5; c++ {
			key := [3]float64(got[3*c : 3*c+3])
			assert.False(t, seen[key], "seed %d: center %v chosen twice", seed, key)
			seen[key] = true
		}
	}

	two, err := NewDataset("two", [][]float64{{1, 1}, {1, 1}, {5, 5}})
	require.NoError(t, err)
	got := SeedPlusPlus(two, 3, rand.New(rand.NewPCG(4, 4)))
	assert.Len(t, got, 4, "two distinct rows give two centers")
	assert.ElementsMatch(t, []float64{1, 1, 5, 5}, got)
}
