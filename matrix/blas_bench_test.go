package matrix

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/benchutil"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// BenchmarkKernelGrid multiplies n×n matrices on the in-process TCP grid
// (a coordinator, 2 or 7 workers on loopback, one Strassen level on the
// grid) and with one local mat.Dense.Mul on the same kernel, in the same
// run: gonum's pure Go by default, OpenBLAS with -tags openblas (the
// kernel's name is in the benchmark's name). The workers share the cores
// (StartLocal: OpenBLAS threads = max(1, cores/workers)); the local call
// uses a thread per core, as a user's would. With 2 workers the client
// leases both and each computes three or four of the seven products.
//
// Metrics, per multiply: grid-s and local-s (wall), grid-GFLOP/s and
// local-GFLOP/s (2n³/s), ratio = grid-s/local-s (goal with OpenBLAS: at
// most 2); the grid's phases from its Report (split-s, send-s, compute-s,
// combine-s); kernel-s, the wall time during which at least one Dgemm ran
// (timed at blas64), kernel-GFLOP/s, the seven products' flops over it,
// and kernel-cpu-s, the CPU time of the threads that called Dgemm during
// the calls (exact for OpenBLAS at one thread, as the workers run here;
// gonum's Dgemm also runs goroutines on other threads, which it misses);
// grid-cpu-s and local-cpu-s, the process's CPU time (all threads) during
// each, and cpu-ratio, their ratio: on a shared machine the figure that
// load disturbs least; grid-cores and local-cores, CPU time over wall time
// (fewer than the machine's cores means other processes had them); and
// err/tol, max|grid − local| over 1e-12·n·max|a|·max|b|; redispatched,
// tasks re-sent after a deadline (0 expected: the deadline is 10 minutes).
func BenchmarkKernelGrid(b *testing.B) {
	for _, n := range []int{2048, 4096} {
		for _, workers := range []int{2, Products} {
			name := fmt.Sprintf("kernel=%s/n=%d/workers=%d", Kernel(), n, workers)
			b.Run(name, func(b *testing.B) { benchKernelGrid(b, n, workers) })
		}
	}
}

// gridFigures accumulates one benchmark's measurements.
type gridFigures struct {
	grid, local, gridCPU, localCPU time.Duration
	split, send, compute, combine  time.Duration
	kernel, kernelCPU              time.Duration
	redispatched                   int
}

func benchKernelGrid(b *testing.B, n, workers int) {
	cfg := DefaultLocalConfig()
	cfg.Workers = workers
	l, err := StartLocal(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	gridThreads := KernelThreads()
	defer SetKernelThreads(gridThreads)
	cc := DefaultClientConfig(l.Addr())
	cc.Peers = workers
	// The benchmark measures the grid's speed, not its failure handling: on
	// a loaded machine a product can take longer than its deadline, and a
	// backup would duplicate the work. redispatched reports any that did.
	cc.TaskTimeout = 10 * time.Minute
	c, err := NewClient(cc)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(26, uint64(n)))
	x, y := RandomDense(rng, n, n), RandomDense(rng, n, n)
	want := mat.NewDense(n, n, nil)
	timer := timeDgemm(b)
	var f gridFigures
	var got *mat.Dense
	for b.Loop() {
		SetKernelThreads(gridThreads)
		timer.reset()
		cpu0, t0 := benchutil.CPUTime(), time.Now()
		var rep Report
		got, rep, err = c.MultiplyReport(context.Background(), x, y)
		f.grid += time.Since(t0)
		f.gridCPU += benchutil.CPUTime() - cpu0
		if err != nil || rep.Local {
			b.Fatalf("grid multiply: err %v, local %v %s", err, rep.Local, rep.Reason)
		}
		f.redispatched += rep.Redispatched
		kw, kc := timer.busy()
		f.kernel += kw
		f.kernelCPU += kc
		f.split += rep.Split
		f.send += rep.Send
		f.compute += rep.Compute
		f.combine += rep.Combine

		SetKernelThreads(runtime.NumCPU())
		cpu0, t0 = benchutil.CPUTime(), time.Now()
		want.Mul(x, y)
		f.local += time.Since(t0)
		f.localCPU += benchutil.CPUTime() - cpu0
	}
	b.StopTimer()
	f.report(b, n, MaxAbsDiff(got, want)/(1e-12*float64(n)*maxAbs(x)*maxAbs(y)))
}

