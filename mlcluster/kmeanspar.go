package mlcluster

import (
	"fmt"
	"math/rand/v2"
)

// k-means|| (Bahmani et al. 2012): instead of one centre per two steps, each
// round samples about l = oversample·k rows at once, every row independently
// with probability l·D(x)²/φ where φ = Σ D(x)². After a few rounds the
// candidates (about l·rounds of them) are weighted by how many rows are
// nearest to each, and the coordinator reduces them to k centres with
// weighted k-means++ followed by weighted Lloyd on the candidates alone.
//
// The coin of row i in a round is a hash of the round's seed and the row's
// index in the whole dataset, so the candidates do not depend on how the
// rows are sharded, and a redone step draws the same coins.

// parState is the k-means|| part of a k-means plan.
type parState struct {
	stage int // 0 weigh, 1 sample, 2 count
	round int
	phi   float64
	seed  uint64
}

// maxCandidates bounds the values k-means|| may collect.
const maxCandidates = 1 << 24

func (p *kmPlan) nextParallel() Step {
	switch p.par.stage {
	case 0:
		return Step{Kind: kmWeigh, Data: p.centers}
	case 1:
		l := p.oversample * float64(p.k)
		return Step{Kind: kmSample, Data: append([]float64{float64(p.par.seed), l / p.par.phi}, p.centers...)}
	}
	return Step{Kind: kmCount, Data: p.centers}
}

func (p *kmPlan) mergeParallel(parts []Partial) error {
	switch p.par.stage {
	case 0:
		sums, err := addSums(parts, 1, "kmeans: weigh")
		if err != nil {
			return err
		}
		p.par.phi = sums[0]
		p.par.stage = 1
		if p.par.phi == 0 { // every row sits on a candidate: nothing left to sample
			p.par.stage = 2
		}
		p.par.seed = p.rng.Uint64() >> 11 // 53 bits travel exactly as a float64
	case 1:
		for i, part := range parts {
			if len(part.Sums)%p.d != 0 {
				return fmt.Errorf("%w: kmeans: shard %d sampled %d values, not whole rows", ErrProtocol, i, len(part.Sums))
			}
			p.centers = append(p.centers, part.Sums...)
		}
		if len(p.centers) > maxCandidates {
			return fmt.Errorf("kmeans: k-means|| collected %d candidate values, over the limit %d", len(p.centers), maxCandidates)
		}
		p.par.round++
		p.par.stage = 0
		if p.par.round == p.rounds {
			p.par.stage = 2
		}
	case 2:
		weights, err := addSums(parts, len(p.centers)/p.d, "kmeans: count")
		if err != nil {
			return err
		}
		return p.reduceCandidates(weights)
	}
	return nil
}

// reduceCandidates turns the weighted candidates into k initial centroids.
// With fewer than k distinct candidates it keeps them and lets distributed
// k-means++ add the rest.
func (p *kmPlan) reduceCandidates(weights []float64) error {
	centers := weightedPlusPlus(p.centers, weights, p.k, p.d, p.rng)
	if len(centers) < p.k*p.d {
		p.centers, p.phase, p.picking = centers, phaseSeed, false
		return nil
	}
	weightedLloyd(p.centers, weights, centers, p.d, 30)
	p.centers = centers
	p.init = append([]float64(nil), centers...)
	p.phase = phaseIterate
	return nil
}

// weightedPlusPlus is k-means++ over weighted points: the next centre is
// point x with probability proportional to w(x)·D(x)². It returns fewer than
// k centres when the points run out of weight (duplicates, zero weights).
func weightedPlusPlus(pts, w []float64, k, d int, rng *rand.Rand) []float64 {
	dist := make([]float64, len(w))
	for i := range dist {
		dist[i] = 1
	}
	centers := make([]float64, 0, k*d)
	for len(centers) < k*d {
		var total float64
		for i := range dist {
			total += w[i] * dist[i]
		}
		if total == 0 {
			break
		}
		u, pick := rng.Float64()*total, -1
		for i := range dist {
			if v := w[i] * dist[i]; v > 0 {
				pick = i
				if u < v {
					break
				}
				u -= v
			}
		}
		c := pts[pick*d : pick*d+d]
		centers = append(centers, c...)
		for i := range dist {
			if v := sqDist(pts[i*d:i*d+d], c); len(centers) == d || v < dist[i] {
				dist[i] = v
			}
		}
	}
	return centers
}

// weightedLloyd refines centers on the weighted points for a few iterations.
func weightedLloyd(pts, w, centers []float64, d, iters int) {
	k := len(centers) / d
	sums, counts := make([]float64, k*d), make([]float64, k)
	for range iters {
		clear(sums)
		clear(counts)
		for i, wi := range w {
			row := pts[i*d : i*d+d]
			_, c := nearest(row, centers)
			for j, v := range row {
				sums[c*d+j] += wi * v
			}
			counts[c] += wi
		}
		if updateCentroids(centers, sums, counts, d) == 0 {
			return
		}
	}
}

// sampleShard is the k-means|| sampling map: every row is kept with
// probability min(1, scale·D(x)²), decided by a coin that depends only on
// the round's seed and the row's global index.
func sampleShard(step Step, s *Shard) (Partial, error) {
	d := s.Cols
	if len(step.Data) < 2 || (len(step.Data)-2)%d != 0 {
		return Partial{}, fmt.Errorf("kmeans: %s: bad step data", step.Kind)
	}
	seed, scale, centers := uint64(step.Data[0]), step.Data[1], step.Data[2:]
	var out []float64
	for i := 0; i < s.Rows; i++ {
		row := s.Row(i)
		p := scale * d2weight(row, centers)
		if p > 0 && rowCoin(seed, s.Start+i) < p {
			out = append(out, row...)
		}
	}
	return Partial{Sums: out}, nil
}

// rowCoin is a uniform number in [0, 1) from a seed and a row index
// (SplitMix64 finaliser).
func rowCoin(seed uint64, row int) float64 {
	z := seed + uint64(row+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) * (1.0 / (1 << 53))
}
