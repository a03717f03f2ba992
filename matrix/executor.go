package matrix

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Product is one block product A·B of a [Strassen] level: a task for an
// [Executor]. A and B may be operand sums such as A11 + A22 that are formed
// row by row only where they are needed (on the wire, or here when the
// product is computed locally); read them through mat.Matrix, or copy them
// with mat.DenseCopyOf.
type Product struct {
	A, B mat.Matrix
}

// Executor is where the products of a [Strassen] level run: the seam
// between the computation (split, combine) and the machines that do the
// multiplying. [Client] runs them on the course's TCP grid of leased
// workers, [AMQPExecutor] on RabbitMQ work queues. [MultiplyOn] does not
// know which it was given, and the answer is the same, bit for bit.
type Executor interface {
	// Products returns ps[i].A·ps[i].B for every i, in the order of ps,
	// each computed as [Strassen] computes it with the executor's cutoff.
	// It returns when every product is back, or with an error when one
	// cannot be computed.
	Products(ctx context.Context, ps []Product) ([]*mat.Dense, error)
}

// MultiplyOn returns a·b computed as [Strassen](a, b, cutoff) computes it,
// with the seven products of the top level run by ex. When the smallest
// dimension is at most cutoff there is no level to split and the product
// is computed here. The workers behind ex must use the same cutoff for the
// answer to equal Strassen's bit for bit.
func MultiplyOn(ctx context.Context, ex Executor, a, b mat.Matrix, cutoff int) (*mat.Dense, error) {
	da, db, err := operands(a, b)
	if err != nil {
		return nil, err
	}
	if cutoff < 1 {
		return nil, fmt.Errorf("matrix: MultiplyOn cutoff %d must be at least 1", cutoff)
	}
	r, k := da.Dims()
	_, c := db.Dims()
	if min(r, k, c) <= cutoff {
		return strassen(da, db, cutoff), nil
	}
	return level(ctx, ex, newSplit(da, db))
}

// level runs the seven products of one split on ex and combines them.
func level(ctx context.Context, ex Executor, s *split) (*mat.Dense, error) {
	m, err := runLevel(ctx, ex, s)
	if err != nil {
		return nil, err
	}
	return s.combine(m), nil
}

// runLevel runs the seven products of one split on ex and checks what came
// back.
func runLevel(ctx context.Context, ex Executor, s *split) ([Products]*mat.Dense, error) {
	var seven [Products]*mat.Dense
	ps := make([]Product, Products)
	for i := range ps {
		x, y := s.operands(i)
		ps[i] = Product{x, y}
	}
	m, err := ex.Products(ctx, ps)
	if err != nil {
		return seven, err
	}
	if len(m) != Products {
		return seven, fmt.Errorf("matrix: executor returned %d products for %d tasks", len(m), Products)
	}
	hr, hc := s.half[0], s.half[2]
	for i, p := range m {
		if p == nil {
			return seven, fmt.Errorf("matrix: executor returned no product M%d", i+1)
		}
		if r, c := p.Dims(); r != hr || c != hc {
			return seven, fmt.Errorf("%w: product M%d is %d×%d, want %d×%d", ErrShape, i+1, r, c, hr, hc)
		}
		seven[i] = p
	}
	return seven, nil
}

// At and T make a Strassen operand a mat.Matrix, so that it can travel in a
// [Product] without being formed.
func (l lin) At(i, j int) float64 {
	if l.y == nil {
		return l.x.At(i, j)
	}
	return l.x.At(i, j) + l.sign*l.y.At(i, j)
}

func (l lin) T() mat.Matrix { return mat.Transpose{Matrix: l} }

// source returns m in the form the encoder streams: an operand sum as it
// is, anything else as a *mat.Dense (copied only when it is not one).
func source(m mat.Matrix) rowSource {
	if l, ok := m.(lin); ok {
		return l
	}
	return denseSource{asDense(m)}
}

// dense returns m as a *mat.Dense, forming an operand sum.
func dense(m mat.Matrix) *mat.Dense {
	if l, ok := m.(lin); ok {
		return l.dense()
	}
	return asDense(m)
}

// checkProducts validates a batch of products before any is sent.
func checkProducts(ps []Product) error {
	for i, p := range ps {
		if p.A == nil || p.B == nil {
			return fmt.Errorf("%w: product %d has a nil operand", ErrShape, i)
		}
		ar, ac := p.A.Dims()
		br, bc := p.B.Dims()
		if ar == 0 || ac == 0 || bc == 0 || ac != br {
			return fmt.Errorf("%w: product %d: A is %d×%d but B is %d×%d", ErrShape, i, ar, ac, br, bc)
		}
	}
	return nil
}
