package mlcluster

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// PCA is principal component analysis from a distributed mean and
// covariance, registered as "pca". The eigendecomposition of the cols x cols
// covariance matrix runs on the coordinator with gonum.
//
// Parameters:
//
//	components   number of components to keep, 1..cols (default min(2, cols))
//
// Result tables: "mean" (1 x cols), "components" (components x cols, unit
// vectors, largest variance first), "explained_variance" (1 x components,
// the eigenvalues of the sample covariance), "explained_ratio" (1 x
// components, their share of the total variance) and "projected" (rows x
// components, each row's coordinates on the components, in the original
// order).
type PCA struct{}

// Name returns "pca".
func (PCA) Name() string { return "pca" }

// Plan validates components.
func (PCA) Plan(shape Shape, params Params) (Plan, error) {
	pr := newParamReader("pca", params)
	nc := pr.Int("components", min(2, shape.Cols), 1, shape.Cols)
	if err := pr.Err(); err != nil {
		return nil, err
	}
	if shape.Cols > maxMatrixCols {
		return nil, fmt.Errorf("%w: pca: %d columns, at most %d", ErrBadParams, shape.Cols, maxMatrixCols)
	}
	if shape.Rows < 2 {
		return nil, fmt.Errorf("%w: pca: needs at least 2 rows, have %d", ErrBadParams, shape.Rows)
	}
	return &pcaPlan{d: shape.Cols, rows: shape.Rows, nc: nc}, nil
}

// Map computes a shard's column sums ("sum"), centred scatter matrix
// ("scatter", step data = mean) or projections ("project", step data = mean
// then the components).
func (PCA) Map(step Step, s *Shard) (Partial, error) {
	d := s.Cols
	switch step.Kind {
	case "sum":
		sums := make([]float64, 1+d)
		sums[0] = float64(s.Rows)
		for i := 0; i < s.Rows; i++ {
			for j, v := range s.Row(i) {
				sums[1+j] += v
			}
		}
		return Partial{Sums: sums}, nil
	case "scatter":
		if len(step.Data) != d {
			return Partial{}, fmt.Errorf("pca: scatter: mean has %d values, want %d", len(step.Data), d)
		}
		mean := step.Data
		sc := make([]float64, d*d)
		x := make([]float64, d)
		for i := 0; i < s.Rows; i++ {
			for j, v := range s.Row(i) {
				x[j] = v - mean[j]
			}
			for a := 0; a < d; a++ {
				row := sc[a*d : a*d+d]
				for b := a; b < d; b++ {
					row[b] += x[a] * x[b]
				}
			}
		}
		return Partial{Sums: sc}, nil
	case "project":
		if len(step.Data) < 2*d || len(step.Data)%d != 0 {
			return Partial{}, fmt.Errorf("pca: project: bad step data")
		}
		mean, comps := step.Data[:d], step.Data[d:]
		nc := len(comps) / d
		out := make([]float64, s.Rows*nc)
		for i := 0; i < s.Rows; i++ {
			row := s.Row(i)
			for c := 0; c < nc; c++ {
				var v float64
				for j := range row {
					v += (row[j] - mean[j]) * comps[c*d+j]
				}
				out[i*nc+c] = v
			}
		}
		return Partial{Rows: Matrix{Rows: s.Rows, Cols: nc, Data: out}}, nil
	}
	return Partial{}, fmt.Errorf("pca: unknown step %q", step.Kind)
}

type pcaPlan struct {
	d, rows, nc int
	stage       int // 0 sum, 1 scatter, 2 project, 3 done
	mean        []float64
	comps       []float64
	variance    []float64
	ratio       []float64
	projected   Matrix
}

func (p *pcaPlan) Next() (Step, bool) {
	switch p.stage {
	case 0:
		return Step{Kind: "sum"}, false
	case 1:
		return Step{Kind: "scatter", Data: p.mean}, false
	case 2:
		return Step{Kind: "project", Data: append(append([]float64(nil), p.mean...), p.comps...)}, false
	}
	return Step{}, true
}

