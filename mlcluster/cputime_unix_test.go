//go:build unix

package mlcluster

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) this process has used, to
// tell how many cores a benchmark phase actually got on a shared machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
