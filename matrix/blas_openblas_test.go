//go:build openblas

package matrix

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/mat"
)

// unitRoundoff is u = 2⁻⁵³, the relative error of one rounding.
const unitRoundoff = 0x1p-53

// gamma is γ_k = k·u/(1 − k·u), the bound on the relative error of a dot
// product of length k (Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., §3.1): |fl(AB) − AB| ≤ γ_k |A||B| entrywise.
func gamma(k int) float64 { return float64(k) * unitRoundoff / (1 - float64(k)*unitRoundoff) }

// pureGo runs f with gonum's pure-Go BLAS installed, whatever the build
// chose, and restores the build's choice.
func pureGo(f func()) {
	prev := blas64.Implementation()
	blas64.Use(gonum.Implementation{})
	defer blas64.Use(prev)
	f()
}

func TestOpenBLASIsTheKernel(t *testing.T) {
	assert.Equal(t, "openblas", Kernel())
	_, ok := blas64.Implementation().(openBLAS)
	assert.True(t, ok, "blas64 uses %T", blas64.Implementation())
}

// OpenBLAS's Dgemm equals gonum's within what rounding allows: both are
// within γ_k(|α||A||B| + |β||C|) of the exact result, so they differ by at
// most twice that, entry by entry. Shapes cover transposes, strided views
// (ld larger than the row), α and β, and k = 0.
func TestOpenBLASDgemmMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(26, 3))
	trans := []blas.Transpose{blas.NoTrans, blas.Trans, blas.ConjTrans}
	for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 1, 9}, {64, 64, 64}, {33, 70, 129}, {5, 4, 0}} {
		for _, tA := range trans {
			for _, tB := range trans {
				m, n, k := s[0], s[1], s[2]
				name := fmt.Sprintf("%dx%dx%d/%c%c", m, n, k, tA, tB)
				t.Run(name, func(t *testing.T) { checkDgemm(t, rng, tA, tB, m, n, k) })
			}
		}
	}
}

func checkDgemm(t *testing.T, rng *rand.Rand, tA, tB blas.Transpose, m, n, k int) {
	ar, ac := m, k
	if tA != blas.NoTrans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB != blas.NoTrans {
		br, bc = n, k
	}
	pad := 3 // every matrix is a view with 3 unused columns per row
	fill := func(r, c int) ([]float64, int) {
		ld := max(1, c) + pad
		s := make([]float64, r*ld)
		for i := range s {
			s[i] = 4*rng.Float64() - 2
		}
		return s, ld
	}
	a, lda := fill(ar, ac)
	b, ldb := fill(br, bc)
	c, ldc := fill(m, n)
	alpha, beta := 1.5, -0.75
	got, want := append([]float64(nil), c...), append([]float64(nil), c...)
	openBLAS{}.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
	gonum.Implementation{}.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
	at := func(s []float64, ld int, tr blas.Transpose, i, j int) float64 {
		if tr != blas.NoTrans {
			i, j = j, i
		}
		return s[i*ld+j]
	}
	for i := range m {
		for j := range n {
			abs := math.Abs(beta * c[i*ldc+j])
			for l := range k {
				abs += math.Abs(alpha * at(a, lda, tA, i, l) * at(b, ldb, tB, l, j))
			}
			bound := 2 * gamma(k+2) * abs
			d := math.Abs(got[i*ldc+j] - want[i*ldc+j])
			require.LessOrEqual(t, d, bound, "C[%d][%d]", i, j)
		}
		for j := n; j < ldc && i*ldc+j < len(c); j++ {
			require.Equal(t, c[i*ldc+j], got[i*ldc+j], "padding C[%d][%d] untouched", i, j)
		}
	}
}

// Arguments gonum rejects panic with gonum's own message.
func TestOpenBLASDgemmRejectsWhatGonumRejects(t *testing.T) {
	a := make([]float64, 6)
	cases := map[string]func(blas.Float64){
		"bad transpose": func(i blas.Float64) { i.Dgemm('x', blas.NoTrans, 2, 2, 2, 1, a, 2, a, 2, 0, a, 2) },
		"negative m":    func(i blas.Float64) { i.Dgemm(blas.NoTrans, blas.NoTrans, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) },
		"short lda":     func(i blas.Float64) { i.Dgemm(blas.NoTrans, blas.NoTrans, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) },
		"short a":       func(i blas.Float64) { i.Dgemm(blas.NoTrans, blas.NoTrans, 3, 2, 3, 1, a, 3, a, 2, 0, a, 2) },
		"short c":       func(i blas.Float64) { i.Dgemm(blas.NoTrans, blas.NoTrans, 4, 2, 1, 1, a, 1, a, 2, 0, a, 2) },
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			want := recovered(func() { call(gonum.Implementation{}) })
			require.NotNil(t, want, "gonum accepts it")
			assert.Equal(t, want, recovered(func() { call(openBLAS{}) }))
		})
	}
}

