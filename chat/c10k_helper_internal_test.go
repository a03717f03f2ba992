package chat

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLatHistBuckets checks that every duration falls in the bucket whose
// bounds enclose it, and that the bounds are within 1/16 of each other.
func TestLatHistBuckets(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		d := time.Duration(r.Int64N(int64(10 * time.Second)))
		i := histBucket(d)
		require.Less(t, i+1, len(histShard{}.b), "bucket of %v", d)
		lo, hi := histLow(i), histLow(i+1)
		us := d.Truncate(time.Microsecond)
		require.True(t, lo <= us && us < hi, "%v in bucket %d [%v, %v)", d, i, lo, hi)
		require.LessOrEqual(t, float64(hi-lo), float64(lo)/16+float64(time.Microsecond), "bucket %d", i)
	}
}

// TestLatHistQuantile compares the histogram's quantiles with the exact
// ones of the same random sample.
func TestLatHistQuantile(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var h latHist
	all := make([]time.Duration, 50000)
	for i := range all {
		all[i] = time.Duration(r.ExpFloat64() * float64(20*time.Millisecond))
		h.shards[i%len(h.shards)].add(all[i])
	}
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99} {
		exact := all[int(q*float64(len(all)-1))]
		assert.InEpsilon(t, float64(exact), float64(h.quantile(q)), 0.07, "quantile %v", q)
	}
	h.reset()
	assert.Zero(t, h.quantile(0.5))
}
