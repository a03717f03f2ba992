// Package benchutil holds what netlab's benchmarks share: the CPU time a
// process has used, so that a benchmark on a shared machine can report how
// many cores a phase actually got beside its wall-clock figure.
package benchutil

import "time"

// CPUTime returns the CPU time (user and system, all threads) that this
// process has used so far, or 0 where the system does not say.
func CPUTime() time.Duration { return cpuTime() }

// ThreadCPUTime returns the CPU time the calling OS thread has used, or 0
// where the system does not say (it does on Linux). Only differences on
// one thread mean anything: lock the goroutine to its thread
// (runtime.LockOSThread) across the work being timed, which then counts
// only what runs on that thread, not on threads it starts.
func ThreadCPUTime() time.Duration { return threadCPUTime() }

// Cores returns how many cores a phase used on average: the CPU time it
// consumed divided by the wall-clock time it took. It is 0 when wall is 0
// or the CPU time is unknown.
func Cores(cpu, wall time.Duration) float64 {
	if wall <= 0 || cpu <= 0 {
		return 0
	}
	return float64(cpu) / float64(wall)
}
