//go:build openblas && cgo

package matrix

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
)

// kernelName is this build's kernel: OpenBLAS's cblas_dgemm.
const kernelName = "openblas"

// kernelCutoff is [DefaultCutoff] on OpenBLAS.
const kernelCutoff = 4096

// Importing the package built with -tags openblas makes OpenBLAS the Dgemm
// of every gonum call in the process (blas64 is gonum's process-wide
// choice), which is what puts the leaves and the baseline on one kernel.
func init() { blas64.Use(openBLAS{}) }

// openBLAS is gonum's pure-Go BLAS with Dgemm replaced by OpenBLAS's
// cblas_dgemm. The grid only multiplies, so only Dgemm is worth a cgo
// call; every other routine (Ddot, Dgemv, ... used elsewhere in gonum) stays
// gonum's own.
type openBLAS struct {
	gonum.Implementation
}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C with OpenBLAS. Arguments
// that gonum would reject (or sizes beyond OpenBLAS's 32-bit integers) go
// to gonum's Dgemm, which panics with its own message or computes them.
func (o openBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int,
	b []float64, ldb int, beta float64, c []float64, ldc int) {
	if !dgemmArgsOK(tA, tB, m, n, k, a, lda, b, ldb, c, ldc) {
		o.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m == 0 || n == 0 {
		return
	}
	C.cblas_dgemm(C.CblasRowMajor, cTrans(tA), cTrans(tB),
		C.blasint(m), C.blasint(n), C.blasint(k),
		C.double(alpha), first(a), C.blasint(lda), first(b), C.blasint(ldb),
		C.double(beta), first(c), C.blasint(ldc))
}

// dgemmArgsOK reports whether the arguments pass gonum's checks (the
// transposes, the dimensions, the leading dimensions, the slice lengths)
// and fit OpenBLAS's 32-bit blasint.
func dgemmArgsOK(tA, tB blas.Transpose, m, n, k int, a []float64, lda int,
	b []float64, ldb int, c []float64, ldc int) bool {
	if !validTrans(tA) || !validTrans(tB) || m < 0 || n < 0 || k < 0 {
		return false
	}
	if max(m, n, k, lda, ldb, ldc) > math.MaxInt32 {
		return false
	}
	ar, ac := m, k // A as stored: rows × columns
	if tA != blas.NoTrans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB != blas.NoTrans {
		br, bc = n, k
	}
	if lda < max(1, ac) || ldb < max(1, bc) || ldc < max(1, n) {
		return false
	}
	if m == 0 || n == 0 {
		return true
	}
	stored := func(s []float64, r, cols, ld int) bool { return r == 0 || len(s) >= (r-1)*ld+cols }
	return stored(a, ar, ac, lda) && stored(b, br, bc, ldb) && stored(c, m, n, ldc)
}

func validTrans(t blas.Transpose) bool {
	return t == blas.NoTrans || t == blas.Trans || t == blas.ConjTrans
}

// cTrans maps a gonum transpose to CBLAS's; for real matrices ConjTrans is
// Trans.
func cTrans(t blas.Transpose) C.enum_CBLAS_TRANSPOSE {
	if t == blas.NoTrans {
		return C.CblasNoTrans
	}
	return C.CblasTrans
}

// first returns the address of s[0], or nil for an empty slice (OpenBLAS
// never reads it then: k = 0 leaves only C = beta·C).
func first(s []float64) *C.double {
	if len(s) == 0 {
		return nil
	}
	return (*C.double)(&s[0])
}

func kernelThreads() int { return int(C.openblas_get_num_threads()) }

func setKernelThreads(n int) { C.openblas_set_num_threads(C.int(n)) }
