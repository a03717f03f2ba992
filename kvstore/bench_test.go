package kvstore

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// BenchmarkGet measures parallel local reads on a MemStore node holding
// 100,000 keys. Target: 2M ops/s.
func BenchmarkGet(b *testing.B) {
	n := newTestNode(b, "bench")
	const keys = 100_000
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("key-%011d", i)
		if _, err := n.Put(names[i], make([]byte, 100)); err != nil {
			b.Fatal(err)
		}
	}
	var seed atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(seed.Add(1), 0))
		for pb.Next() {
			if _, err := n.Get(names[r.IntN(keys)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/2e6, "ratio-vs-2M-target")
}

// BenchmarkPut measures parallel local writes (HLC, merge, digest update) on
// a MemStore node with no peers. Target: 500k ops/s.
func BenchmarkPut(b *testing.B) {
	n := newTestNode(b, "bench")
	const keys = 100_000
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("key-%011d", i)
	}
	value := make([]byte, 100)
	var seed atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(seed.Add(1), 0))
		for pb.Next() {
			if _, err := n.Put(names[r.IntN(keys)], value); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/5e5, "ratio-vs-500k-target")
}
