package testenv

import (
	"errors"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// AMQPQueue reports whether the queue named name exists on the broker at
// url and how many messages it holds ready (not those a consumer holds
// unacknowledged): for tests that check what a job leaves on the broker.
// A broker that cannot be reached fails the test.
func AMQPQueue(t testing.TB, url, name string) (ready int, exists bool) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("testenv: dialling the broker: %v", err)
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

// WaitAMQPQueue polls [AMQPQueue] until the queue holds at least n ready
// messages, and fails the test if it does not within 15 s.
func WaitAMQPQueue(t testing.TB, url, name string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, _ := AMQPQueue(t, url, name)
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: queue %s holds %d messages after 15s, want %d", name, got, n)
		}
		time.Sleep(20 * time.Millisecond) // polling the broker, with a deadline
	}
}
