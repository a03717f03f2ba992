package matrix

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// DefaultCutoff is the block size at or below which [Strassen] hands a product
// to the kernel (gonum's Mul on blas64, see [Kernel]). Below a few hundred
// rows the extra additions and temporary matrices cost more than the one
// multiplication in eight they save. The value depends on the kernel: 256
// for gonum's pure Go, and 4096 for OpenBLAS (-tags openblas), whose blocked
// Dgemm is fast enough that a Strassen level costs more than it saves at
// every size measured (BenchmarkStrassenVsGonum, cpu-ratio, up to n = 2048).
const DefaultCutoff = kernelCutoff

// Strassen returns the product a·b computed with [Strassen]'s recursive
// algorithm: each level splits the operands into quadrants, forms the seven
// products M1..M7 (see the package documentation) and combines them. Blocks
// whose smallest dimension is at most cutoff are multiplied by the kernel:
// gonum's Mul through blas64 (see [Kernel]).
// Odd dimensions are padded with a zero row or column for the split and the
// padding is stripped from the result, so any shapes work. a must have as
// many columns as b has rows.
//
// As gonum's own functions do, a and b may be any mat.Matrix: a *mat.Dense
// or a view of one (Slice) is used in place; anything else (a
// mat.Transpose, a *mat.SymDense, ...) is copied into a *mat.Dense first.
func Strassen(a, b mat.Matrix, cutoff int) (*mat.Dense, error) {
	da, db, err := operands(a, b)
	if err != nil {
		return nil, err
	}
	if cutoff < 1 {
		return nil, fmt.Errorf("matrix: Strassen cutoff %d must be at least 1", cutoff)
	}
	return strassen(da, db, cutoff), nil
}

// operands checks that a·b is defined and returns both as *mat.Dense:
// a *mat.Dense (a view included) as it is, any other mat.Matrix copied.
func operands(a, b mat.Matrix) (*mat.Dense, *mat.Dense, error) {
	da, db := asDense(a), asDense(b)
	if err := checkShapes(da, db); err != nil {
		return nil, nil, err
	}
	return da, db, nil
}

// asDense returns m as a *mat.Dense, copying only when it is not one; nil
// for a nil or empty matrix.
func asDense(m mat.Matrix) *mat.Dense {
	switch d := m.(type) {
	case nil:
		return nil
	case *mat.Dense:
		return d
	}
	if r, c := m.Dims(); r == 0 || c == 0 {
		return nil
	}
	return mat.DenseCopyOf(m)
}

// checkShapes reports whether a·b is defined.
func checkShapes(a, b *mat.Dense) error {
	if a == nil || b == nil || a.IsEmpty() || b.IsEmpty() {
		return fmt.Errorf("%w: an operand is empty", ErrShape)
	}
	ar, ac := a.Dims()
	br, bc := b.Dims()
	if ac != br {
		return fmt.Errorf("%w: A is %d×%d but B is %d×%d (A's columns must equal B's rows)", ErrShape, ar, ac, br, bc)
	}
	return nil
}

func strassen(a, b *mat.Dense, cutoff int) *mat.Dense {
	m, _ := strassenCtx(context.Background(), a, b, cutoff)
	return m
}

// strassenCtx is strassen that gives up with ctx's error once ctx ends,
// checked before each of the seven sub-products: a product computed here
// while a multiply's context ends (dispatch's local fallback) stops within
// one kernel block instead of running to the end.
func strassenCtx(ctx context.Context, a, b *mat.Dense, cutoff int) (*mat.Dense, error) {
	r, k := a.Dims()
	_, c := b.Dims()
	if min(r, k, c) <= cutoff {
		return mulLeaf(a, b), nil
	}
	s := newSplit(a, b)
	var m [7]*mat.Dense
	for i := range m {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		x, y := s.operands(i)
		var err error
		if m[i], err = strassenCtx(ctx, x.dense(), y.dense(), cutoff); err != nil {
			return nil, err
		}
	}
	return s.combine(m), nil
}

// split is one level of [Strassen]: the operands padded to even dimensions and
// cut into quadrant views (no copies unless a dimension was odd).
type split struct {
	r, c       int        // dimensions of the product before padding
	half       [3]int     // padded r/2, k/2, c/2
	aPad, bPad *mat.Dense // the operands, padded to even dimensions
	a11, a12   *mat.Dense // quadrants of A
	a21, a22   *mat.Dense //
	b11, b12   *mat.Dense // quadrants of B
	b21, b22   *mat.Dense //
}

// newSplit pads a (r×k) and b (k×c) to even dimensions and cuts both into
// quadrants.
func newSplit(a, b *mat.Dense) *split {
	r, k := a.Dims()
	_, c := b.Dims()
	s := &split{r: r, c: c}
	s.aPad = padEven(a)
	s.bPad = padEven(b)
	hr, hk, hc := (r+1)/2, (k+1)/2, (c+1)/2
	s.half = [3]int{hr, hk, hc}
	q := func(m *mat.Dense, i, j, h, w int) *mat.Dense {
		return m.Slice(i*h, (i+1)*h, j*w, (j+1)*w).(*mat.Dense)
	}
	s.a11, s.a12 = q(s.aPad, 0, 0, hr, hk), q(s.aPad, 0, 1, hr, hk)
	s.a21, s.a22 = q(s.aPad, 1, 0, hr, hk), q(s.aPad, 1, 1, hr, hk)
	s.b11, s.b12 = q(s.bPad, 0, 0, hk, hc), q(s.bPad, 0, 1, hk, hc)
	s.b21, s.b22 = q(s.bPad, 1, 0, hk, hc), q(s.bPad, 1, 1, hk, hc)
	return s
}

