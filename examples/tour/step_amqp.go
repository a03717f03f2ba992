package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/netlab-go/netlab/amqpdemo"
	"github.com/netlab-go/netlab/amqpdemo/chart"
)

func runAMQP(ctx context.Context, e *env) error {
	cfg := amqpdemo.DefaultConfig()
	cfg.Exchange = "netlab-tour-topics"
	cfg.DialTimeout = 2 * time.Second
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	s, err := amqpdemo.NewSender(ctx, cfg)
	if err != nil {
		e.Printf("%v", err)
		return fmt.Errorf("%w: no RabbitMQ broker answers; start one with `rabbitmq-server -detached` or set AMQP_URL", errSkipped)
	}
	defer s.Close()

	traffic := map[string]int{
		"weather.uk.rain": 24, "weather.fr.sun": 15, "weather": 5,
		"stock.nyse.ibm": 18, "stock.nasdaq.aapl": 11, "stock.nyse.msft": 7, "sport.football": 9,
	}
	bindings := [][]string{{"#"}, {"weather.#"}, {"*.*.ibm", "stock.nasdaq.*"}}
	want := make([]int, len(bindings)) // what each queue should get, by MatchTopic
	for i, keys := range bindings {
		for key, n := range traffic {
			if slices.ContainsFunc(keys, func(b string) bool { return amqpdemo.MatchTopic(b, key) }) {
				want[i] += n
			}
		}
	}
	receivers := make([]*amqpdemo.Receiver, len(bindings))
	complete := make([]chan struct{}, len(bindings))
	runCtx, stopReceivers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stopReceivers(); wg.Wait() }()
	for i, keys := range bindings {
		complete[i] = make(chan struct{})
		got := 0
		r, err := amqpdemo.NewReceiver(ctx, cfg, keys, func(amqpdemo.Message) {
			if got++; got == want[i] {
				close(complete[i])
			}
		})
		if err != nil {
			return err
		}
		receivers[i] = r
		wg.Go(func() { _ = r.Run(runCtx) })
	}

	sent := 0
	for _, n := range traffic {
		sent += n
	}
	e.Printf("publishing %d messages on %d routing keys to exchange %q, each routed to a queue and confirmed by the broker", sent, len(traffic), cfg.Exchange)
	start := time.Now()
	for key, n := range traffic {
		for i := range n {
			if err := s.Publish(ctx, key, fmt.Appendf(nil, "%s #%d", key, i+1)); err != nil {
				return err
			}
		}
	}
	e.Printf("confirmed in %v", time.Since(start).Round(time.Millisecond))

	for i, r := range receivers {
		select {
		case <-complete[i]:
		case <-ctx.Done():
			return fmt.Errorf("queue bound with %v has %d of %d messages: %w", bindings[i], r.Total(), want[i], ctx.Err())
		}
		e.Printf("queue bound with %-26s received %3d messages on %d topics", strings.Join(bindings[i], " "), r.Total(), len(r.Topics()))
	}
	path := e.Path("amqp-topics.png")
	if err := chart.WriteTopics(path, "Messages per routing key (queue bound with #)", receivers[0].Topics()); err != nil {
		return err
	}
	e.Report("%d messages routed by topic pattern to 3 queues (%d, %d, %d), none lost", sent, receivers[0].Total(), receivers[1].Total(), receivers[2].Total())
	return nil
}