func (f gridFigures) report(b *testing.B, n int, errTol float64) {
	k := float64(b.N)
	per := func(d time.Duration) float64 { return d.Seconds() / k }
	flop := 2 * float64(n) * float64(n) * float64(n)
	b.ReportMetric(per(f.grid), "grid-s")
	b.ReportMetric(per(f.local), "local-s")
	b.ReportMetric(f.grid.Seconds()/f.local.Seconds(), "ratio")
	b.ReportMetric(flop/per(f.grid)/1e9, "grid-GFLOP/s")
	b.ReportMetric(flop/per(f.local)/1e9, "local-GFLOP/s")
	b.ReportMetric(per(f.split), "split-s")
	b.ReportMetric(per(f.send), "send-s")
	b.ReportMetric(per(f.compute), "compute-s")
	b.ReportMetric(per(f.combine), "combine-s")
	b.ReportMetric(per(f.kernel), "kernel-s")
	b.ReportMetric(7.0/8*flop/per(f.kernel)/1e9, "kernel-GFLOP/s")
	b.ReportMetric(per(f.kernelCPU), "kernel-cpu-s")
	b.ReportMetric(per(f.gridCPU), "grid-cpu-s")
	b.ReportMetric(per(f.localCPU), "local-cpu-s")
	b.ReportMetric(f.gridCPU.Seconds()/f.localCPU.Seconds(), "cpu-ratio")
	b.ReportMetric(benchutil.Cores(f.gridCPU, f.grid), "grid-cores")
	b.ReportMetric(benchutil.Cores(f.localCPU, f.local), "local-cores")
	b.ReportMetric(errTol, "err/tol")
	b.ReportMetric(float64(f.redispatched)/k, "redispatched")
}

// dgemmTimer wraps the process's BLAS and records when Dgemm calls run, so
// that a benchmark can say how much of a grid multiply the kernel was busy.
type dgemmTimer struct {
	blas.Float64
	mu      *sync.Mutex
	running *int
	since   *time.Time
	total   *time.Duration
	cpu     *time.Duration // CPU time of the calling threads
}

// timeDgemm installs a dgemmTimer for the rest of the benchmark.
func timeDgemm(b *testing.B) dgemmTimer {
	prev := blas64.Implementation()
	t := dgemmTimer{Float64: prev, mu: new(sync.Mutex), running: new(int), since: new(time.Time),
		total: new(time.Duration), cpu: new(time.Duration)}
	blas64.Use(t)
	b.Cleanup(func() { blas64.Use(prev) })
	return t
}

func (t dgemmTimer) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int,
	b []float64, ldb int, beta float64, c []float64, ldc int) {
	t.mu.Lock()
	if *t.running == 0 {
		*t.since = time.Now()
	}
	*t.running++
	t.mu.Unlock()
	runtime.LockOSThread()
	cpu0 := benchutil.ThreadCPUTime()
	t.Float64.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	cpu := benchutil.ThreadCPUTime() - cpu0
	runtime.UnlockOSThread()
	t.mu.Lock()
	if *t.running--; *t.running == 0 {
		*t.total += time.Since(*t.since)
	}
	*t.cpu += cpu
	t.mu.Unlock()
}

// busy returns the wall time during which at least one Dgemm ran since the
// last reset, and the CPU time of the threads that called them.
func (t dgemmTimer) busy() (wall, cpu time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return *t.total, *t.cpu
}

func (t dgemmTimer) reset() {
	t.mu.Lock()
	*t.total, *t.cpu = 0, 0
	t.mu.Unlock()
}
