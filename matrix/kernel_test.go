package matrix

import (
	"maps"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// countingBLAS is the process's BLAS with its Dgemm calls counted by the
// size of the product (m×n×k).
type countingBLAS struct {
	blas.Float64
	mu    *sync.Mutex
	calls map[[3]int]int
}

func (c countingBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int,
	b []float64, ldb int, beta float64, c2 []float64, ldc int) {
	c.mu.Lock()
	c.calls[[3]int{m, n, k}]++
	c.mu.Unlock()
	c.Float64.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c2, ldc)
}

// take returns the counts so far and starts again from none.
func (c countingBLAS) take() map[[3]int]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := maps.Clone(c.calls)
	clear(c.calls)
	return out
}

// countDgemm installs countingBLAS around the current implementation for
// the rest of the test. blas64's choice is process-wide, so the tests that
// use it are not parallel (parallel tests start after them).
func countDgemm(t *testing.T) countingBLAS {
	t.Helper()
	prev := blas64.Implementation()
	c := countingBLAS{Float64: prev, mu: new(sync.Mutex), calls: map[[3]int]int{}}
	blas64.Use(c)
	t.Cleanup(func() { blas64.Use(prev) })
	return c
}

// Every leaf, local or on a worker, and Compare's baseline reach the
// kernel through blas64: counting Dgemm calls at blas64 finds exactly one
// per leaf, so nothing multiplies behind its back.
func TestLeavesAndBaselineGoThroughBlas64(t *testing.T) {
	calls := countDgemm(t)
	rng := rand.New(rand.NewPCG(26, 1))
	a, b := randDense(rng, 64, 64), randDense(rng, 64, 64)

	_, err := Strassen(a, b, 16) // 64 → 32 → 16: 7² leaves
	require.NoError(t, err)
	assert.Equal(t, map[[3]int]int{{16, 16, 16}: 49}, calls.take(), "local Strassen")

	l := testCluster(t, Products, func(cfg *LocalConfig) { cfg.Worker.Cutoff = 16 })
	c := testClient(t, l.Addr(), nil)
	cmp, err := Compare(ctxFor(t, 20*time.Second), c, a, b)
	require.NoError(t, err)
	require.False(t, cmp.Report.Local, cmp.Report.Reason)
	assert.LessOrEqual(t, cmp.MaxAbsDiff, cmp.Bound)
	// One level on the grid, one more on each worker (32 → 16): 7² leaves;
	// one Dense.Mul for the baseline; and the client's first estimate of a
	// worker's speed, the best of three 128×128 products on the kernel.
	want := map[[3]int]int{{16, 16, 16}: 49, {64, 64, 64}: 1, {128, 128, 128}: 3}
	assert.Equal(t, want, calls.take(), "grid leaves, the baseline and the speed prior")
}

func TestWorkerThreadsIsValidated(t *testing.T) {
	cfg := DefaultWorkerConfig("")
	cfg.Threads = -1
	_, err := NewWorker(cfg)
	require.ErrorContains(t, err, "WorkerConfig.Threads")
}

// Two workers lease two peers; each computes several products at once.
func TestTwoPeersShareTheSevenProducts(t *testing.T) {
	l := testCluster(t, 2, nil)
	c := testClient(t, l.Addr(), func(cfg *ClientConfig) { cfg.Peers = 2 })
	rng := rand.New(rand.NewPCG(26, 2))
	a, b := randDense(rng, 60, 50), randDense(rng, 50, 70)
	got, rep, err := c.MultiplyReport(ctxFor(t, 20*time.Second), a, b)
	require.NoError(t, err)
	require.False(t, rep.Local, rep.Reason)
	assert.Len(t, rep.Lease.Peers, 2)
	requireProduct(t, a, b, got)
	// Product i goes to peer i mod 2: four to one, three to the other.
	assert.ElementsMatch(t, []int64{4, 3}, []int64{l.Workers[0].Stats().Tasks, l.Workers[1].Stats().Tasks})

	_, err = NewClient(ClientConfig{Coordinator: l.Addr(), Peers: Products + 1})
	require.ErrorContains(t, err, "ClientConfig.Peers")
	_, err = NewClient(ClientConfig{Coordinator: l.Addr(), Peers: -1})
	require.ErrorContains(t, err, "ClientConfig.Peers")
}
