package fakeclock

import (
	"sync"
	"testing"
	"time"
)

func TestClockMovesOnlyWhenTold(t *testing.T) {
	start := time.Unix(1_000_000, 0)
	c := New(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v, want %v", c.Now(), start)
	}
	c.Advance(3 * time.Second)
	if got := c.Now().Sub(start); got != 3*time.Second {
		t.Fatalf("after Advance(3s): %v", got)
	}
	c.Set(start.Add(-time.Hour))
	if got := c.Now().Sub(start); got != -time.Hour {
		t.Fatalf("after Set: %v", got)
	}
	var zero Clock
	if !zero.Now().IsZero() {
		t.Fatal("the zero Clock stands at the zero time")
	}
}

func TestClockIsSafeForConcurrentUse(t *testing.T) {
	c := New(time.Unix(0, 0))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Millisecond)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if got := c.Now().Sub(time.Unix(0, 0)); got != 800*time.Millisecond {
		t.Fatalf("800 advances of 1ms gave %v", got)
	}
}
