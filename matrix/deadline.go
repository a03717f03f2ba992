package matrix

import (
	"math"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"
)

// A task's deadline.
//
// A worker that stops answering (a crashed host, a process stopped with
// SIGSTOP, a partition) must not stall a multiplication forever, and a
// fixed timeout either cuts large tasks short or waits far too long on small
// ones. So every task gets a deadline from its size and its worker's
// measured speed:
//
//	deadline = TaskTimeout + taskSlack · 2rkc / speed(worker)
//
// where 2rkc is the task's floating-point work (an r×k by k×c product) and
// speed(worker) is what the client measured on that worker's earlier
// answers (work over the wall time from dial to result, so the network
// counts), smoothed. A worker not measured yet is assumed as slow as the
// slowest one measured, or, before any, priorSlowdown times slower than
// this machine's own gonum Mul (measured once per client). A task that
// misses its deadline is re-dispatched like one whose worker crashed.

// taskSlack is how many times its predicted time a task may take.
const taskSlack = 4

// priorSlowdown is how much slower than this machine an unmeasured worker
// is assumed to be: seven workers sharing two cores, under load, built
// with the race detector, with a cutoff that makes them add more than
// multiply.
const priorSlowdown = 64

// maxTaskDeadline caps the size-derived part of a deadline.
const maxTaskDeadline = time.Hour

// flops is the floating-point work of an r×k by k×c product.
func flops(r, k, c int) float64 { return 2 * float64(r) * float64(k) * float64(c) }

// speeds holds the measured speed (flop/s) of each worker.
type speeds struct {
	mu    sync.Mutex
	peer  map[string]float64
	once  sync.Once
	local float64 // this machine's gonum Mul, flop/s
}

// record folds one answered task into the worker's speed.
func (s *speeds) record(peer string, work float64, took time.Duration) {
	if took <= 0 {
		return
	}
	v := work / took.Seconds()
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.peer[peer]; ok {
		v = (old + v) / 2
	}
	s.peer[peer] = v
}

// of returns the speed to assume for peer.
func (s *speeds) of(peer string) float64 {
	s.mu.Lock()
	v, ok := s.peer[peer]
	slowest := math.Inf(1)
	for _, x := range s.peer {
		slowest = min(slowest, x)
	}
	s.mu.Unlock()
	switch {
	case ok:
		return v
	case !math.IsInf(slowest, 1):
		return slowest
	}
	s.once.Do(func() { s.local = localSpeed() })
	return s.local / priorSlowdown
}

// localSpeed times gonum's Mul on 128×128 matrices (the best of three).
func localSpeed() float64 {
	const n = 128
	a := mat.NewDense(n, n, nil)
	for i := range n {
		a.Set(i, i, 1)
		a.Set(i, (i+1)%n, 0.5)
	}
	var c mat.Dense
	best := time.Duration(math.MaxInt64)
	for range 3 {
		t0 := time.Now()
		c.Mul(a, a)
		best = min(best, max(time.Since(t0), time.Microsecond))
	}
	return flops(n, n, n) / best.Seconds()
}

// taskDeadline is how long a task of an r×k by k×c product may take at
// peer, dial to result.
func (c *Client) taskDeadline(peer string, r, k, cols int) time.Duration {
	d := taskSlack * flops(r, k, cols) / c.speeds.of(peer)
	return c.cfg.TaskTimeout + time.Duration(min(d, maxTaskDeadline.Seconds())*float64(time.Second))
}
