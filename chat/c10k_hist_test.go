package chat

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// latHist is a log-linear latency histogram (16 buckets per power of two
// of microseconds, so within 6%), sharded so that the readers of 10,000
// clients on several cores do not all update the same cache lines.
type latHist struct {
	shards [16]histShard
}

type histShard struct {
	b [1024]atomic.Uint64
}

func histBucket(d time.Duration) int {
	us := uint64(max(d, 0) / time.Microsecond)
	if us < 16 {
		return int(us)
	}
	e := bits.Len64(us) // at least 5
	return 16 + (e-5)*16 + int(us>>(e-5)) - 16
}

// histLow is the smallest duration in bucket i.
func histLow(i int) time.Duration {
	if i < 16 {
		return time.Duration(i) * time.Microsecond
	}
	e := (i-16)/16 + 5
	m := uint64((i-16)%16 + 16)
	return time.Duration(m<<(e-5)) * time.Microsecond
}

func (s *histShard) add(d time.Duration) { s.b[histBucket(d)].Add(1) }

func (h *latHist) reset() {
	for i := range h.shards {
		for j := range h.shards[i].b {
			h.shards[i].b[j].Store(0)
		}
	}
}

// quantile returns the middle of the bucket that holds quantile q.
func (h *latHist) quantile(q float64) time.Duration {
	var counts [1024]uint64
	var total uint64
	for i := range h.shards {
		for j := range counts {
			c := h.shards[i].b[j].Load()
			counts[j] += c
			total += c
		}
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q * float64(total-1))
	var seen uint64
	for j, c := range counts {
		if seen+c > rank {
			return (histLow(j) + histLow(j+1)) / 2
		}
		seen += c
	}
	return histLow(len(counts) - 1)
}
