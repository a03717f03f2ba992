//go:build !openblas

package matrix

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The pure-Go kernel is gonum's Dgemm, which uses GOMAXPROCS goroutines
// whatever a worker asks for.
func TestPureGoKernelIgnoresThreads(t *testing.T) {
	assert.Equal(t, "gonum", Kernel())
	assert.Equal(t, runtime.GOMAXPROCS(0), SetKernelThreads(1))
	assert.Equal(t, runtime.GOMAXPROCS(0), KernelThreads())
}
