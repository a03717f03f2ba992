// Package seamtest sets up matrix's and mlcluster's tests on RabbitMQ:
// a task queue of the test's own, deleted when the test ends with the
// queues of every job its executors ran, and executors closed then.
package seamtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/amqpseam"
	"github.com/netlab-go/netlab/internal/amqpwork"
	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Queue returns the name of a task queue of the test's own,
// "netlab.PKG.test." and a random suffix, and registers a clean-up that
// deletes it, its exchange, and the queues of the jobs that jobs names
// when the test ends. engine gives the engine's configuration on the
// queue named (the broker to delete them from).
func Queue(t testing.TB, pkg string, engine func(queue string) amqpwork.Config, jobs func() []string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	queue := "netlab." + pkg + ".test." + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, amqpwork.DeleteQueues(ctx, engine(queue), jobs()...))
	})
	return queue
}

// Dial connects an executor with dial (within 10 s), adds it to
// executors, whose jobs [Queue]'s clean-up deletes, and closes it when
// the test ends.
func Dial[E amqpseam.Executor](t testing.TB, executors *[]E, dial func(context.Context) (E, error)) E {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := dial(ctx)
	require.NoError(t, err)
	*executors = append(*executors, e)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	return e
}

// Jobs returns every job of executors, as each one's jobs gives them.
func Jobs[E any](executors []E, jobs func(E) []string) []string {
	var all []string
	for _, e := range executors {
		all = append(all, jobs(e)...)
	}
	return all
}

// Start runs call in the background with a context that ends after
// timeout; the channel receives call's error when it returns.
func Start(timeout time.Duration, call func(context.Context) error) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		done <- call(ctx)
	}()
	return done
}

// Interrupt is a coordinator gone in the middle of a job: it waits until
// queued tasks wait on the task queue (the broker at url), runs answer
// (a worker answering some of them; nil for none), then closes ex, the
// executor whose call in progress done reports, and checks that the call
// ended with an error.
func Interrupt(t testing.TB, url, queue string, queued int, ex amqpseam.Executor, done <-chan error, answer func()) {
	t.Helper()
	testenv.WaitAMQPQueue(t, url, queue, queued)
	if answer != nil {
		answer()
	}
	require.NoError(t, ex.Close())
	require.Error(t, <-done, "the call in progress ends with the executor")
}
