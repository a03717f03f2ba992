package matrix

import "gonum.org/v1/gonum/mat"

// The kernel.
//
// Every block product this package computes, a [Strassen] leaf on a worker
// or on the client, and the local baseline of [Compare], is one call of
// gonum's mat.Dense.Mul, which hands the block to blas64.Gemm: the Dgemm of
// whatever BLAS implementation the process installed with blas64.Use. The
// default build installs nothing, so gonum's own pure-Go Dgemm runs; built
// with -tags openblas, blas_openblas.go installs OpenBLAS's cblas_dgemm.
// mulLeaf is the only place a leaf is computed, and a test counts its Dgemm
// calls through a wrapper installed with blas64.Use, so nothing bypasses it.

// mulLeaf returns a·b computed by the process's blas64 implementation
// (mat.Dense.Mul → blas64.Gemm → Dgemm).
func mulLeaf(a, b *mat.Dense) *mat.Dense {
	r, _ := a.Dims()
	_, c := b.Dims()
	out := mat.NewDense(r, c, nil)
	out.Mul(a, b)
	return out
}

// Kernel names the BLAS implementation that leaf products run on: "gonum"
// (pure Go, the default build) or "openblas" (built with -tags openblas).
func Kernel() string { return kernelName }

// KernelThreads returns how many threads one product of the kernel may
// use. With OpenBLAS it is the library's process-wide setting; gonum's pure
// Go Dgemm spreads a product over GOMAXPROCS goroutines, and KernelThreads
// returns that.
func KernelThreads() int { return kernelThreads() }

// SetKernelThreads sets how many threads one product of the kernel may use
// and returns the previous count; n < 1 changes nothing. With OpenBLAS the
// count is process-wide (openblas_set_num_threads): every worker, client
// and mat.Dense.Mul in the process shares it, and the last call wins. The
// pure-Go build ignores it (set GOMAXPROCS instead), because gonum's Dgemm
// always uses GOMAXPROCS goroutines.
//
// Call it where no product is running: OpenBLAS does not promise that a
// product in flight survives a change of its thread count.
func SetKernelThreads(n int) (prev int) {
	prev = kernelThreads()
	if n >= 1 {
		setKernelThreads(n)
	}
	return prev
}
