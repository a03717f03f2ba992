package mlcluster

import (
	"math"
	"math/bits"
)

// The assignment kernel of Lloyd's algorithm, shared by the workers' map
// and single-machine Lloyd, so that both assign every row the same way.
//
// Each row x goes to the centroid c that minimises ‖x − c‖². Expanded,
// ‖x − c‖² = ‖x‖² − 2x·c + ‖c‖², and ‖x‖² is the same for every c, so the
// kernel minimises the score ½‖c‖² − x·c: one multiply and one add per
// column instead of a subtract, a multiply and an add (the norm trick
// scikit-learn uses too). So that the scores do not lose their digits to
// cancellation when the data sit far from the origin, rows and centroids
// are first shifted by the centroids' mean (the same point for every
// shard). Ties go to the lowest centroid index (for 8 columns and up to
// 256 centroids, scores equal to within 2^(bits of k - 52), see
// [kernel.nearest8]). The argmin keeps no branch that depends on the data:
// scores become ordered integers and the running minimum moves with
// conditional moves: with the branch "closer than the best so far" the
// same loop ran 25-30% faster on rows sorted by cluster than on unsorted
// ones (measured on 100,000 x 8, k = 16), which is what its mispredictions
// cost.
//
// The squared distance that goes into the inertia is computed directly,
// ‖x − c‖² from the row and the chosen centroid as they are, so the
// reported inertia does not depend on the shift.

// kernel is a set of centroids prepared for the assignment loop.
type kernel struct {
	d, k     int
	packBits int       // bits of a centroid index (nearest8)
	keep     int64     // mask of a key's score bits: ^0 << packBits
	cents    []float64 // k*d, as given
	origin   []float64 // d: the centroids' mean
	shifted  []float64 // k*d: centroid − origin
	half     []float64 // k: ½‖centroid − origin‖²
	// pairs is the d = 8 layout: for each two centroids c, c+1, the
	// block [half_c, half_c+1, shifted_c (8), shifted_c+1 (8)], so the
	// loop reads one array with one bounds check per step.
	pairs []float64
}

// newKernel prepares cents (k*d values) for assignment.
func newKernel(cents []float64, d int) *kernel {
	k := len(cents) / d
	kn := &kernel{d: d, k: k, packBits: bits.Len(uint(k - 1)), cents: cents[:k*d],
		origin: make([]float64, d), shifted: make([]float64, k*d), half: make([]float64, k)}
	kn.keep = ^int64(0) << kn.packBits
	for c := 0; c < k; c++ {
		for j := 0; j < d; j++ {
			kn.origin[j] += cents[c*d+j]
		}
	}
	for j := range kn.origin {
		kn.origin[j] /= float64(k)
	}
	for c := 0; c < k; c++ {
		var h float64
		for j := 0; j < d; j++ {
			v := cents[c*d+j] - kn.origin[j]
			kn.shifted[c*d+j] = v
			h += v * v
		}
		kn.half[c] = h / 2
	}
	if d == 8 {
		kn.pairs = make([]float64, 0, k/2*18)
		for c := 0; c+1 < k; c += 2 {
			kn.pairs = append(kn.pairs, kn.half[c], kn.half[c+1])
			kn.pairs = append(kn.pairs, kn.shifted[c*8:c*8+16]...)
		}
	}
	return kn
}

// orderedKey maps a float64 to an int64 in the same order (NaN aside):
// positive floats keep their bits, negative ones have their magnitude bits
// flipped. Scores are never -0 (½‖c‖² − x·c is +0 when the two are equal),
// so equal scores have equal keys.
func orderedKey(f float64) int64 {
	b := int64(math.Float64bits(f))
	return b ^ int64(uint64(b>>63)>>1)
}

// b2i is 1 for true and 0 for false; the compiler makes it a SETcc.
func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}

// assignAccumulate is the inner loop of Lloyd's algorithm: it assigns each
// row of data (d columns) to its nearest centroid and adds the row to that
// cluster's sum and count. sums (k*d), counts (k) and labels (one per row)
// may each be nil. With measure it returns the inertia, the sum of squared
// distances, else 0: the passes of [Lloyd] that only move the centroids
// skip it (a tenth of the work per row). Ties go to the lowest cluster
// index.
func assignAccumulate(data []float64, d int, cents []float64, sums, counts, labels []float64, measure bool) float64 {
	kn := newKernel(cents, d)
	if d == 8 {
		return kn.assign8(data, sums, counts, labels, measure)
	}
	return kn.assign(data, sums, counts, labels, measure)
}

