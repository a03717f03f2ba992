package matrix

import (
	"context"
	"math/rand/v2"
	"runtime"
	"time"

	"gonum.org/v1/gonum/mat"
)

// Comparison is one distributed multiplication set against gonum's local
// Dense.Mul on the same operands: what the examples and the tour print.
type Comparison struct {
	Report      Report        // phases of the distributed run
	Distributed time.Duration // wall time of Client.MultiplyReport
	Gonum       time.Duration // wall time of gonum's Dense.Mul on the kernel, with every core
	MaxAbsDiff  float64       // max |C − gonum's C|
	Bound       float64       // 1e-9·n·max|a|·max|b|, the accepted error
}

// Ratio is Distributed / Gonum.
func (c Comparison) Ratio() float64 { return c.Distributed.Seconds() / c.Gonum.Seconds() }

// Compare multiplies a·b with the client, then with gonum's Dense.Mul on the
// same [Kernel], and compares them. The local baseline is the one call a
// user would make instead: it runs with a thread per core
// ([SetKernelThreads] runtime.NumCPU(), restored afterwards), whatever
// share the workers of an in-process cluster were given. a and b may be
// any mat.Matrix, as for [Client.MultiplyReport].
func Compare(ctx context.Context, c *Client, a, b mat.Matrix) (Comparison, error) {
	var cmp Comparison
	t0 := time.Now()
	got, rep, err := c.MultiplyReport(ctx, a, b)
	cmp.Distributed = time.Since(t0)
	cmp.Report = rep
	if err != nil {
		return cmp, err
	}
	r, _ := a.Dims()
	_, cc := b.Dims()
	want := mat.NewDense(r, cc, nil)
	prev := SetKernelThreads(runtime.NumCPU())
	t0 = time.Now()
	want.Mul(a, b)
	cmp.Gonum = time.Since(t0)
	SetKernelThreads(prev)
	cmp.MaxAbsDiff = MaxAbsDiff(got, want)
	_, k := a.Dims()
	cmp.Bound = 1e-9 * float64(k) * maxAbs(a) * maxAbs(b)
	return cmp, nil
}

// RandomDense returns an r×c matrix with entries uniform in [-1, 1) drawn
// from rng, a generator of math/rand/v2 (not math/rand), for example
// rand.New(rand.NewPCG(1, 2)): the same seed gives the same matrix.
func RandomDense(rng *rand.Rand, r, c int) *mat.Dense {
	data := make([]float64, r*c)
	for i := range data {
		data[i] = 2*rng.Float64() - 1
	}
	return mat.NewDense(r, c, data)
}
