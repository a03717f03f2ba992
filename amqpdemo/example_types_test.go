package amqpdemo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/netlab-go/netlab/amqpdemo"
	"github.com/stretchr/testify/assert"
)

// ExampleReceiver binds a [amqpdemo.Receiver] to amq.topic (the topic
// exchange every RabbitMQ has) with a wildcard binding key, publishes three
// messages with a [amqpdemo.Sender], and reads the receiver's tally: the
// exact count per routing key, most frequent first. The keys start with a
// per-run prefix so that two runs at the same time on one broker do not
// see each other's messages.
//
// It needs a running RabbitMQ (the broker in AMQP_URL), so it has no
// Output line for go test to check without one; TestExampleReceiver runs
// it against the broker and checks its output, which is:
//
//	weather.uk: 2
//	weather.fr: 1
//	total 3, latest weather.uk: rain
func ExampleReceiver() {
	cfg := amqpdemo.DefaultConfig() // the broker in AMQP_URL
	cfg.Exchange = "amq.topic"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	prefix := fmt.Sprintf("netlab.example.%d.", time.Now().UnixNano())

	got := make(chan amqpdemo.Message, 3)
	r, err := amqpdemo.NewReceiver(ctx, cfg, []string{prefix + "weather.*"}, func(m amqpdemo.Message) { got <- m })
	if err != nil {
		fmt.Println(err)
		return
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }() // Run closes the receiver when runCtx ends
	defer func() { stop(); <-done }()

	s, err := amqpdemo.NewSender(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	for _, m := range []struct{ key, body string }{
		{"weather.uk", "sun"}, {"weather.fr", "snow"}, {"weather.uk", "rain"},
	} {
		if err := s.Publish(ctx, prefix+m.key, []byte(m.body)); err != nil {
			fmt.Println(err)
			return
		}
	}
	for range 3 {
		select {
		case <-got:
		case <-ctx.Done():
			fmt.Println("not delivered:", ctx.Err())
			return
		}
	}
	for _, t := range r.Topics() {
		fmt.Printf("%s: %d\n", strings.TrimPrefix(t.RoutingKey, prefix), t.Count)
	}
	uk := r.Messages(prefix + "weather.uk")
	fmt.Printf("total %d, latest weather.uk: %s\n", r.Total(), uk[len(uk)-1].Text())
}

// TestExampleReceiver runs ExampleReceiver against the broker in AMQP_URL
// and checks the output its documentation shows.
func TestExampleReceiver(t *testing.T) {
	assert.Equal(t, "weather.uk: 2\nweather.fr: 1\ntotal 3, latest weather.uk: rain\n", runExampleWithBroker(t, ExampleReceiver))
}