// assign8 is assignAccumulate for 8 columns: the row lives in registers,
// four centroids per step in nearest8.
func (kn *kernel) assign8(data, sums, counts, labels []float64, measure bool) float64 {
	o := (*[8]float64)(kn.origin)
	nearest := kn.nearest8
	if kn.k > maxPackedK {
		nearest = kn.nearest8Exact
	}
	var inertia float64
	for i, off := 0, 0; off+8 <= len(data); i, off = i+1, off+8 {
		r := (*[8]float64)(data[off : off+8])
		x0, x1, x2, x3 := r[0]-o[0], r[1]-o[1], r[2]-o[2], r[3]-o[3]
		x4, x5, x6, x7 := r[4]-o[4], r[5]-o[5], r[6]-o[6], r[7]-o[7]
		bi := nearest(x0, x1, x2, x3, x4, x5, x6, x7)
		if measure {
			cb := (*[8]float64)(kn.cents[bi*8 : bi*8+8])
			t0, t1, t2, t3 := r[0]-cb[0], r[1]-cb[1], r[2]-cb[2], r[3]-cb[3]
			t4, t5, t6, t7 := r[4]-cb[4], r[5]-cb[5], r[6]-cb[6], r[7]-cb[7]
			inertia += ((t0*t0 + t1*t1) + (t2*t2 + t3*t3)) + ((t4*t4 + t5*t5) + (t6*t6 + t7*t7))
		}
		if sums != nil {
			acc := (*[8]float64)(sums[bi*8 : bi*8+8])
			acc[0] += r[0]
			acc[1] += r[1]
			acc[2] += r[2]
			acc[3] += r[3]
			acc[4] += r[4]
			acc[5] += r[5]
			acc[6] += r[6]
			acc[7] += r[7]
		}
		if counts != nil {
			counts[bi]++
		}
		if labels != nil {
			labels[i] = float64(bi)
		}
	}
	return inertia
}

// nearest8 returns the index of the centroid nearest to the shifted row
// x0..x7. It is a function of its own, not part of assign8's loop, so that
// its loop has the registers to itself (inlined, the row loop's state
// spilled to the stack: 8% slower).
//
// Four centroids per step, then two: the loop's own instructions are
// about a third of those a pair of centroids costs, and unrolled once more
// BenchmarkAssign ran 7-11% faster (once more again, no faster).
//
// For k <= maxPackedK each score's key carries the centroid's index in its
// lowest packBits bits, so the argmin is one running minimum (a compare
// and a conditional move per centroid, 7-12% faster than carrying the
// index beside it). Scores that differ only in those bits, a relative
// difference below 2^(packBits-52) (at most 5.7e-14), are then a tie, and
// the lowest index wins. Rounding in the scores themselves is of the same
// order, so no assignment the arithmetic could resolve is lost.
func (kn *kernel) nearest8(x0, x1, x2, x3, x4, x5, x6, x7 float64) int {
	keep := kn.keep
	best := int64(math.MaxInt64)
	pairs := kn.pairs
	i, c := 0, int64(0)
	for ; i+36 <= len(pairs); i, c = i+36, c+4 {
		p := (*[36]float64)(pairs[i : i+36])
		s := orderedKey(p[0]-(((x0*p[2]+x1*p[3])+(x2*p[4]+x3*p[5]))+
			((x4*p[6]+x5*p[7])+(x6*p[8]+x7*p[9]))))&keep | c
		u := orderedKey(p[1]-(((x0*p[10]+x1*p[11])+(x2*p[12]+x3*p[13]))+
			((x4*p[14]+x5*p[15])+(x6*p[16]+x7*p[17]))))&keep | (c + 1)
		v := orderedKey(p[18]-(((x0*p[20]+x1*p[21])+(x2*p[22]+x3*p[23]))+
			((x4*p[24]+x5*p[25])+(x6*p[26]+x7*p[27]))))&keep | (c + 2)
		w := orderedKey(p[19]-(((x0*p[28]+x1*p[29])+(x2*p[30]+x3*p[31]))+
			((x4*p[32]+x5*p[33])+(x6*p[34]+x7*p[35]))))&keep | (c + 3)
		best = min(best, s, u, v, w)
	}
	for ; i+18 <= len(pairs); i, c = i+18, c+2 {
		p := (*[18]float64)(pairs[i : i+18])
		s := orderedKey(p[0]-(((x0*p[2]+x1*p[3])+(x2*p[4]+x3*p[5]))+
			((x4*p[6]+x5*p[7])+(x6*p[8]+x7*p[9]))))&keep | c
		u := orderedKey(p[1]-(((x0*p[10]+x1*p[11])+(x2*p[12]+x3*p[13]))+
			((x4*p[14]+x5*p[15])+(x6*p[16]+x7*p[17]))))&keep | (c + 1)
		best = min(best, s, u)
	}
	if c := kn.k - 1; c%2 == 0 { // odd k: the last centroid alone
		q := (*[8]float64)(kn.shifted[c*8 : c*8+8])
		s := orderedKey(kn.half[c]-(((x0*q[0]+x1*q[1])+(x2*q[2]+x3*q[3]))+
			((x4*q[4]+x5*q[5])+(x6*q[6]+x7*q[7]))))&keep | int64(c)
		best = min(best, s)
	}
	return int(best &^ keep)
}

