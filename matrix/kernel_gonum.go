//go:build !openblas

package matrix

import "runtime"

// kernelName is the pure-Go build's kernel: gonum's Dgemm, which blas64
// uses when nothing else is installed.
const kernelName = "gonum"

// kernelCutoff is [DefaultCutoff] on gonum's kernel.
const kernelCutoff = 256

func kernelThreads() int { return runtime.GOMAXPROCS(0) }

func setKernelThreads(int) {}
