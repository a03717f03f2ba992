package mlcluster

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// KMeans is exact distributed [Lloyd]'s algorithm with distributed k-means++
// seeding, registered as "kmeans".
//
// Parameters:
//
//	k          clusters, 1..rows (required)
//	max_iter   iteration limit, 1..100000 (default 100)
//	tol        stop when no centroid moves farther than this (default 1e-6; 0 = until nothing moves)
//	seed       seed of the k-means++ random choices (default 1)
//	init       seeding: "k-means++" (default; 2 steps per centre) or "k-means||" (2 steps per round)
//	rounds     k-means|| rounds, 1..100 (default 5)
//	oversample k-means|| expected candidates per round, as a multiple of k (default 2)
//	centroids  initial centroids instead of seeding: "x1,x2;y1,y2;..." (k rows of cols numbers)
//
// Result tables: "centroids" (k x cols), "initial_centroids" (k x cols),
// "labels" (rows x 1, cluster index per row in the original order),
// "counts" (1 x k), "inertia" (1x1: the sum of squared distances of each
// row to its centroid). [Result.Iterations] is the number of [Lloyd] updates.
type KMeans struct{}

// Name returns "kmeans".
func (KMeans) Name() string { return "kmeans" }

// k-means step kinds.
const (
	kmWeigh  = "pp-weigh"   // data: chosen centers; sums: [sum of D^2 over the shard]
	kmPick   = "pp-pick"    // data: [shard, threshold, centers...]; sums: the picked row or nothing
	kmAssign = "assign"     // data: centroids; sums: [k*cols sums, k counts, inertia]
	kmLabel  = "label"      // data: centroids; sums: [inertia, k counts]; rows: labels
	kmSample = "par-sample" // data: [seed, l/phi, centers...]; sums: the sampled rows
	kmCount  = "par-count"  // data: candidates; sums: rows nearest each candidate
)

// Plan validates k, max_iter, tol, seed and centroids.
func (KMeans) Plan(shape Shape, params Params) (Plan, error) {
	pr := newParamReader("kmeans", params)
	if _, ok := params["k"]; !ok {
		return nil, fmt.Errorf("%w: kmeans: parameter k is required", ErrBadParams)
	}
	k := pr.Int("k", 0, math.MinInt32, math.MaxInt32)
	maxIter := pr.Int("max_iter", 100, 1, 100000)
	tol := pr.Float("tol", 1e-6, 0, math.MaxFloat64)
	seed := pr.Int("seed", 1, math.MinInt, math.MaxInt)
	init := pr.String("centroids")
	method := pr.Choice("init", "k-means++", "k-means++", "k-means||")
	rounds := pr.Int("rounds", 5, 1, 100)
	oversample := pr.Float("oversample", 2, 0.1, 100)
	if err := pr.Err(); err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fmt.Errorf("%w: kmeans: k=%d out of range: need at least 1 cluster", ErrBadParams, k)
	}
	if k > shape.Rows {
		return nil, fmt.Errorf("%w: kmeans: k=%d is greater than the number of rows (%d)", ErrBadParams, k, shape.Rows)
	}
	pl := &kmPlan{k: k, d: shape.Cols, maxIter: maxIter, tol: tol, rows: shape.Rows,
		rng: rand.New(rand.NewPCG(uint64(seed), 0x6b6d65616e73)), objective: math.NaN(),
		parallel: method == "k-means||", rounds: rounds, oversample: oversample}
	if init != "" {
		c, err := ParseCentroids(init, k, shape.Cols)
		if err != nil {
			return nil, err
		}
		pl.centers = c
		pl.init = append([]float64(nil), c...)
		pl.phase = phaseIterate
	}
	return pl, nil
}

