package mlcluster

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// maxMatrixCols bounds the columns of algorithms that build a cols x cols
// matrix (pca, linreg), so a wide file cannot ask for gigabytes.
const maxMatrixCols = 1024

// LinReg is ordinary least squares from distributed normal equations,
// registered as "linreg". Each shard sums XᵀX and Xᵀy over its rows (X with
// a leading column of ones for the intercept); the coordinator solves
// (XᵀX) β = Xᵀy with gonum, then a second pass computes R².
//
// Parameters:
//
//	target   column index (0-based) of y (default: the last column)
//
// Result tables: "coefficients" (1 x cols: the intercept, then one
// coefficient per feature column in column order, skipping the target),
// "r2" (1x1), "sse" (1x1, the residual sum of squares, also the Objective).
type LinReg struct{}

// Name returns "linreg".
func (LinReg) Name() string { return "linreg" }

// Plan validates target.
func (LinReg) Plan(shape Shape, params Params) (Plan, error) {
	pr := newParamReader("linreg", params)
	target := pr.Int("target", shape.Cols-1, 0, shape.Cols-1)
	if err := pr.Err(); err != nil {
		return nil, err
	}
	switch {
	case shape.Cols < 2:
		return nil, fmt.Errorf("%w: linreg: needs a feature column and a target column, have %d column", ErrBadParams, shape.Cols)
	case shape.Cols > maxMatrixCols:
		return nil, fmt.Errorf("%w: linreg: %d columns, at most %d", ErrBadParams, shape.Cols, maxMatrixCols)
	case shape.Rows <= shape.Cols:
		return nil, fmt.Errorf("%w: linreg: %d rows cannot determine %d coefficients", ErrBadParams, shape.Rows, shape.Cols)
	}
	return &lrPlan{p: shape.Cols, target: target}, nil
}

// features writes [1, x without the target] into x.
func features(x, row []float64, target int) {
	x[0] = 1
	k := 1
	for j, v := range row {
		if j != target {
			x[k] = v
			k++
		}
	}
}

// Map sums XᵀX (upper triangle), Xᵀy, Σy and Σy² ("normal", step data =
// [target]) or the residual and total sums of squares ("residual", step data
// = [target, ȳ, β...]).
func (LinReg) Map(step Step, s *Shard) (Partial, error) {
	p := s.Cols
	if len(step.Data) < 1 || int(step.Data[0]) < 0 || int(step.Data[0]) >= p {
		return Partial{}, fmt.Errorf("linreg: %s: bad target", step.Kind)
	}
	target := int(step.Data[0])
	x := make([]float64, p)
	switch step.Kind {
	case "normal":
		sums := make([]float64, p*p+p+2)
		xtx, xty := sums[:p*p], sums[p*p:p*p+p]
		for i := 0; i < s.Rows; i++ {
			row := s.Row(i)
			features(x, row, target)
			y := row[target]
			for a := 0; a < p; a++ {
				for b := a; b < p; b++ {
					xtx[a*p+b] += x[a] * x[b]
				}
				xty[a] += x[a] * y
			}
			sums[p*p+p] += y
			sums[p*p+p+1] += y * y
		}
		return Partial{Sums: sums}, nil
	case "residual":
		if len(step.Data) != 2+p {
			return Partial{}, fmt.Errorf("linreg: residual: bad step data")
		}
		ybar, beta := step.Data[1], step.Data[2:]
		var sse, sst float64
		for i := 0; i < s.Rows; i++ {
			row := s.Row(i)
			features(x, row, target)
			var fit float64
			for a, b := range beta {
				fit += b * x[a]
			}
			r, t := row[target]-fit, row[target]-ybar
			sse += r * r
			sst += t * t
		}
		return Partial{Sums: []float64{sse, sst}}, nil
	}
	return Partial{}, fmt.Errorf("linreg: unknown step %q", step.Kind)
}

type lrPlan struct {
	p, target int
	stage     int
	n, ybar   float64
	beta      []float64
	sse, r2   float64
}

func (l *lrPlan) Next() (Step, bool) {
	switch l.stage {
	case 0:
		return Step{Kind: "normal", Data: []float64{float64(l.target)}}, false
	case 1:
		return Step{Kind: "residual", Data: append([]float64{float64(l.target), l.ybar}, l.beta...)}, false
	}
	return Step{}, true
}

func (l *lrPlan) Merge(parts []Partial) error {
	p := l.p
	switch l.stage {
	case 0:
		sums, err := addSums(parts, p*p+p+2, "linreg: normal")
		if err != nil {
			return err
		}
		xtx := mat.NewSymDense(p, nil)
		for a := 0; a < p; a++ {
			for b := a; b < p; b++ {
				xtx.SetSym(a, b, sums[a*p+b])
			}
		}
		l.n = sums[0] // the intercept column's XᵀX entry is the row count
		l.ybar = sums[p*p+p] / l.n
		var chol mat.Cholesky
		if !chol.Factorize(xtx) {
			return fmt.Errorf("%w: linreg: XᵀX is singular (collinear or constant columns)", ErrBadInput)
		}
		var beta mat.VecDense
		if err := chol.SolveVecTo(&beta, mat.NewVecDense(p, sums[p*p:p*p+p])); err != nil {
			return fmt.Errorf("%w: linreg: %v", ErrBadInput, err)
		}
		l.beta = make([]float64, p)
		for i := range l.beta {
			l.beta[i] = beta.AtVec(i)
		}
	case 1:
		sums, err := addSums(parts, 2, "linreg: residual")
		if err != nil {
			return err
		}
		l.sse = sums[0]
		l.r2 = 1
		if sums[1] > 0 {
			l.r2 = 1 - sums[0]/sums[1]
		}
	default:
		return fmt.Errorf("linreg: merge after the job finished")
	}
	l.stage++
	return nil
}

func (l *lrPlan) Progress() Progress {
	obj := math.NaN()
	if l.stage == 2 {
		obj = l.sse
	}
	return Progress{Step: [...]string{"normal", "residual", "done"}[l.stage], Objective: obj}
}

func (l *lrPlan) Result() (*Result, error) {
	if l.stage != 2 {
		return nil, fmt.Errorf("linreg: result asked before the job finished")
	}
	return &Result{Algorithm: "linreg", Objective: l.sse, Tables: map[string]Matrix{
		"coefficients": vector(l.beta),
		"r2":           scalar(l.r2),
		"sse":          scalar(l.sse),
	}}, nil
}
