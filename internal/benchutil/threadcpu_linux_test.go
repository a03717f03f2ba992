package benchutil

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// busy spins for d of wall time.
func busy(d time.Duration) {
	start := time.Now()
	x := 0
	for time.Since(start) < d {
		for i := range 1000 {
			x += i
		}
	}
	_ = x
}

// A thread's CPU time grows with its own work and not with another
// thread's.
func TestThreadCPUTimeCountsThisThreadOnly(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := ThreadCPUTime()
	busy(30 * time.Millisecond)
	if used := ThreadCPUTime() - before; used <= 0 {
		t.Fatalf("30 ms of busy work on this thread used %v of its CPU", used)
	}

	before = ThreadCPUTime()
	var wg sync.WaitGroup
	wg.Go(func() {
		runtime.LockOSThread() // another thread, ended with the goroutine
		busy(200 * time.Millisecond)
	})
	wg.Wait() // blocked, not spinning: this thread does almost nothing
	if used := ThreadCPUTime() - before; used >= 100*time.Millisecond {
		t.Fatalf("waiting while another thread spun 200 ms cost this thread %v", used)
	}
}
