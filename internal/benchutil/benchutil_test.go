package benchutil

import (
	"runtime"
	"testing"
	"time"
)

func TestCPUTimeGrowsWithWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no getrusage here")
	}
	before := CPUTime()
	start := time.Now()
	x := 0
	for time.Since(start) < 50*time.Millisecond {
		for i := range 1000 {
			x += i
		}
	}
	_ = x
	used := CPUTime() - before
	if used <= 0 {
		t.Fatalf("50 ms of busy work used %v of CPU", used)
	}
}

func TestCores(t *testing.T) {
	for _, c := range []struct {
		cpu, wall time.Duration
		want      float64
	}{
		{2 * time.Second, time.Second, 2},
		{time.Second, 2 * time.Second, 0.5},
		{time.Second, 0, 0},
		{0, time.Second, 0},
	} {
		if got := Cores(c.cpu, c.wall); got != c.want {
			t.Errorf("Cores(%v, %v) = %v, want %v", c.cpu, c.wall, got, c.want)
		}
	}
}
