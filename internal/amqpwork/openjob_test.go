package amqpwork

import (
	"fmt"
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