func (p *pcaPlan) Merge(parts []Partial) error {
	switch p.stage {
	case 0:
		sums, err := addSums(parts, 1+p.d, "pca: sum")
		if err != nil {
			return err
		}
		p.mean = make([]float64, p.d)
		for j := range p.mean {
			p.mean[j] = sums[1+j] / sums[0]
		}
	case 1:
		sc, err := addSums(parts, p.d*p.d, "pca: scatter")
		if err != nil {
			return err
		}
		if err := p.decompose(sc); err != nil {
			return err
		}
	case 2:
		data := make([]float64, 0, p.rows*p.nc)
		for _, part := range parts {
			if part.Rows.Cols != p.nc || len(part.Rows.Data) != part.Rows.Rows*p.nc {
				return fmt.Errorf("%w: pca: malformed projection partial", ErrProtocol)
			}
			data = append(data, part.Rows.Data...)
		}
		if len(data) != p.rows*p.nc {
			return fmt.Errorf("%w: pca: %d projected values for %d rows", ErrProtocol, len(data), p.rows)
		}
		p.projected = Matrix{Rows: p.rows, Cols: p.nc, Data: data}
	default:
		return fmt.Errorf("pca: merge after the job finished")
	}
	p.stage++
	return nil
}

// decompose turns the summed scatter matrix into sorted principal components.
func (p *pcaPlan) decompose(sc []float64) error {
	d := p.d
	cov := mat.NewSymDense(d, nil)
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			cov.SetSym(a, b, sc[a*d+b]/float64(p.rows-1))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return fmt.Errorf("pca: eigendecomposition did not converge")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	order := make([]int, d)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	var total float64
	for _, v := range vals {
		total += math.Max(v, 0)
	}
	p.comps = make([]float64, 0, p.nc*d)
	for c := 0; c < p.nc; c++ {
		col := order[c]
		vec := make([]float64, d)
		big := 0
		for j := range vec {
			vec[j] = vecs.At(j, col)
			if math.Abs(vec[j]) > math.Abs(vec[big]) {
				big = j
			}
		}
		if vec[big] < 0 { // a fixed sign makes the answer deterministic
			for j := range vec {
				vec[j] = -vec[j]
			}
		}
		p.comps = append(p.comps, vec...)
		v := math.Max(vals[col], 0)
		p.variance = append(p.variance, v)
		if total > 0 {
			p.ratio = append(p.ratio, v/total)
		} else {
			p.ratio = append(p.ratio, 0)
		}
	}
	return nil
}

func (p *pcaPlan) Progress() Progress {
	return Progress{Step: [...]string{"sum", "scatter", "project", "done"}[p.stage], Objective: math.NaN()}
}

func (p *pcaPlan) Result() (*Result, error) {
	if p.stage != 3 {
		return nil, fmt.Errorf("pca: result asked before the job finished")
	}
	var explained float64
	for _, r := range p.ratio {
		explained += r
	}
	return &Result{Algorithm: "pca", Objective: explained, Tables: map[string]Matrix{
		"mean":               vector(p.mean),
		"components":         {Rows: p.nc, Cols: p.d, Data: p.comps},
		"explained_variance": vector(p.variance),
		"explained_ratio":    vector(p.ratio),
		"projected":          p.projected,
	}}, nil
}

// addSums adds the partials' Sums element-wise, in shard order.
func addSums(parts []Partial, n int, what string) ([]float64, error) {
	out := make([]float64, n)
	for i, part := range parts {
		if len(part.Sums) != n {
			return nil, fmt.Errorf("%w: %s: shard %d sent %d values, want %d", ErrProtocol, what, i, len(part.Sums), n)
		}
		for j, v := range part.Sums {
			out[j] += v
		}
	}
	return out, nil
}
