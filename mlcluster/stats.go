package mlcluster

import (
	"fmt"
	"math"
)

// Stats computes per-column count, mean, variance, min and max from
// mergeable moments, registered as "stats". Each shard returns, per column,
// (n, mean, M2, min, max) where M2 is the sum of squared deviations from the
// shard's mean; the coordinator merges them pairwise in shard order with the
// parallel formula of Chan, Golub and LeVeque:
//
//	n = na + nb,  δ = mean_b - mean_a,
//	mean = mean_a + δ·nb/n,  M2 = M2a + M2b + δ²·na·nb/n
//
// which is exact and numerically stable, unlike summing x and x².
//
// It takes no parameters and has no objective (0). Result tables (each 1 x cols): "count", "mean",
// "variance" (sample variance, dividing by n-1; 0 for one row), "min",
// "max".
type Stats struct{}

// Name returns "stats".
func (Stats) Name() string { return "stats" }

// Plan checks that no parameters were given.
func (Stats) Plan(shape Shape, params Params) (Plan, error) {
	if err := newParamReader("stats", params).Err(); err != nil {
		return nil, err
	}
	return &statsPlan{d: shape.Cols}, nil
}

// Moments are the mergeable summary of one column.
type Moments struct {
	N, Mean, M2, Min, Max float64
}

// Add folds one value in (Welford's update).
func (m *Moments) Add(x float64) {
	if m.N == 0 {
		m.Min, m.Max = x, x
	}
	m.N++
	delta := x - m.Mean
	m.Mean += delta / m.N
	m.M2 += delta * (x - m.Mean)
	m.Min, m.Max = math.Min(m.Min, x), math.Max(m.Max, x)
}

// Merge combines two summaries (Chan et al.'s parallel formula).
func (m Moments) Merge(o Moments) Moments {
	switch {
	case o.N == 0:
		return m
	case m.N == 0:
		return o
	}
	n := m.N + o.N
	delta := o.Mean - m.Mean
	return Moments{
		N:    n,
		Mean: m.Mean + delta*o.N/n,
		M2:   m.M2 + o.M2 + delta*delta*m.N*o.N/n,
		Min:  math.Min(m.Min, o.Min),
		Max:  math.Max(m.Max, o.Max),
	}
}

// Variance is the sample variance (n-1 in the denominator).
func (m Moments) Variance() float64 {
	if m.N < 2 {
		return 0
	}
	return m.M2 / (m.N - 1)
}

// Map returns the shard's moments, five numbers per column.
func (Stats) Map(step Step, s *Shard) (Partial, error) {
	if step.Kind != "moments" {
		return Partial{}, fmt.Errorf("stats: unknown step %q", step.Kind)
	}
	ms := make([]Moments, s.Cols)
	for i := 0; i < s.Rows; i++ {
		for j, v := range s.Row(i) {
			ms[j].Add(v)
		}
	}
	out := make([]float64, 0, 5*s.Cols)
	for _, m := range ms {
		out = append(out, m.N, m.Mean, m.M2, m.Min, m.Max)
	}
	return Partial{Sums: out}, nil
}

type statsPlan struct {
	d    int
	done bool
	ms   []Moments
}

func (p *statsPlan) Next() (Step, bool) {
	if p.done {
		return Step{}, true
	}
	return Step{Kind: "moments"}, false
}

func (p *statsPlan) Merge(parts []Partial) error {
	p.ms = make([]Moments, p.d)
	for i, part := range parts {
		if len(part.Sums) != 5*p.d {
			return fmt.Errorf("%w: stats: shard %d sent %d values, want %d", ErrProtocol, i, len(part.Sums), 5*p.d)
		}
		for j := range p.ms {
			v := part.Sums[5*j : 5*j+5]
			p.ms[j] = p.ms[j].Merge(Moments{N: v[0], Mean: v[1], M2: v[2], Min: v[3], Max: v[4]})
		}
	}
	p.done = true
	return nil
}

func (p *statsPlan) Progress() Progress {
	return Progress{Step: "moments", Objective: math.NaN()}
}

func (p *statsPlan) Result() (*Result, error) {
	if !p.done {
		return nil, fmt.Errorf("stats: result asked before the job finished")
	}
	t := map[string][]float64{}
	for _, m := range p.ms {
		t["count"] = append(t["count"], m.N)
		t["mean"] = append(t["mean"], m.Mean)
		t["variance"] = append(t["variance"], m.Variance())
		t["min"] = append(t["min"], m.Min)
		t["max"] = append(t["max"], m.Max)
	}
	out := &Result{Algorithm: "stats", Tables: map[string]Matrix{}}
	for k, v := range t {
		out.Tables[k] = vector(v)
	}
	return out, nil
}
