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
