package amqpdemo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/netlab-go/netlab/amqpdemo"
)

// The routing table of RabbitMQ's topic tutorial: which binding keys see
// which routing keys.
func ExampleMatchTopic() {
	bindings := []string{"*.orange.*", "*.*.rabbit", "lazy.#"}
	for _, key := range []string{"quick.orange.rabbit", "lazy.brown.fox", "quick.brown.fox", "lazy"} {
		fmt.Printf("%-20s", key)
		for _, b := range bindings {
			fmt.Printf(" %s=%v", b, amqpdemo.MatchTopic(b, key))
		}
		fmt.Println()
	}
	// Output:
	// quick.orange.rabbit  *.orange.*=true *.*.rabbit=true lazy.#=false
	// lazy.brown.fox       *.orange.*=false *.*.rabbit=false lazy.#=true
	// quick.brown.fox      *.orange.*=false *.*.rabbit=false lazy.#=false
	// lazy                 *.orange.*=false *.*.rabbit=false lazy.#=true
}

// The course sender's rule for routing keys typed at its prompt.
func ExampleCourseKey() {
	fmt.Println(amqpdemo.CourseKey("ab"))
	fmt.Println(amqpdemo.CourseKey("weather.uk"))
	// Output:
	// default
	// weather.uk
}

// A receiver and a sender on the broker in AMQP_URL, using amq.topic, the
// topic exchange every RabbitMQ has. The [amqpdemo.Receiver] binds a
// wildcard key, the [amqpdemo.Sender] publishes three messages that match
// it, and the receiver's tally counts each routing key exactly, most
// frequent first; a message that no binding matches is returned by the
// broker and reported, not counted as delivered. The keys start with a
// per-run prefix so that two runs at the same time on one broker do not see
// each other's messages.
//
// It needs a running RabbitMQ, so it has no Output line for go test to
// check without one; TestExample runs it against the broker and checks its
// output, which is:
//
//	exchange "amq.topic" existed (topic, durable): used as it is
//	weather.uk: 2
//	weather.fr: 1
//	total 3, latest weather.uk: rain
//	unroutable: true
//	[{nobody.listens.here 1}]
func Example() {
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
	fmt.Println(s.Exchange())
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

	err = s.Publish(ctx, "nobody.listens.here", []byte("lost"))
	fmt.Println("unroutable:", errors.Is(err, amqpdemo.ErrUnroutable))
	fmt.Println(s.UnroutableKeys())
}

// A Tally counts every routing key exactly, keeps the latest messages of
// each, and drops a redelivered message it has seen.
func ExampleTally() {
	t := amqpdemo.NewTally(2, 100)
	for i, key := range []string{"weather.uk", "stock.ibm", "weather.uk", "weather.uk"} {
		t.Add(amqpdemo.Message{RoutingKey: key, ID: fmt.Sprint("m", i), Body: fmt.Appendf(nil, "#%d", i)})
	}
	fmt.Println(t.Add(amqpdemo.Message{RoutingKey: "stock.ibm", ID: "m1"})) // a redelivery
	fmt.Println(t.Topics(), t.Total(), t.Duplicates())
	for _, m := range t.Messages("weather.uk") {
		fmt.Print(m.Text(), " ")
	}
	fmt.Println()
	// Output:
	// false
	// [{weather.uk 3} {stock.ibm 1}] 4 1
	// #2 #3
}

// Message.Text shows a body that is not printable text with Go escapes.
func ExampleMessage_Text() {
	fmt.Println(amqpdemo.Message{Body: []byte("rain")}.Text())
	fmt.Println(amqpdemo.Message{Body: []byte{0xff, 'h', 'i', 0x1b}}.Text())
	// Output:
	// rain
	// "\xffhi\x1b"
}