// maxPackedK is the largest k whose index [kernel.nearest8] packs into
// the scores' keys (8 bits).
const maxPackedK = 256

// nearest8Exact is nearest8 for more than maxPackedK centroids: the index
// travels beside the running minimum, and only equal scores are ties.
func (kn *kernel) nearest8Exact(x0, x1, x2, x3, x4, x5, x6, x7 float64) int {
	best, bi := int64(math.MaxInt64), 0
	pairs := kn.pairs
	for i, c := 0, 0; i+18 <= len(pairs); i, c = i+18, c+2 {
		p := (*[18]float64)(pairs[i : i+18])
		s := orderedKey(p[0] - (((x0*p[2] + x1*p[3]) + (x2*p[4] + x3*p[5])) +
			((x4*p[6] + x5*p[7]) + (x6*p[8] + x7*p[9]))))
		u := orderedKey(p[1] - (((x0*p[10] + x1*p[11]) + (x2*p[12] + x3*p[13])) +
			((x4*p[14] + x5*p[15]) + (x6*p[16] + x7*p[17]))))
		pi := c + b2i(u < s) // the pair's winner, the lower index on a tie
		pm := min(s, u)
		bi ^= (bi ^ pi) & -b2i(pm < best)
		best = min(best, pm)
	}
	if c := kn.k - 1; c%2 == 0 {
		q := (*[8]float64)(kn.shifted[c*8 : c*8+8])
		s := orderedKey(kn.half[c] - (((x0*q[0] + x1*q[1]) + (x2*q[2] + x3*q[3])) +
			((x4*q[4] + x5*q[5]) + (x6*q[6] + x7*q[7]))))
		bi ^= (bi ^ c) & -b2i(s < best)
	}
	return bi
}

// assign is assignAccumulate for any number of columns.
func (kn *kernel) assign(data, sums, counts, labels []float64, measure bool) float64 {
	d := kn.d
	y := make([]float64, d)
	var inertia float64
	for i, off := 0, 0; off+d <= len(data); i, off = i+1, off+d {
		row := data[off : off+d : off+d]
		for j, v := range row {
			y[j] = v - kn.origin[j]
		}
		bi := kn.nearest(y)
		if measure {
			inertia += sqDist(row, kn.cents[bi*d:bi*d+d])
		}
		if sums != nil {
			acc := sums[bi*d : bi*d+d : bi*d+d]
			for j, v := range row {
				acc[j] += v
			}
		}
		if counts != nil {
			counts[bi]++
		}
		if labels != nil {
			labels[i] = float64(bi)
		}
	}
	return inertia
}

// nearest returns the index of the centroid nearest to the shifted row y.
func (kn *kernel) nearest(y []float64) int {
	d := kn.d
	best, bi := int64(math.MaxInt64), 0
	for c, h := range kn.half {
		s := orderedKey(h - dot(y, kn.shifted[c*d:c*d+d]))
		bi ^= (bi ^ c) & -b2i(s < best)
		best = min(best, s)
	}
	return bi
}

// dot is a·b summed in four interleaved partial sums (a fixed order, so
// every caller gets the same bits).
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+3 < len(a); j += 4 {
		s0 += a[j] * b[j]
		s1 += a[j+1] * b[j+1]
		s2 += a[j+2] * b[j+2]
		s3 += a[j+3] * b[j+3]
	}
	for ; j < len(a); j++ {
		s0 += a[j] * b[j]
	}
	return (s0 + s1) + (s2 + s3)
}
