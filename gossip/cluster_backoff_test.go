package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBackoffDoublesWithJitterUpToTheCap(t *testing.T) {
	for _, r := range []func(int64) int64{
		func(int64) int64 { return 0 },             // lowest jitter
		func(n int64) int64 { return n - 1 },       // highest
		func(n int64) int64 { return (n - 1) / 3 }, // between
	} {
		b := backoff{lo: 100 * time.Millisecond, hi: time.Second, rand: r}
		d := b.lo
		for range 8 {
			got := b.next()
			assert.GreaterOrEqual(t, got, d/2)
			assert.LessOrEqual(t, got, d)
			d = min(2*d, b.hi)
		}
		assert.Equal(t, time.Second, d, "the wait is capped")
		b.reset()
		got := b.next()
		assert.LessOrEqual(t, got, b.lo, "reset starts again from the minimum")
	}
	// The two extremes differ: the jitter is real.
	lo := backoff{lo: time.Second, hi: time.Second, rand: func(int64) int64 { return 0 }}
	hi := backoff{lo: time.Second, hi: time.Second, rand: func(n int64) int64 { return n - 1 }}
	assert.Equal(t, 500*time.Millisecond, lo.next())
	assert.Equal(t, time.Second, hi.next())
}

// B is started with A's address as its seed before A exists; it keeps
// trying, and joins once A appears, without a restart.
