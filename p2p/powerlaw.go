package p2p

import (
	"math"
	"sort"
)

// DegreeDistribution returns the distinct degrees (at least 1) and the
// fraction of nodes that have each, P(k).
func DegreeDistribution(degrees []int) (ks []int, pk []float64) {
	count := map[int]int{}
	for _, d := range degrees {
		if d > 0 {
			count[d]++
		}
	}
	for k := range count {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	for _, k := range ks {
		pk = append(pk, float64(count[k])/float64(len(degrees)))
	}
	return ks, pk
}

// DegreeCCDF returns the distinct degrees (at least 1) and, for each, the
// fraction of nodes whose degree is at least that, P(K ≥ k): the
// complementary cumulative distribution. Unlike P(k) it needs no binning and
// its tail is not a floor of single nodes, which is why power laws are
// usually shown this way (Clauset, Shalizi and Newman 2009).
func DegreeCCDF(degrees []int) (ks []int, ccdf []float64) {
	ks, pk := DegreeDistribution(degrees)
	ccdf = make([]float64, len(pk))
	sum := 0.0
	for i := len(pk) - 1; i >= 0; i-- {
		sum += pk[i]
		ccdf[i] = sum
	}
	return ks, ccdf
}

// PowerLawMLE fits P(k) ∝ k^−α to the degrees at or above kmin by maximum
// likelihood, with the discrete approximation of Clauset, Shalizi and Newman
// (2009): α = 1 + n / Σ ln(k_i / (kmin − ½)). It returns α and n, the number
// of degrees used; α is NaN when fewer than two degrees qualify. kmin below 1
// is taken as 1.
func PowerLawMLE(degrees []int, kmin int) (alpha float64, n int) {
	kmin = max(kmin, 1)
	sum := 0.0
	for _, k := range degrees {
		if k >= kmin {
			sum += math.Log(float64(k) / (float64(kmin) - 0.5))
			n++
		}
	}
	if n < 2 || sum == 0 {
		return math.NaN(), n
	}
	return 1 + float64(n)/sum, n
}

// PowerLawCCDF is the fitted model's P(K ≥ k | K ≥ kmin) in the same
// continuous approximation as [PowerLawMLE]: ((k − ½)/(kmin − ½))^(1−α), and 1
// below kmin.
func PowerLawCCDF(k float64, kmin int, alpha float64) float64 {
	kmin = max(kmin, 1)
	if k <= float64(kmin) {
		return 1
	}
	return math.Pow((k-0.5)/(float64(kmin)-0.5), 1-alpha)
}

// PowerLawKS is the Kolmogorov–Smirnov distance between the degrees at or
// above kmin and the power law with exponent alpha fitted to them: the
// largest gap between the empirical P(K ≥ k | K ≥ kmin) and [PowerLawCCDF],
// over every integer k from kmin to the largest degree. It is the
// goodness-of-fit statistic of Clauset, Shalizi and Newman (2009): 0 is a
// perfect fit, and their test compares it with the distances of synthetic
// samples drawn from the fit. It returns NaN when alpha is NaN or no degree
// qualifies.
func PowerLawKS(degrees []int, kmin int, alpha float64) float64 {
	kmin = max(kmin, 1)
	var tail []int
	for _, k := range degrees {
		if k >= kmin {
			tail = append(tail, k)
		}
	}
	if len(tail) == 0 || math.IsNaN(alpha) {
		return math.NaN()
	}
	sort.Ints(tail)
	n := float64(len(tail))
	d, i := 0.0, 0
	for k := kmin; k <= tail[len(tail)-1]; k++ {
		for i < len(tail) && tail[i] < k {
			i++
		}
		emp := float64(len(tail)-i) / n // P(K ≥ k)
		d = max(d, math.Abs(emp-PowerLawCCDF(float64(k), kmin, alpha)))
	}
	return d
}
