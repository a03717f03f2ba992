// Package fakeclock is the settable clock that tests of netlab's
// deterministic cores pass where a Config takes a Now func: time moves only
// when the test says so.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a settable clock, safe for concurrent use. The zero value stands
// at the zero time; [New] starts it elsewhere.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock that stands at t.
func New(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time; pass the method value c.Now as a Config's
// clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}
