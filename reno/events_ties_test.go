package reno

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEventTiesAcrossPipes: events at the same time run in the order they
// were scheduled, whether they went straight into the heap or into a pipe,
// and whichever pipe.
func TestEventTiesAcrossPipes(t *testing.T) {
	var q eventQueue
	p1, p2 := q.newPipe(), q.newPipe()
	q.push(event{at: 10, seq: 0})
	q.pushPipe(p1, event{at: 10, seq: 1})
	q.push(event{at: 10, seq: 2})
	q.pushPipe(p2, event{at: 10, seq: 3})
	q.pushPipe(p1, event{at: 10, seq: 4})
	q.push(event{at: 5, seq: 5})
	q.pushPipe(p2, event{at: 20, seq: 6})
	q.push(event{at: 10, seq: 7})
	var got []int64
	for q.len() > 0 {
		got = append(got, q.pop().seq)
	}
	assert.Equal(t, []int64{5, 0, 1, 2, 3, 4, 7, 6}, got)
}
