package mlcluster

import (
	"math"
	"time"
)

// Step deadlines (see "Fault handling" in the package documentation).
//
// A step's work is rows × max(cols², len(step data)) over the shards it
// covers: k-means compares every row with k centroids (step data k·cols),
// PCA and linear regression add a cols×cols outer product per row, and
// statistics touch each value once (cols² bounds it). The unit is rough on
// purpose: what matters is that a worker's measured speed, in the same
// unit, predicts its next step of the same kind.

const (
	// stepSlack is how many times its predicted time a step may take. It is
	// wider than matrix's (4) because a worker that misses it is lost and
	// its shards shipped again, where matrix only races a backup.
	stepSlack = 8
	// priorStepSpeed is the speed, in work per second, assumed for a step
	// kind no worker has answered yet: about fifty times slower than one
	// core does k-means' multiply-adds, so that a first step is never cut
	// short on a loaded machine.
	priorStepSpeed = 20e6
	// minShipRate is the slowest rate, in bytes per second, at which a
	// frame to a worker may leave (above the floor) before the worker
	// counts as stopped.
	minShipRate = 10 << 20
	// maxStepDeadline caps the size-derived part of a deadline.
	maxStepDeadline = time.Hour
)

// stepWork is the work of a step on the shards ids.
func stepWork(shards []*Shard, ids []int, step Step) float64 {
	w := 0.0
	for _, id := range ids {
		s := shards[id]
		w += float64(s.Rows) * max(float64(s.Cols)*float64(s.Cols), float64(len(step.Data)))
	}
	return w
}

func speedKey(algo string, step Step) string { return algo + "/" + step.Kind }

// stepDeadline is how long w may take to answer a step of the given work:
// the floor plus stepSlack times the work at w's measured speed for this
// kind of step, or the slowest speed measured on any worker, or
// priorStepSpeed before any.
func (c *Coordinator) stepDeadline(w *workerConn, algo string, step Step, work float64) time.Duration {
	c.mu.Lock()
	speeds := c.speeds[speedKey(algo, step)]
	v, ok := speeds[w]
	if !ok {
		v = math.Inf(1)
		for _, x := range speeds {
			v = min(v, x)
		}
		if math.IsInf(v, 1) {
			v = priorStepSpeed
		}
	}
	c.mu.Unlock()
	d := stepSlack * work / v
	return c.cfg.StepTimeout + time.Duration(min(d, maxStepDeadline.Seconds())*float64(time.Second))
}

// recordSpeed folds one answered step into w's speed for its kind.
func (c *Coordinator) recordSpeed(w *workerConn, algo string, step Step, work float64, took time.Duration) {
	if took <= 0 || work <= 0 {
		return
	}
	v := work / took.Seconds()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !w.alive() {
		return // its entries were removed with it
	}
	key := speedKey(algo, step)
	m := c.speeds[key]
	if m == nil {
		m = map[*workerConn]float64{}
		c.speeds[key] = m
	}
	if old, ok := m[w]; ok {
		v = (old + v) / 2
	}
	m[w] = v
}
