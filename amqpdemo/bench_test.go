package amqpdemo

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// BenchmarkPublishConfirmed publishes b.N messages with confirms, pipelined
// by many concurrent Publish calls on one Sender, to a receiver bound with
// "#". It reports the confirmed publish rate and the end-to-end rate (until
// the receiver has every message), how many were lost (must be 0), and,
// measured in the same run, the rate of a bare amqp091 channel that publishes
// the same number of messages, mandatory, in confirm mode, all at once, and
// then waits for every confirm: the client library's own ceiling. Its ratio
// (sender/bare) is what Sender's per-message confirm wait, return matching
// and reconnect bookkeeping cost. The course's target (10,000 confirmed
// messages per second) belongs in the documentation, not in a metric.
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
	bare := bareConfirmedRate(b, ctx, cfg, b.N, body)
	b.ReportMetric(bare, "bare-amqp091-msgs/s")
	b.ReportMetric(float64(b.N)/published.Seconds()/bare, "sender/bare")
}

// bareConfirmedRate publishes n messages on a plain amqp091 channel in
// confirm mode, without waiting between them, and returns messages per
// second until the last confirm.
func bareConfirmedRate(b *testing.B, ctx context.Context, cfg Config, n int, body []byte) float64 {
	conn, err := amqp.Dial(cfg.URL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		b.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		b.Fatal(err)
	}
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, n))
	returns := ch.NotifyReturn(make(chan amqp.Return, n))
	start := time.Now()
	for i := range n {
		if err := ch.PublishWithContext(ctx, cfg.Exchange, fmt.Sprintf("bench.k%d", i%8), true, false,
			amqp.Publishing{Body: body}); err != nil {
			b.Fatal(err)
		}
	}
	for range n {
		select {
		case c := <-confirms:
			if !c.Ack {
				b.Fatal("the broker nacked a bare publish")
			}
		case <-ctx.Done():
			b.Fatal(ctx.Err())
		}
	}
	elapsed := time.Since(start)
	if len(returns) > 0 {
		b.Fatalf("%d bare publishes were unroutable", len(returns))
	}
	return float64(n) / elapsed.Seconds()
}
