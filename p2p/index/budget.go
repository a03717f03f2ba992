package index

import (
	"net/netip"
	"sync"
	"time"
)

// budget is a token bucket per source IP address, counted in reply bytes:
// what the index may send to one address per second. It bounds what the
// index can be made to send to a victim whose address an attacker forges
// (reflection), whatever the requests.
type budget struct {
	mu      sync.Mutex
	rate    float64 // bytes per second, also the bucket's size
	buckets map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the table; a full table is swept of full buckets
// (sources idle for a second or more) before a new source is admitted.
const maxBuckets = 1 << 14

func newBudget(bytesPerSecond int) *budget {
	return &budget{rate: float64(bytesPerSecond), buckets: make(map[netip.Addr]*bucket)}
}

// admit reports whether a request from a may be answered now: its bucket,
// refilled for the time since its last request, is not in debt.
func (b *budget) admit(a netip.Addr, now time.Time) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	k, ok := b.buckets[a]
	if !ok {
		if len(b.buckets) >= maxBuckets {
			b.sweep(now)
			if len(b.buckets) >= maxBuckets {
				return false
			}
		}
		k = &bucket{tokens: b.rate, last: now}
		b.buckets[a] = k
	}
	k.tokens = min(b.rate, k.tokens+now.Sub(k.last).Seconds()*b.rate)
	k.last = now
	return k.tokens > 0
}

// spend charges n reply bytes to a's bucket, which may go into debt: the
// next requests wait until it is paid back.
func (b *budget) spend(a netip.Addr, n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if k, ok := b.buckets[a]; ok {
		k.tokens -= float64(n)
	}
}

// sweep forgets the sources whose bucket has refilled.
func (b *budget) sweep(now time.Time) {
	for a, k := range b.buckets {
		if k.tokens+now.Sub(k.last).Seconds()*b.rate >= b.rate {
			delete(b.buckets, a)
		}
	}
}
