package reno

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRingPushKeepsFIFOOrderAcrossGrowth pops and pushes so that the ring
// wraps, then fills it past its size: the values come out in the order
// they went in.
func TestRingPushKeepsFIFOOrderAcrossGrowth(t *testing.T) {
	buf, head, n := make([]int, 4), 0, 0
	next, want := 0, 0
	pop := func() int {
		v := buf[head]
		head, n = (head+1)&(len(buf)-1), n-1
		return v
	}
	for range 3 {
		buf, head = ringPush(buf, head, n, next)
		next, n = next+1, n+1
	}
	for range 2 { // head moves to 2: the next pushes wrap
		assert.Equal(t, want, pop())
		want++
	}
	for range 10 { // 1 + 10 values: grows twice, from 4 to 16
		buf, head = ringPush(buf, head, n, next)
		next, n = next+1, n+1
	}
	assert.Len(t, buf, 16)
	for n > 0 {
		assert.Equal(t, want, pop())
		want++
	}
	assert.Equal(t, next, want)
}
