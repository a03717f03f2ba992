package amqpwork

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenJobRounds runs three rounds on one open job with the same task
// IDs in each: every round gets its own results, a late duplicate of an
// earlier round's result is not taken for the current round's, the queues
// stay between rounds and go with Close.
func TestOpenJobRounds(t *testing.T) {
	cfg := brokerConfig(t, "rounds")
	gate := make(chan struct{})
	runWorker(t, cfg, gatedDigest(func(tk Task) bool { return string(tk.Body) == "round 3 task 1" }, gate, nil))
	c := dial(t, cfg)
	ctx := testCtx(t)
	j, err := c.Open(ctx, "rounds")
	require.NoError(t, err)
	ch := rawChannel(t, cfg)
	n := namesFor(cfg.Queue, "rounds")

	round := func(r int) []Task {
		return []Task{{ID: "a", Body: []byte(fmt.Sprintf("round %d task 0", r))},
			{ID: "b", Body: []byte(fmt.Sprintf("round %d task 1", r))}}
	}
	for r := 1; r <= 2; r++ {
		res, err := j.Do(ctx, round(r))
		require.NoError(t, err)
		requireDigests(t, round(r), res)
		q, err := ch.QueueDeclarePassive(n.results, true, false, false, false, nil)
		require.NoError(t, err, "the result queue stays between rounds")
		assert.Zero(t, q.Messages, "a round's results are acknowledged")
	}
	done := doAsync(func() ([]Result, error) { return j.Do(ctx, round(3)) })
	require.Eventually(t, func() bool { return c.Stats().Results == 5 }, 20*time.Second, 5*time.Millisecond)
	// Round 2's result for task b, again, as a redelivery would send it.
	require.NoError(t, ch.Publish("", n.results, false, false, amqp.Publishing{
		CorrelationId: j.nonce + ".r2/b", Body: []byte(digest(round(2)[1].Body)),
	}))
	close(gate)
	o := <-done
	require.NoError(t, o.err)
	requireDigests(t, round(3), o.r)
	assert.Zero(t, c.Stats().Duplicates)

	require.NoError(t, j.Close())
	require.NoError(t, j.Close(), "Close is idempotent")
	_, err = j.Do(ctx, round(4))
	require.ErrorIs(t, err, ErrClosed)
	_, err = ch.QueueDeclarePassive(n.results, true, false, false, false, nil)
	require.Error(t, err, "Close deletes the job's queues")
}

// TestReopenedJobDiscardsEarlierResults: a job opened again (as by a
// restarted coordinator) never takes a result left by the earlier Open's
// round of the same number and task ID, which may have had other tasks.
func TestReopenedJobDiscardsEarlierResults(t *testing.T) {
	cfg := brokerConfig(t, "reopen")
	gate := make(chan struct{})
	runWorker(t, cfg, gatedDigest(func(Task) bool { return true }, gate, nil))
	c := dial(t, cfg)
	ctx := testCtx(t)
	first, err := c.Open(ctx, "reopen")
	require.NoError(t, err)
	second, err := c.Open(ctx, "reopen")
	require.NoError(t, err)
	require.NotEqual(t, first.nonce, second.nonce)

	tasks := []Task{{ID: "a", Body: []byte("new task a")}}
	done := doAsync(func() ([]Result, error) { return second.Do(ctx, tasks) })
	require.Eventually(t, func() bool { return c.Stats().Published == 1 }, 20*time.Second, 5*time.Millisecond)
	ch := rawChannel(t, cfg)
	require.NoError(t, ch.Publish("", namesFor(cfg.Queue, "reopen").results, false, false, amqp.Publishing{
		CorrelationId: first.nonce + ".r1/a", Body: []byte("the answer to an old task a"),
	}))
	close(gate)
	o := <-done
	require.NoError(t, o.err)
	requireDigests(t, tasks, o.r)
	require.NoError(t, second.Close())
	require.NoError(t, first.Close())
}

