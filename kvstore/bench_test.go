package kvstore

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// parallelRate runs op ops times spread over GOMAXPROCS goroutines and
// returns operations per second: the baseline half of a benchmark.
func parallelRate(ops int, op func(r *rand.Rand)) float64 {
	p := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	start := time.Now()
	for g := range p {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g)+100, 0))
			for range ops / p {
				op(r)
			}
		})
	}
	wg.Wait()
	return float64(ops/p*p) / time.Since(start).Seconds()
}

func benchKeys() []string {
	names := make([]string, 100_000)
	for i := range names {
		names[i] = fmt.Sprintf("key-%011d", i)
	}
	return names
}

// BenchmarkGet measures parallel local reads on a MemStore node holding
// 100,000 keys, against reads of the node's MemStore directly, measured in
// the same run (node/store: what the node's own work costs a read).
func BenchmarkGet(b *testing.B) {
	n := newTestNode(b, "bench")
	names := benchKeys()
	for _, k := range names {
		if _, err := n.Put(k, make([]byte, 100)); err != nil {
			b.Fatal(err)
		}
	}
	var seed atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(seed.Add(1), 0))
		for pb.Next() {
			if _, err := n.Get(names[r.IntN(len(names))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.StopTimer()
	base := parallelRate(max(b.N, 10000), func(r *rand.Rand) { _, _, _ = n.store.Get(names[r.IntN(len(names))]) })
	b.ReportMetric(rate, "ops/s")
	b.ReportMetric(rate/base, "node/store")
}

// BenchmarkPut measures parallel local writes (HLC, merge, digest update) on
// a MemStore node with no peers, against writes straight into a MemStore
// measured in the same run (node/store: the cost of versioning, merging and
// digests).
func BenchmarkPut(b *testing.B) {
	n := newTestNode(b, "bench")
	names := benchKeys()
	value := make([]byte, 100)
	var seed atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(seed.Add(1), 0))
		for pb.Next() {
			if _, err := n.Put(names[r.IntN(len(names))], value); err != nil {
				b.Error(err)
				return
			}
		}
	})
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.StopTimer()
	store := NewMemStore()
	defer store.Close()
	base := parallelRate(max(b.N, 10000), func(r *rand.Rand) {
		_ = store.Put(Entry{Key: names[r.IntN(len(names))], Value: value})
	})
	b.ReportMetric(rate, "ops/s")
	b.ReportMetric(rate/base, "node/store")
}
