package amqpdemo_test

import (
	"context"
	"errors"
	"fmt"
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
// topic exchange every RabbitMQ has: a routed message arrives; a message
// that no binding matches is returned by the broker and reported, not
// counted as delivered.
//
// It needs a running RabbitMQ, so it has no Output line for go test to
// check without one; TestExampleSender runs it against the broker and
// checks its output, which is:
//
//	exchange "amq.topic" existed (topic, durable): used as it is
//	received netlab.example.uk: rain
//	unroutable: true
//	[{nobody.listens.here 1}]
func ExampleSender() {
	cfg := amqpdemo.DefaultConfig() // the broker in AMQP_URL
	cfg.Exchange = "amq.topic"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	got := make(chan amqpdemo.Message, 1)
	r, err := amqpdemo.NewReceiver(ctx, cfg, []string{"netlab.example.#"}, func(m amqpdemo.Message) { got <- m })
	if err != nil {
		fmt.Println(err)
		return
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	defer func() { stop(); <-done }()

	s, err := amqpdemo.NewSender(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	fmt.Println(s.Exchange())
	if err := s.Publish(ctx, "netlab.example.uk", []byte("rain")); err != nil {
		fmt.Println(err)
		return
	}
	m := <-got
	fmt.Printf("received %s: %s\n", m.RoutingKey, m.Text())

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