// padEven returns m itself when both dimensions are even, or a copy with one
// zero row and/or column appended.
func padEven(m *mat.Dense) *mat.Dense {
	r, c := m.Dims()
	if r%2 == 0 && c%2 == 0 {
		return m
	}
	p := mat.NewDense(r+r%2, c+c%2, nil)
	p.Slice(0, r, 0, c).(*mat.Dense).Copy(m)
	return p
}

// lin is a quadrant or the sum x + sign·y of two quadrants: one [Strassen]
// operand, described without being computed so that it can be streamed onto
// the wire or materialised only where needed.
type lin struct {
	x, y *mat.Dense // y is nil for a single quadrant
	sign float64    // +1 or -1
}

func (l lin) Dims() (int, int) { return l.x.Dims() }

// row returns row i of the operand; dst is scratch of at least the column
// count and is used only when the row must be computed.
func (l lin) row(i int, dst []float64) []float64 {
	xr := l.x.RawRowView(i)
	if l.y == nil {
		return xr
	}
	yr := l.y.RawRowView(i)
	dst = dst[:len(xr)]
	if l.sign > 0 {
		for j, v := range xr {
			dst[j] = v + yr[j]
		}
	} else {
		for j, v := range xr {
			dst[j] = v - yr[j]
		}
	}
	return dst
}

// dense materialises the operand (a view, not a copy, for a single quadrant).
func (l lin) dense() *mat.Dense {
	if l.y == nil {
		return l.x
	}
	r, c := l.x.Dims()
	out := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		l.row(i, out.RawRowView(i))
	}
	return out
}

func sum(x, y *mat.Dense) lin  { return lin{x, y, 1} }
func diff(x, y *mat.Dense) lin { return lin{x, y, -1} }
func one(x *mat.Dense) lin     { return lin{x: x, sign: 1} }

// operands returns the two factors of product M(i+1):
//
//	M1 = (A11 + A22)(B11 + B22)    M5 = (A11 + A12) B22
//	M2 = (A21 + A22) B11           M6 = (A21 − A11)(B11 + B12)
//	M3 = A11 (B12 − B22)           M7 = (A12 − A22)(B21 + B22)
//	M4 = A22 (B21 − B11)
func (s *split) operands(i int) (lin, lin) {
	switch i {
	case 0:
		return sum(s.a11, s.a22), sum(s.b11, s.b22)
	case 1:
		return sum(s.a21, s.a22), one(s.b11)
	case 2:
		return one(s.a11), diff(s.b12, s.b22)
	case 3:
		return one(s.a22), diff(s.b21, s.b11)
	case 4:
		return sum(s.a11, s.a12), one(s.b22)
	case 5:
		return diff(s.a21, s.a11), sum(s.b11, s.b12)
	case 6:
		return diff(s.a12, s.a22), sum(s.b21, s.b22)
	}
	panic(fmt.Sprintf("matrix: Strassen product index %d out of range", i))
}

// combine assembles the product from the seven products and strips padding:
//
//	C11 = M1 + M4 − M5 + M7    C12 = M3 + M5
//	C21 = M2 + M4              C22 = M1 − M2 + M3 + M6
func (s *split) combine(m [7]*mat.Dense) *mat.Dense {
	hr, hc := s.half[0], s.half[2]
	out := mat.NewDense(s.r, s.c, nil)
	for i := 0; i < hr; i++ {
		m1, m2, m3, m4 := m[0].RawRowView(i), m[1].RawRowView(i), m[2].RawRowView(i), m[3].RawRowView(i)
		m5, m6, m7 := m[4].RawRowView(i), m[5].RawRowView(i), m[6].RawRowView(i)
		top := out.RawRowView(i)
		w := min(hc, s.c-hc) // the right half loses the padding column
		for j := 0; j < hc; j++ {
			top[j] = m1[j] + m4[j] - m5[j] + m7[j]
		}
		for j := 0; j < w; j++ {
			top[hc+j] = m3[j] + m5[j]
		}
		if hr+i >= s.r {
			continue // padding row
		}
		bot := out.RawRowView(hr + i)
		for j := 0; j < hc; j++ {
			bot[j] = m2[j] + m4[j]
		}
		for j := 0; j < w; j++ {
			bot[hc+j] = m1[j] - m2[j] + m3[j] + m6[j]
		}
	}
	return out
}

// MaxAbsDiff returns the largest |a(i,j) − b(i,j)|, or +Inf when the shapes
// differ. It is how examples and tests compare [Strassen] with gonum.
func MaxAbsDiff(a, b mat.Matrix) float64 {
	ar, ac := a.Dims()
	br, bc := b.Dims()
	if ar != br || ac != bc {
		return math.Inf(1)
	}
	d := 0.0
	for i := 0; i < ar; i++ {
		for j := 0; j < ac; j++ {
			if v := math.Abs(a.At(i, j) - b.At(i, j)); v > d || math.IsNaN(v) {
				d = v
			}
		}
	}
	return d
}

// maxAbs returns max |m(i,j)|.
func maxAbs(m mat.Matrix) float64 {
	r, c := m.Dims()
	x := 0.0
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			x = math.Max(x, math.Abs(m.At(i, j)))
		}
	}
	return x
}
