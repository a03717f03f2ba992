package amqpdemo

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPublishConfirmed publishes b.N messages with confirms, pipelined
// by many concurrent Publish calls on one Sender, to a receiver bound with
// "#". It reports the confirmed publish rate and the end-to-end rate (until
// the receiver has every message), and how many were lost (must be 0).
func BenchmarkPublishConfirmed(b *testing.B) {
	cfg := brokerConfig(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg.MaxPerKey = 0
	cfg.Prefetch = 1000
	var got atomic.Int64
	all := make(chan struct{})
	r, err := NewReceiver(ctx, cfg, nil, func(Message) {
		if got.Add(1) == int64(b.N) {
			close(all)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	runReceiver(b, r)
	s, err := NewSender(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := make([]byte, 100)

	b.SetParallelism(64) // 64 Publish calls in flight per core
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if err := s.Publish(ctx, fmt.Sprintf("bench.k%d", i%8), body); err != nil {
				b.Error(err)
				return
			}
		}
	})
	published := time.Since(start)
	select {
	case <-all:
	case <-ctx.Done():
	}
	received := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/published.Seconds(), "confirmed-msgs/s")
	b.ReportMetric(float64(r.Total())/received.Seconds(), "received-msgs/s")
	b.ReportMetric(float64(b.N-r.Total()), "lost")
	b.ReportMetric(float64(b.N)/published.Seconds()/10000, "ratio-vs-10k-target")
}