// ParseCentroids reads k rows of cols numbers written "x1,x2;y1,y2;...".
func ParseCentroids(s string, k, cols int) ([]float64, error) {
	rows := strings.Split(strings.TrimSpace(s), ";")
	if len(rows) != k {
		return nil, fmt.Errorf("%w: kmeans: centroids has %d rows, want k=%d", ErrBadParams, len(rows), k)
	}
	out := make([]float64, 0, k*cols)
	for i, r := range rows {
		fs := strings.Split(r, ",")
		if len(fs) != cols {
			return nil, fmt.Errorf("%w: kmeans: centroid %d has %d values, want %d", ErrBadParams, i+1, len(fs), cols)
		}
		for _, f := range fs {
			v, ok := parseFloat([]byte(strings.TrimSpace(f)))
			if !ok {
				return nil, fmt.Errorf("%w: kmeans: centroid %d: %q is not a number", ErrBadParams, i+1, f)
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// FormatCentroids writes centroids in the form [ParseCentroids] reads.
func FormatCentroids(c []float64, cols int) string {
	var b strings.Builder
	for i := 0; i < len(c); i += cols {
		if i > 0 {
			b.WriteByte(';')
		}
		for j := 0; j < cols; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(c[i+j], 'g', -1, 64))
		}
	}
	return b.String()
}

// Map computes one shard's part of a k-means step.
func (KMeans) Map(step Step, s *Shard) (Partial, error) {
	d := s.Cols
	switch step.Kind {
	case kmWeigh:
		if len(step.Data)%d != 0 {
			return Partial{}, fmt.Errorf("kmeans: %s: %d values is not a multiple of %d columns", step.Kind, len(step.Data), d)
		}
		var total float64
		for i := 0; i < s.Rows; i++ {
			total += d2weight(s.Row(i), step.Data)
		}
		return Partial{Sums: []float64{total}}, nil
	case kmPick:
		if len(step.Data) < 2 || (len(step.Data)-2)%d != 0 {
			return Partial{}, fmt.Errorf("kmeans: %s: bad step data", step.Kind)
		}
		if int(step.Data[0]) != s.ID {
			return Partial{}, nil
		}
		threshold, centers := step.Data[1], step.Data[2:]
		var acc float64
		last := -1
		for i := 0; i < s.Rows; i++ {
			w := d2weight(s.Row(i), centers)
			if w == 0 {
				continue
			}
			acc += w
			last = i
			if acc > threshold {
				break
			}
		}
		if last < 0 {
			return Partial{}, nil
		}
		return Partial{Sums: append([]float64(nil), s.Row(last)...)}, nil
	case kmSample:
		return sampleShard(step, s)
	case kmCount:
		if len(step.Data) == 0 || len(step.Data)%d != 0 {
			return Partial{}, fmt.Errorf("kmeans: %s: bad step data", step.Kind)
		}
		counts := make([]float64, len(step.Data)/d)
		assignAccumulate(s.Data, d, step.Data, nil, counts, nil, false)
		return Partial{Sums: counts}, nil
	case kmAssign, kmLabel:
		if len(step.Data) == 0 || len(step.Data)%d != 0 {
			return Partial{}, fmt.Errorf("kmeans: %s: %d values is not a multiple of %d columns", step.Kind, len(step.Data), d)
		}
		k := len(step.Data) / d
		if step.Kind == kmAssign {
			sums := make([]float64, k*d+k+1)
			sums[k*d+k] = assignAccumulate(s.Data, d, step.Data, sums[:k*d], sums[k*d:k*d+k], nil, true)
			return Partial{Sums: sums}, nil
		}
		sums := make([]float64, 1+k)
		labels := make([]float64, s.Rows)
		sums[0] = assignAccumulate(s.Data, d, step.Data, nil, sums[1:], labels, true)
		return Partial{Sums: sums, Rows: Matrix{Rows: s.Rows, Cols: 1, Data: labels}}, nil
	}
	return Partial{}, fmt.Errorf("kmeans: unknown step %q", step.Kind)
}

type kmPhase int

const (
	phaseSeed kmPhase = iota
	phaseParallel
	phaseIterate
	phaseLabel
	phaseDone
)

// kmPlan is the coordinator side of a k-means job.
type kmPlan struct {
	k, d, rows int
	maxIter    int
	tol        float64
	rng        *rand.Rand

	phase     kmPhase
	centers   []float64 // chosen centers while seeding, then the centroids
	init      []float64
	weights   []float64 // per-shard D^2 totals of the last weigh step
	picking   bool      // the next step is a pick
	iter      int
	objective float64
	counts    []float64
	labels    Matrix
	lastStep  string

	// k-means|| state
	parallel   bool
	rounds     int
	oversample float64
	par        parState
}

func (p *kmPlan) Next() (Step, bool) {
	switch p.phase {
	case phaseSeed:
		if !p.picking {
			return Step{Kind: kmWeigh, Data: p.centers}, false
		}
		shard, threshold := p.choose()
		return Step{Kind: kmPick, Data: append([]float64{float64(shard), threshold}, p.centers...)}, false
	case phaseParallel:
		return p.nextParallel(), false
	case phaseIterate:
		return Step{Kind: kmAssign, Data: p.centers}, false
	case phaseLabel:
		return Step{Kind: kmLabel, Data: p.centers}, false
	}
	return Step{}, true
}

// choose draws the next k-means++ center: a shard and a threshold within its
// D^2 total, with probability proportional to D^2 over all rows.
func (p *kmPlan) choose() (int, float64) {
	var total float64
	for _, w := range p.weights {
		total += w
	}
	u := p.rng.Float64() * total
	last := 0
	for i, w := range p.weights {
		if w == 0 {
			continue
		}
		if u < w {
			return i, u
		}
		u -= w
		last = i
	}
	return last, p.weights[last] // rounding ran past the end: the last row with weight
}

func (p *kmPlan) Merge(parts []Partial) error {
	p.lastStep = map[kmPhase]string{phaseSeed: "seed", phaseParallel: "seed", phaseIterate: "assign", phaseLabel: "label"}[p.phase]
	switch p.phase {
	case phaseSeed:
		return p.mergeSeed(parts)
	case phaseParallel:
		return p.mergeParallel(parts)
	case phaseIterate:
		sums := make([]float64, p.k*p.d+p.k+1)
		for _, part := range parts {
			if len(part.Sums) != len(sums) {
				return fmt.Errorf("%w: kmeans: assign partial has %d values, want %d", ErrProtocol, len(part.Sums), len(sums))
			}
			for i, v := range part.Sums {
				sums[i] += v
			}
		}
		p.objective = sums[len(sums)-1]
		shift := updateCentroids(p.centers, sums[:p.k*p.d], sums[p.k*p.d:p.k*p.d+p.k], p.d)
		p.iter++
		if shift <= p.tol || p.iter >= p.maxIter {
			p.phase = phaseLabel
		}
		return nil
	case phaseLabel:
		p.objective, p.counts = 0, make([]float64, p.k)
		labels := make([]float64, 0, p.rows)
		for _, part := range parts {
			if len(part.Sums) != 1+p.k || part.Rows.Cols != 1 || len(part.Rows.Data) != part.Rows.Rows {
				return fmt.Errorf("%w: kmeans: malformed label partial", ErrProtocol)
			}
			p.objective += part.Sums[0]
			for c := range p.counts {
				p.counts[c] += part.Sums[1+c]
			}
			labels = append(labels, part.Rows.Data...)
		}
		if len(labels) != p.rows {
			return fmt.Errorf("%w: kmeans: %d labels for %d rows", ErrProtocol, len(labels), p.rows)
		}
		p.labels = Matrix{Rows: p.rows, Cols: 1, Data: labels}
		p.phase = phaseDone
		return nil
	}
	return fmt.Errorf("kmeans: merge after the job finished")
}

func (p *kmPlan) mergeSeed(parts []Partial) error {
	if !p.picking {
		p.weights = make([]float64, len(parts))
		var total float64
		for i, part := range parts {
			if len(part.Sums) != 1 {
				return fmt.Errorf("%w: kmeans: weigh partial has %d values", ErrProtocol, len(part.Sums))
			}
			p.weights[i] = part.Sums[0]
			total += part.Sums[0]
		}
		if total == 0 {
			return fmt.Errorf("%w: kmeans: k=%d but the data has only %d distinct rows", ErrBadParams, p.k, len(p.centers)/p.d)
		}
		p.picking = true
		return nil
	}
	var row []float64
	for _, part := range parts {
		if len(part.Sums) == p.d {
			row = part.Sums
		}
	}
	if row == nil {
		return fmt.Errorf("%w: kmeans: no shard returned the k-means++ pick", ErrProtocol)
	}
	p.centers = append(p.centers, row...)
	p.picking = false
	if p.parallel && len(p.centers) == p.d {
		p.phase = phaseParallel // k-means|| takes over after the first centre
		return nil
	}
	if len(p.centers) == p.k*p.d {
		p.init = append([]float64(nil), p.centers...)
		p.phase = phaseIterate
	}
	return nil
}

func (p *kmPlan) Progress() Progress {
	return Progress{Step: p.lastStep, Iteration: p.iter, MaxIter: p.maxIter, Objective: p.objective}
}

func (p *kmPlan) Result() (*Result, error) {
	if p.phase != phaseDone {
		return nil, fmt.Errorf("kmeans: result asked before the job finished")
	}
	return &Result{
		Algorithm: "kmeans", Iterations: p.iter, Objective: p.objective,
		Tables: map[string]Matrix{
			"centroids":         {Rows: p.k, Cols: p.d, Data: p.centers},
			"initial_centroids": {Rows: p.k, Cols: p.d, Data: p.init},
			"labels":            p.labels,
			"counts":            vector(p.counts),
			"inertia":           scalar(p.objective),
		},
	}, nil
}
