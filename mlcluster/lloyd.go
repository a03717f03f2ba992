package mlcluster

import (
	"math"
	"math/rand/v2"
)

// Lloyd's update and single-machine Lloyd; the assignment kernel both
// the workers' map and [Lloyd] use is in lloydkernel.go.

// d2weight is the k-means++ weight of a row: its squared distance to the
// nearest chosen center, or 1 before any center is chosen (uniform choice).
func d2weight(row, centers []float64) float64 {
	if len(centers) == 0 {
		return 1
	}
	best := math.Inf(1)
	for c := 0; c < len(centers); c += len(row) {
		if v := sqDist(row, centers[c:c+len(row)]); v < best {
			best = v
		}
	}
	return best
}

func sqDist(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for j := range a {
		t := a[j] - b[j]
		s += t * t
	}
	return s
}

// nearest returns the squared distance from row to the nearest of the
// centroids (len(row) values each) and its index.
func nearest(row, cents []float64) (float64, int) {
	d := len(row)
	best, bi := math.Inf(1), 0
	for c, co := 0, 0; co+d <= len(cents); c, co = c+1, co+d {
		cc := cents[co : co+d : co+d]
		var s0, s1 float64
		j := 0
		for ; j+1 < len(cc); j += 2 {
			t0 := row[j] - cc[j]
			t1 := row[j+1] - cc[j+1]
			s0 += t0 * t0
			s1 += t1 * t1
		}
		if j < len(cc) {
			t := row[j] - cc[j]
			s0 += t * t
		}
		if s := s0 + s1; s < best {
			best, bi = s, c
		}
	}
	return best, bi
}

// updateCentroids turns summed rows and counts into new centroids; a cluster
// that lost all its rows keeps its old centroid. It returns the largest
// distance a centroid moved.
func updateCentroids(cents, sums, counts []float64, d int) float64 {
	var shift float64
	for c := range counts {
		if counts[c] == 0 {
			continue
		}
		var moved float64
		for j := 0; j < d; j++ {
			v := sums[c*d+j] / counts[c]
			t := v - cents[c*d+j]
			moved += t * t
			cents[c*d+j] = v
		}
		shift = math.Max(shift, math.Sqrt(moved))
	}
	return shift
}

// LloydResult is the answer of single-machine [Lloyd].
type LloydResult struct {
	Centroids  []float64 // k*cols, row-major
	Labels     []int
	Inertia    float64
	Iterations int
}

// Lloyd runs single-machine, single-threaded [Lloyd]'s algorithm from the
// given initial centroids (k*cols values) with the same stopping rule as the
// distributed "kmeans": stop when no centroid moves farther than tol or after
// maxIter updates; then label every row. With maxIter 0 it only labels the
// rows and measures the inertia of init. It is the baseline the distributed
// version must equal.
func Lloyd(ds *Dataset, init []float64, maxIter int, tol float64) LloydResult {
	d := ds.Cols
	k := len(init) / d
	cents := append([]float64(nil), init...)
	sums, counts := make([]float64, k*d), make([]float64, k)
	iter := 0
	for iter < maxIter {
		clear(sums)
		clear(counts)
		assignAccumulate(ds.Data, d, cents, sums, counts, nil, false)
		shift := updateCentroids(cents, sums, counts, d)
		iter++
		if shift <= tol {
			break
		}
	}
	labels := make([]float64, ds.Rows)
	inertia := assignAccumulate(ds.Data, d, cents, nil, nil, labels, true)
	out := LloydResult{Centroids: cents, Labels: make([]int, ds.Rows), Inertia: inertia, Iterations: iter}
	for i, l := range labels {
		out.Labels[i] = int(l)
	}
	return out
}

// SeedPlusPlus chooses k initial centroids by k-means++ on one machine
// (Arthur & Vassilvitskii 2007): the first uniformly, each next one with
// probability proportional to its squared distance to the nearest center
// already chosen.
func SeedPlusPlus(ds *Dataset, k int, rng *rand.Rand) []float64 {
	d := ds.Cols
	centers := make([]float64, 0, k*d)
	dist := make([]float64, ds.Rows)
	for i := range dist {
		dist[i] = 1
	}
	for len(centers) < k*d {
		var total float64
		for _, w := range dist {
			total += w
		}
		if total == 0 {
			break
		}
		u := rng.Float64() * total
		pick := ds.Rows - 1
		for i, w := range dist {
			if u < w {
				pick = i
				break
			}
			u -= w
		}
		c := ds.Row(pick)
		centers = append(centers, c...)
		for i := range dist {
			v := sqDist(ds.Row(i), c)
			if len(centers) == d || v < dist[i] {
				dist[i] = v
			}
		}
	}
	return centers
}
