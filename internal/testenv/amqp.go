package testenv

import (
	"os"
	"strings"
	"sync"
	"testing"
)

// AMQPURL returns the broker URL in AMQP_URL, or calls [Missing] when it is
// not set: tests that need RabbitMQ run where CI (or a developer) says
// where one is, and never guess.
//
// The broker is shared by every package's tests, and go test runs packages
// in parallel processes, so AMQPURL also holds a shared lock on the broker
// until the test ends; a test that restarts the broker takes it
// exclusively with [AMQPExclusive] and so never pulls the broker from
// under another package's test.
func AMQPURL(t testing.TB) string {
	t.Helper()
	u := brokerURL(t)
	if !holdsExclusive(t) {
		lockBroker(t, false)
	}
	return u
}

// AMQPExclusive returns the broker URL like [AMQPURL] and holds the broker
// exclusively until the test ends: no other test that went through
// AMQPURL, in this process or another, runs meanwhile. For tests that stop
// or restart the broker. Call it before anything else in the test that
// calls AMQPURL.
func AMQPExclusive(t testing.TB) string {
	t.Helper()
	u := brokerURL(t)
	lockBroker(t, true)
	exclusive.Store(t.Name(), true)
	t.Cleanup(func() { exclusive.Delete(t.Name()) })
	return u
}

// brokerURL returns AMQP_URL, or calls [Missing] when it is not set.
func brokerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("AMQP_URL")
	if u == "" {
		Missing(t, "RabbitMQ (AMQP_URL is not set)",
			"start RabbitMQ and set AMQP_URL=amqp://guest:guest@127.0.0.1:5672/ (CI sets it)")
	}
	return u
}

// exclusive holds the names of the tests that hold the broker exclusively,
// so that their own AMQPURL calls (and their subtests') do not wait for
// themselves.
var exclusive sync.Map

func holdsExclusive(t testing.TB) bool {
	held := false
	exclusive.Range(func(k, _ any) bool {
		name := k.(string)
		if t.Name() == name || strings.HasPrefix(t.Name(), name+"/") {
			held = true
			return false
		}
		return true
	})
	return held
}