// TestOpenJobPublishesInArrivalOrder: a round publishes first the tasks
// whose results came first in the round before (so that, with prefetch
// 1, each worker tends to get the task it answered, and keeps its
// blobs), then the tasks the last round did not have, in task order.
func TestOpenJobPublishesInArrivalOrder(t *testing.T) {
	cfg := brokerConfig(t, "order")
	cfg.Prefetch, cfg.Concurrency = 3, 3
	gate := make(chan struct{})
	wctx, stop := context.WithCancel(testCtx(t))
	w, err := NewWorker(cfg, gatedDigest(func(tk Task) bool { return strings.HasSuffix(tk.ID, "/t000") }, gate, nil))
	require.NoError(t, err)
	stopped := doAsync(func() ([]Result, error) { return nil, w.Run(wctx) })
	c := dial(t, cfg)
	ctx := testCtx(t)
	j, err := c.Open(ctx, "order")
	require.NoError(t, err)
	t.Cleanup(func() { _ = j.Close() })

	first := doAsync(func() ([]Result, error) { return j.Do(ctx, makeTasks(3)) })
	require.Eventually(t, func() bool { return c.Stats().Results == 2 }, 20*time.Second, 5*time.Millisecond)
	close(gate) // t000's result comes last
	o := <-first
	require.NoError(t, o.err)
	require.Equal(t, 2, j.rank["t000"])
	// Stopped once it has acknowledged every task, so that none comes back.
	require.Eventually(t, func() bool { return w.Stats().Handled == 3 }, 20*time.Second, 5*time.Millisecond)
	stop()
	require.NoError(t, (<-stopped).err)

	second := append(makeTasks(4)[1:], makeTasks(1)...) // t001 t002 t003 t000
	done := doAsync(func() ([]Result, error) { return j.Do(ctx, second) })
	require.Eventually(t, func() bool { return c.Stats().Published == 7 }, 5*time.Second, 5*time.Millisecond, "%+v", c.Stats())
	ch := rawChannel(t, cfg)
	var got []string
	for range second {
		d, ok, err := ch.Get(cfg.Queue, false)
		require.NoError(t, err)
		require.True(t, ok)
		got = append(got, d.CorrelationId[len(d.CorrelationId)-4:])
	}
	require.NoError(t, ch.Nack(0, true, true))
	want := []string{"", "", "t000", "t003"}
	for _, id := range []string{"t001", "t002"} {
		want[j.rank[id]] = id
	}
	assert.Equal(t, want, got, "last round's arrival order, then the new task")

	runWorker(t, cfg, digestHandler)
	o = <-done
	require.NoError(t, o.err)
	requireDigests(t, second, o.r)
}

func TestPublishOrder(t *testing.T) {
	j := &Job{rank: map[string]int{"b": 0, "a": 1}}
	tasks := []Task{{ID: "a"}, {ID: "new1"}, {ID: "b"}, {ID: "new2"}}
	assert.Equal(t, []int{2, 0, 1, 3}, j.publishOrder(tasks))
	assert.Equal(t, []int{0, 1}, (&Job{}).publishOrder(tasks[:2]), "first round: task order")
}

// TestOpenJobAfterALostConnection: the channels an open job keeps from
// round to round die with their connection; the next round reconnects,
// opens new ones and completes.
func TestOpenJobAfterALostConnection(t *testing.T) {
	cfg := brokerConfig(t, "relost")
	runWorker(t, cfg, digestHandler)
	c := dial(t, cfg)
	ctx := testCtx(t)
	j, err := c.Open(ctx, "relost")
	require.NoError(t, err)
	t.Cleanup(func() { _ = j.Close() })
	tasks := makeTasks(3)
	for round := 1; round <= 3; round++ {
		res, err := j.Do(ctx, tasks)
		require.NoError(t, err, "round %d", round)
		requireDigests(t, tasks, res)
		if round == 2 {
			c.mu.Lock()
			_ = c.conn.Close() // as if the network dropped it
			c.mu.Unlock()
		}
	}
	assert.Equal(t, uint64(1), c.Stats().Reconnects)
}