func recovered(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// relTol is the working tolerance the issue suggests, 1e-12 relative to
// n·max|a|·max|b| (the size of the largest possible entry of a·b): far
// tighter than strassenBound, and still thousands of times what OpenBLAS
// and gonum differ by (TestOpenBLASProductsEqualPureGo logs it).
func relTol(n int, a, b *mat.Dense) float64 { return 1e-12 * float64(n) * maxAbs(a) * maxAbs(b) }

// strassenBound is Higham's bound on the error of Strassen's algorithm
// with recursion down to blocks of n0 (Accuracy and Stability, Theorem
// 23.2): ‖C − Ĉ‖ ≤ [(n/n0)^log2(12)·(n0² + 5n0) − 5n]·u·‖A‖·‖B‖ in the
// max norm. Two kernels each within it differ by at most twice it.
func strassenBound(n, n0 int, a, b *mat.Dense) float64 {
	levels := 0
	for m := n; m > n0; m = (m + 1) / 2 {
		levels++
	}
	leaf := float64(n) / math.Pow(2, float64(levels))
	f := math.Pow(12, float64(levels))*(leaf*leaf+5*leaf) - 5*float64(n)
	return 2 * f * unitRoundoff * maxAbs(a) * maxAbs(b)
}

// Local Strassen, the grid, and Compare's baseline on OpenBLAS equal the
// same products on gonum's pure-Go kernel.
func TestOpenBLASProductsEqualPureGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(26, 4))
	const n, cutoff = 300, 40
	a, b := randDense(rng, n, n), randDense(rng, n, n)
	var wantStrassen, wantMul *mat.Dense
	pureGo(func() {
		wantStrassen, _ = Strassen(a, b, cutoff)
		wantMul = mulLeaf(a, b)
	})
	bound := strassenBound(n, cutoff, a, b)

	got, err := Strassen(a, b, cutoff)
	require.NoError(t, err)
	d := MaxAbsDiff(got, wantStrassen)
	assert.LessOrEqual(t, d, min(bound, relTol(n, a, b)), "local Strassen")
	t.Logf("local Strassen: %.3g, bound %.3g, relative to max|a|·max|b|·n: %.2g", d, bound, d/(n*maxAbs(a)*maxAbs(b)))

	mul := mulLeaf(a, b)
	d = MaxAbsDiff(mul, wantMul)
	assert.LessOrEqual(t, d, min(2*gamma(n)*n*maxAbs(a)*maxAbs(b), relTol(n, a, b)), "Dense.Mul")

	l := testCluster(t, Products, func(cfg *LocalConfig) { cfg.Worker.Cutoff = cutoff })
	c := testClient(t, l.Addr(), func(cfg *ClientConfig) { cfg.Cutoff = cutoff })
	grid, rep, err := c.MultiplyReport(ctxFor(t, 20*time.Second), a, b)
	require.NoError(t, err)
	require.False(t, rep.Local, rep.Reason)
	d = MaxAbsDiff(grid, wantStrassen)
	assert.LessOrEqual(t, d, min(bound, relTol(n, a, b)), "grid")
	t.Logf("grid: %.3g, bound %.3g", d, bound)
}

// OpenBLAS's thread count is process-wide: a worker's Threads sets it, an
// in-process cluster gives each of its workers a share of the cores, and
// Compare's baseline runs with every core and puts the setting back.
func TestOpenBLASThreads(t *testing.T) {
	prev := SetKernelThreads(1)
	t.Cleanup(func() { SetKernelThreads(prev) })
	assert.Equal(t, 1, KernelThreads())
	assert.Equal(t, 1, SetKernelThreads(0), "0 changes nothing")
	assert.Equal(t, 1, KernelThreads())

	w, err := NewWorker(WorkerConfig{Threads: 2})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	assert.Equal(t, 2, KernelThreads(), "WorkerConfig.Threads")

	l := testCluster(t, 2, nil)
	share := max(1, runtime.NumCPU()/2)
	assert.Equal(t, share, KernelThreads(), "two in-process workers share the cores")
	c := testClient(t, l.Addr(), func(cfg *ClientConfig) { cfg.Peers = 2 })
	rng := rand.New(rand.NewPCG(26, 5))
	a, b := randDense(rng, 50, 50), randDense(rng, 50, 50)
	cmp, err := Compare(context.Background(), c, a, b)
	require.NoError(t, err)
	require.False(t, cmp.Report.Local, cmp.Report.Reason)
	assert.Equal(t, share, KernelThreads(), "Compare restores the workers' share")
}
