package testenv

import (
	"errors"
	"os"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// AMQPURL returns the broker URL in AMQP_URL, or calls [Missing] when it is
// not set: tests that need RabbitMQ run where CI (or a developer) says
// where one is, and never guess.
func AMQPURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("AMQP_URL")
	if u == "" {
		Missing(t, "RabbitMQ (AMQP_URL is not set)",
			"start RabbitMQ and set AMQP_URL=amqp://guest:guest@127.0.0.1:5672/ (CI sets it)")
	}
	return u
}

// AMQPQueue reports whether the queue named name exists on the broker at
// url and how many messages it holds ready (not those a consumer holds
// unacknowledged): for tests that check what a job leaves on the broker.
// A broker that cannot be reached fails the test.
func AMQPQueue(t testing.TB, url, name string) (ready int, exists bool) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("testenv: dialling %s: %v", url, err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("testenv: opening a channel: %v", err)
	}
	q, err := ch.QueueDeclarePassive(name, true, false, false, false, nil)
	var ae *amqp.Error
	if errors.As(err, &ae) && ae.Code == amqp.NotFound {
		return 0, false
	}
	if err != nil {
		t.Fatalf("testenv: inspecting queue %s: %v", name, err)
	}
	_ = ch.Close()
	return q.Messages, true
}
