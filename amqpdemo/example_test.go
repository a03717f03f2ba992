package amqpdemo_test

import (
	"context"
	"fmt"
	"os"
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

// A receiver bound with "weather.#" and a sender, against the broker in
// AMQP_URL. (No Output line: it needs a running RabbitMQ.)
func ExampleSender() {
	cfg := amqpdemo.DefaultConfig()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	r, err := amqpdemo.NewReceiver(ctx, cfg, []string{"weather.#"}, func(m amqpdemo.Message) {
		fmt.Printf("%s: %s\n", m.RoutingKey, m.Text())
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	go r.Run(ctx)

	s, err := amqpdemo.NewSender(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer s.Close()
	if err := s.Publish(ctx, "weather.uk", []byte("rain")); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
