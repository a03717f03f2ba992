package mlcluster

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bruteNearest is the definition the kernel implements: the centroid at
// the smallest squared distance, the lowest index on a tie, and the
// margin to the runner-up.
func bruteNearest(row, cents []float64) (best int, dist, margin float64) {
	d := len(row)
	dist, second := math.Inf(1), math.Inf(1)
	for c := 0; c*d < len(cents); c++ {
		v := sqDist(row, cents[c*d:c*d+d])
		switch {
		case v < dist:
			second, dist, best = dist, v, c
		case v < second:
			second = v
		}
	}
	return best, dist, second - dist
}

// TestKernelMatchesDirectDistances checks the norm-trick kernel against
// plain squared distances for every column count path (8 columns and any
// other), odd and even k, and data far from the origin, where the shift
// by the centroids' mean keeps the scores' digits.
func TestKernelMatchesDirectDistances(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		d, k   int
		offset float64
	}{{8, 16, 0}, {8, 1, 0}, {8, 7, 0}, {8, 33, 1e9}, {8, 300, 0}, {8, 301, 1e9}, {2, 5, 0}, {3, 16, 1e9}, {13, 9, -50}} {
		rows := 3000
		data := make([]float64, rows*c.d)
		for i := range data {
			data[i] = c.offset + rng.NormFloat64()*10
		}
		cents := make([]float64, c.k*c.d)
		for i := range cents {
			cents[i] = c.offset + rng.NormFloat64()*10
		}
		sums, counts, labels := make([]float64, c.k*c.d), make([]float64, c.k), make([]float64, rows)
		inertia := assignAccumulate(data, c.d, cents, sums, counts, labels, true)
		if v := assignAccumulate(data, c.d, cents, nil, nil, nil, false); v != 0 {
			t.Errorf("d=%d k=%d: inertia %v when not asked for", c.d, c.k, v)
		}

		wantSums, wantCounts := make([]float64, c.k*c.d), make([]float64, c.k)
		var wantInertia float64
		for i := 0; i < rows; i++ {
			row := data[i*c.d : (i+1)*c.d]
			b, dist, margin := bruteNearest(row, cents)
			got := int(labels[i])
			// Rounding may only decide between centroids that are all but
			// equally near.
			if got != b && margin > 1e-6*(1+dist) {
				t.Fatalf("d=%d k=%d row %d: kernel says %d, nearest is %d (margin %g)", c.d, c.k, i, got, b, margin)
			}
			wantInertia += sqDist(row, cents[got*c.d:(got+1)*c.d])
			wantCounts[got]++
			for j, v := range row {
				wantSums[got*c.d+j] += v
			}
		}
		if inertia != wantInertia {
			t.Errorf("d=%d k=%d: inertia %v, want %v (direct distances to the chosen centroids)", c.d, c.k, inertia, wantInertia)
		}
		for i := range wantSums {
			if sums[i] != wantSums[i] {
				t.Fatalf("d=%d k=%d: sums[%d] = %v, want %v", c.d, c.k, i, sums[i], wantSums[i])
			}
		}
		for i := range wantCounts {
			if counts[i] != wantCounts[i] {
				t.Fatalf("d=%d k=%d: counts[%d] = %v, want %v", c.d, c.k, i, counts[i], wantCounts[i])
			}
		}
	}
}

// TestKernelTiesGoToLowestIndex: duplicated centroids and rows exactly
// between two centroids go to the lowest index, on both paths, whatever
// the position of the duplicate in the pairs the 8-column loop reads.
func TestKernelTiesGoToLowestIndex(t *testing.T) {
	for _, d := range []int{8, 3} {
		for _, k := range []int{2, 3, 4, 5, 16, 257, 300} {
			for dup := 1; dup < k; dup++ {
				cents := make([]float64, k*d)
				for c := 0; c < k; c++ {
					for j := 0; j < d; j++ {
						cents[c*d+j] = float64(10*c + j)
					}
				}
				copy(cents[dup*d:], cents[0:d]) // centroid dup repeats centroid 0
				row := append([]float64(nil), cents[0:d]...)
				labels := make([]float64, 1)
				assignAccumulate(row, d, cents, nil, nil, labels, false)
				if labels[0] != 0 {
					t.Errorf("d=%d k=%d: row on centroids 0 and %d went to %v, want 0", d, k, dup, labels[0])
				}
			}
			// A row exactly halfway between centroids 1 and 2 (in the first
			// column; the others equal): lowest index, 1.
			if k < 3 {
				continue
			}
			cents := make([]float64, k*d)
			for c := 0; c < k; c++ {
				cents[c*d] = float64(4 * c)
			}
			row := make([]float64, d)
			row[0] = 6
			labels := make([]float64, 1)
			assignAccumulate(row, d, cents, nil, nil, labels, false)
			if labels[0] != 1 {
				t.Errorf("d=%d k=%d: row halfway between 1 and 2 went to %v, want 1", d, k, labels[0])
			}
		}
	}
}

func TestOrderedKeyKeepsOrder(t *testing.T) {
	vals := []float64{math.Inf(-1), -1e300, -2, -1, -1e-300, 0, 1e-300, 1, 2, 1e300, math.Inf(1)}
	for i := 1; i < len(vals); i++ {
		if orderedKey(vals[i-1]) >= orderedKey(vals[i]) {
			t.Errorf("orderedKey(%g) >= orderedKey(%g)", vals[i-1], vals[i])
		}
	}
}
