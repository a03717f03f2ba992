package testenv

import (
	"os"
	"testing"
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
