package amqpwork

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func makeTasks(n int) []Task {
	tasks := make([]Task, n)
	for i := range tasks {
		tasks[i] = Task{ID: fmt.Sprintf("t%03d", i), Body: []byte(fmt.Sprintf("task body %d", i))}
	}
	return tasks
}

func requireDigests(t *testing.T, tasks []Task, results []Result) {
	t.Helper()
	require.Len(t, results, len(tasks))
	for i, r := range results {
		require.Equal(t, tasks[i].ID, r.TaskID, "result %d out of order", i)
		require.Equal(t, digest(tasks[i].Body), string(r.Body), "task %s", tasks[i].ID)
	}
}

// TestCompetingWorkersShareAJob runs one job on two workers: every result
// comes back in task order, and both workers took tasks (prefetch 1 and a
// handler that takes a little time keep one worker from taking them all).
func TestCompetingWorkersShareAJob(t *testing.T) {
	cfg := brokerConfig(t, "share")
	slow := func(ctx context.Context, tk Task, f Fetcher) ([]byte, error) {
		time.Sleep(5 * time.Millisecond) // work, not waiting for a condition
		return digestHandler(ctx, tk, f)
	}
	w1 := runWorker(t, cfg, slow)
	w2 := runWorker(t, cfg, slow)
	c := dial(t, cfg)
	waitConsumers(t, cfg, 2)
	tasks := makeTasks(40)
	results, err := c.Do(testCtx(t), "share", tasks)
	require.NoError(t, err)
	requireDigests(t, tasks, results)
	by := map[string]int{}
	for _, r := range results {
		by[r.Worker]++
	}
	assert.Positive(t, by[w1.Name()], "worker 1 took no task: %v", by)
	assert.Positive(t, by[w2.Name()], "worker 2 took no task: %v", by)
	assert.Equal(t, uint64(40), w1.Stats().Handled+w2.Stats().Handled)
	assert.Equal(t, uint64(40), c.Stats().Results)
}

// TestTasksArePersistentAndConfirmed looks at a task on the broker: the
// queue is a durable quorum queue, the message persistent, correlated by
// task ID and carrying its reply queue; and Do publishes nothing for a job
// whose tasks are confirmed already.
func TestTasksArePersistentAndConfirmed(t *testing.T) {
	cfg := brokerConfig(t, "persist")
	c := dial(t, cfg)
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() { _, err := c.Do(ctx, "persist", makeTasks(3)); done <- err }()
	require.Eventually(t, func() bool { return c.Stats().Published == 3 }, 20*time.Second, 5*time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	ch := rawChannel(t, cfg)
	q, err := ch.QueueDeclarePassive(cfg.Queue, true, false, false, false, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, q.Messages)
	d, ok, err := ch.Get(cfg.Queue, false)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, amqp.Persistent, d.DeliveryMode)
	assert.Equal(t, "t000", d.CorrelationId)
	assert.Equal(t, namesFor(cfg.Queue, "persist").results, d.ReplyTo)
	assert.Equal(t, "persist", d.Headers[hJob])
	require.NoError(t, d.Nack(false, true))
}

// TestRestartedClientCollectsResults is the coordinator restart: a client
// publishes a job and goes away; a worker computes the results meanwhile;
// a new client's Do with the same job collects them, with no worker
// running any more and without publishing the tasks again.
func TestRestartedClientCollectsResults(t *testing.T) {
	cfg := brokerConfig(t, "restart")
	tasks := makeTasks(5)
	first := dial(t, cfg)
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() { _, err := first.Do(ctx, "restart", tasks); done <- err }()
	require.Eventually(t, func() bool { return first.Stats().Published == 5 }, 20*time.Second, 5*time.Millisecond)
	cancel()
	require.Error(t, <-done)
	require.NoError(t, first.Close())

	w, err := NewWorker(cfg, digestHandler)
	require.NoError(t, err)
	wctx, wcancel := context.WithCancel(testCtx(t))
	wdone := make(chan error, 1)
	go func() { wdone <- w.Run(wctx) }()
	require.Eventually(t, func() bool { return w.Stats().Handled == 5 }, 20*time.Second, 5*time.Millisecond)
	wcancel()
	require.NoError(t, <-wdone)

	second := dial(t, cfg)
	results, err := second.Do(testCtx(t), "restart", tasks)
	require.NoError(t, err)
	requireDigests(t, tasks, results)
	assert.Zero(t, second.Stats().Published, "the restarted client published tasks again")
}

// TestLostAckResultCountedOnce loses a worker's acknowledgement after its
// result was confirmed (the connection drops at that point, as a crash
// would drop it): the broker delivers the task again, a second result
// arrives for it, and Do counts it once. The job's other task is held
// until the second result is on the queue, so that Do is still there to
// see it.
func TestLostAckResultCountedOnce(t *testing.T) {
	cfg := brokerConfig(t, "lostack")
	cfg.Prefetch, cfg.Concurrency = 2, 2
	gate := make(chan struct{})
	w, err := NewWorker(cfg, gatedDigest(func(tk Task) bool { return tk.ID == "t001" }, gate, nil))
	require.NoError(t, err)
	var results atomic.Int32
	w.afterResult = func(id string) bool {
		if id != "t000" {
			return false
		}
		switch results.Add(1) {
		case 1:
			return true // drop the acknowledgement and the connection
		case 2:
			close(gate) // the duplicate is confirmed: let t001 finish
		}
		return false
	}
	testutil.Serve(t, w.Run)
	c := dial(t, cfg)
	tasks := makeTasks(2)
	got, err := c.Do(testCtx(t), "lostack", tasks)
	require.NoError(t, err)
	requireDigests(t, tasks, got)
	assert.Equal(t, int32(2), results.Load(), "t000 computed twice")
	assert.GreaterOrEqual(t, w.Stats().Reconnects, uint64(1))
	assert.Equal(t, uint64(1), c.Stats().Duplicates)
	assert.Equal(t, uint64(2), c.Stats().Results)
}

// TestDuplicateResultCountedOnce puts a second result for a task on the
// result queue before the real one arrives: the task is counted once, and
// the duplicate is counted as such.
func TestDuplicateResultCountedOnce(t *testing.T) {
	cfg := brokerConfig(t, "dup")
	c := dial(t, cfg)
	tasks := makeTasks(2)
	gate := make(chan struct{})
	runWorker(t, cfg, gatedDigest(func(tk Task) bool { return tk.ID == "t001" }, gate, nil))
	done := doAsync(func() ([]Result, error) { return c.Do(testCtx(t), "dup", tasks) })
	require.Eventually(t, func() bool { return c.Stats().Results == 1 }, 20*time.Second, 5*time.Millisecond)
	ch := rawChannel(t, cfg)
	require.NoError(t, ch.Publish("", namesFor(cfg.Queue, "dup").results, false, false, amqp.Publishing{
		CorrelationId: "t000", Body: []byte(digest(tasks[0].Body)),
	}))
	require.Eventually(t, func() bool { return c.Stats().Duplicates == 1 }, 20*time.Second, 5*time.Millisecond)
	close(gate)
	o := <-done
	require.NoError(t, o.err)
	requireDigests(t, tasks, o.r)
	assert.Equal(t, uint64(2), c.Stats().Results)
}

// jobWithABadTask runs a job of n tasks on a worker of its own whose
// handler calls bad for the task badID and digests the others; Do must
// end with a [DeadLetterError], which it returns with the tasks, Do's
// results and Do's error.
func jobWithABadTask(t *testing.T, job string, n int, badID string,
	bad func() ([]byte, error)) ([]Task, []Result, *DeadLetterError, error) {
	t.Helper()
	cfg := brokerConfig(t, job)
	runWorker(t, cfg, func(ctx context.Context, tk Task, f Fetcher) ([]byte, error) {
		if tk.ID == badID {
			return bad()
		}
		return digestHandler(ctx, tk, f)
	})
	tasks := makeTasks(n)
	results, err := dial(t, cfg).Do(testCtx(t), job, tasks)
	var dle *DeadLetterError
	require.ErrorAs(t, err, &dle)
	return tasks, results, dle, err
}

// TestFailingTaskIsDeadLettered: a handler that fails on one task every
// time makes it dead-lettered after MaxDeliveries deliveries; Do reports
// which task and the handler's error, and the other tasks' results.
func TestFailingTaskIsDeadLettered(t *testing.T) {
	var attempts atomic.Int32
	tasks, results, dle, err := jobWithABadTask(t, "poison", 4, "t002", func() ([]byte, error) {
		return nil, fmt.Errorf("bad input on attempt %d", attempts.Add(1))
	})
	assert.Equal(t, "t002", dle.TaskID)
	assert.Equal(t, "poison", dle.Job)
	assert.Equal(t, testMaxDeliveries, dle.Deliveries)
	assert.Equal(t, fmt.Sprintf("bad input on attempt %d", testMaxDeliveries), dle.Reason)
	assert.Contains(t, err.Error(), `task "t002"`)
	assert.Equal(t, int32(testMaxDeliveries), attempts.Load())
	for i, r := range results {
		if i == 2 {
			assert.Empty(t, r.TaskID)
			continue
		}
		assert.Equal(t, digest(tasks[i].Body), string(r.Body))
	}
}

// TestTooLargeTaskRefused: a task body over MaxMessageSize is refused
// before anything is published, with both sizes in the error.
func TestTooLargeTaskRefused(t *testing.T) {
	cfg := Config{Queue: "netlab.test.unused", MaxMessageSize: 100}.withDefaults()
	c := &Client{cfg: cfg}
	_, err := c.newJob("big", "", []Task{{ID: "a", Body: make([]byte, 101)}})
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "101 bytes")
	assert.Contains(t, err.Error(), "MaxMessageSize is 100")
}

// TestLargeResultsAndBlobsAreSplit runs a job on a broker connection with a
// tiny MaxMessageSize: a blob and results ten times that size cross the
// broker in parts and arrive whole; the blob crosses once per worker.
func TestLargeResultsAndBlobsAreSplit(t *testing.T) {
	cfg := brokerConfig(t, "split")
	cfg.MaxMessageSize = 256
	blob := make([]byte, 2600)
	for i := range blob {
		blob[i] = byte(i * 7)
	}
	key := BlobKey(blob)
	w := runWorker(t, cfg, func(ctx context.Context, tk Task, fetch Fetcher) ([]byte, error) {
		b, err := fetch(ctx, key)
		if err != nil {
			return nil, err
		}
		return append(append([]byte{}, tk.Body...), b...), nil
	})
	c := dial(t, cfg)
	c.Publish(key, blob)
	tasks := makeTasks(6)
	results, err := c.Do(testCtx(t), "split", tasks)
	require.NoError(t, err)
	for i, r := range results {
		require.Equal(t, append(append([]byte{}, tasks[i].Body...), blob...), r.Body)
	}
	assert.Equal(t, uint64(1), w.Stats().Fetches)
	assert.Equal(t, uint64(5), w.Stats().CacheHits)
	assert.Equal(t, uint64(1), c.Stats().BlobsServed)
}

// TestUnknownBlobFailsTheTask: fetching a key the client never published
// is a handler error, which dead-letters the task with the reason.
func TestUnknownBlobFailsTheTask(t *testing.T) {
	cfg := brokerConfig(t, "noblob")
	runWorker(t, cfg, func(ctx context.Context, tk Task, fetch Fetcher) ([]byte, error) {
		return fetch(ctx, "nope")
	})
	c := dial(t, cfg)
	_, err := c.Do(testCtx(t), "noblob", makeTasks(1))
	var dle *DeadLetterError
	require.ErrorAs(t, err, &dle)
	assert.Contains(t, dle.Reason, `no blob published under key "nope"`)
}

// TestBrokerRefusalIsReported sets MaxMessageSize above the broker's own
// max_message_size (128 MiB as shipped): the broker refuses the task by
// closing the publishing channel, and Do returns at once with the broker's
// words, which name both sizes, instead of publishing again forever. The
// body travels inline (InlineBody -1): a body fetched by the worker would
// not reach the broker's limit in the task message.
func TestBrokerRefusalIsReported(t *testing.T) {
	cfg := brokerConfig(t, "big")
	cfg.MaxMessageSize = 256 << 20
	cfg.InlineBody = -1
	c := dial(t, cfg)
	_, err := c.Do(testCtx(t), "big", []Task{{ID: "a", Body: make([]byte, DefaultMaxMessageSize+1)}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "134217729")
	assert.Contains(t, err.Error(), "134217728")
	assert.Zero(t, c.Stats().Published)
}

// TestPanickingHandlerIsAFailure: a handler that panics fails its task like
// one that returns an error, and the worker goes on with the others.
func TestPanickingHandlerIsAFailure(t *testing.T) {
	tasks, results, dle, _ := jobWithABadTask(t, "panic", 3, "t000", func() ([]byte, error) {
		panic("index out of range")
	})
	assert.Equal(t, "t000", dle.TaskID)
	assert.Equal(t, "handler panicked: index out of range", dle.Reason)
	assert.Equal(t, digest(tasks[2].Body), string(results[2].Body))
}

// TestPrefetchAndConcurrency: with Prefetch 4 and Concurrency 2 a worker
// holds four tasks (the broker has delivered them: two of six are left in
// the queue) but runs two at a time.
func TestPrefetchAndConcurrency(t *testing.T) {
	cfg := brokerConfig(t, "qos")
	cfg.Prefetch, cfg.Concurrency = 4, 2
	gate := make(chan struct{})
	var running, most atomic.Int32
	runWorker(t, cfg, func(ctx context.Context, tk Task, f Fetcher) ([]byte, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return digestHandler(ctx, tk, f)
	})
	c := dial(t, cfg)
	tasks := makeTasks(6)
	done := doAsync(func() ([]Result, error) { return c.Do(testCtx(t), "qos", tasks) })
	ch := rawChannel(t, cfg)
	require.Eventually(t, func() bool {
		q, err := ch.QueueDeclarePassive(cfg.Queue, true, false, false, false, nil)
		return err == nil && q.Messages == 2 && running.Load() == 2
	}, 20*time.Second, 5*time.Millisecond)
	close(gate)
	o := <-done
	require.NoError(t, o.err)
	requireDigests(t, tasks, o.r)
	assert.Equal(t, int32(2), most.Load())
}

// bodyTasks are tasks whose bodies are over an InlineBody of 16 but one;
// the last is served in three parts (see defaultServePart).
func bodyTasks() []Task {
	tasks := makeTasks(3)
	for i := range tasks[1:] {
		tasks[i+1].Body = []byte(fmt.Sprintf("%0*d", 1000+i, i))
	}
	tasks[2].Body = bytes.Repeat([]byte("body 2 "), (2*defaultServePart+defaultServePart/2)/7)
	return tasks
}

// TestLargeBodyStaysWithTheClient: a task body over InlineBody is not in
// the task message, which carries its length instead; the worker fetches
// it from the client and the handler sees the whole body. The small one
// travels inline.
func TestLargeBodyStaysWithTheClient(t *testing.T) {
	cfg := brokerConfig(t, "body")
	cfg.InlineBody = 16
	c := dial(t, cfg)
	tasks := bodyTasks()
	done := doAsync(func() ([]Result, error) { return c.Do(testCtx(t), "body", tasks) })
	require.Eventually(t, func() bool { return c.Stats().Published == 3 }, 20*time.Second, 5*time.Millisecond)

	ch := rawChannel(t, cfg)
	for range tasks {
		d, ok, err := ch.Get(cfg.Queue, false)
		require.NoError(t, err)
		require.True(t, ok)
		i := int(d.CorrelationId[3] - '0')
		if i == 0 {
			assert.Equal(t, tasks[0].Body, d.Body, "a small body travels inline")
			assert.NotContains(t, d.Headers, hBody)
		} else {
			assert.Empty(t, d.Body, "task %s carries its body", d.CorrelationId)
			assert.Equal(t, int64(len(tasks[i].Body)), d.Headers[hBody])
		}
	}
	require.NoError(t, ch.Nack(0, true, true))

	w := runWorker(t, cfg, digestHandler)
	got := <-done
	require.NoError(t, got.err)
	requireDigests(t, tasks, got.r)
	assert.Equal(t, uint64(2), w.Stats().Bodies)
	assert.Equal(t, uint64(2), c.Stats().BodiesServed)
}

// publishAndLeave is a client of job that goes away before any result:
// its Do is cancelled once every task is on the queue, and it closes.
func publishAndLeave(t *testing.T, cfg Config, job string, tasks []Task) {
	t.Helper()
	c := dial(t, cfg)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	done := doAsync(func() ([]Result, error) { return c.Do(ctx, job, tasks) })
	require.Eventually(t, func() bool { return c.Stats().Published == uint64(len(tasks)) }, 20*time.Second, 5*time.Millisecond)
	cancel()
	require.Error(t, (<-done).err)
	require.NoError(t, c.Close())
}

// TestRestartedClientServesBodies: the bodies of a job's queued tasks
// leave with their client, and a new client of the same job serves them
// again, so that the tasks it finds queued complete.
func TestRestartedClientServesBodies(t *testing.T) {
	cfg := brokerConfig(t, "rebody")
	cfg.InlineBody = 16
	tasks := bodyTasks()
	publishAndLeave(t, cfg, "rebody", tasks)

	runWorker(t, cfg, digestHandler)
	second := dial(t, cfg)
	results, err := second.Do(testCtx(t), "rebody", tasks)
	require.NoError(t, err)
	requireDigests(t, tasks, results)
}

// TestAwayClientsTaskWaits: a worker that cannot fetch a task's body
// because the job's client went away puts the task back at the end of the
// queue after FetchTimeout without counting a delivery, however often that
// happens; a client that comes back to the job gets the result.
func TestAwayClientsTaskWaits(t *testing.T) {
	cfg := brokerConfig(t, "away")
	cfg.InlineBody = 16
	tasks := bodyTasks()[1:2]
	publishAndLeave(t, cfg, "away", tasks)

	wcfg := cfg
	wcfg.FetchTimeout = 50 * time.Millisecond
	w := runWorker(t, wcfg, digestHandler)
	require.Eventually(t, func() bool { return w.Stats().Deferred > 2*testMaxDeliveries }, 20*time.Second, 5*time.Millisecond,
		"the task is put back more often than MaxDeliveries allows deliveries")
	assert.Zero(t, w.Stats().Failed, "waiting for the client is not a failure")
	assert.Zero(t, w.Stats().DeadLettered)

	second := dial(t, cfg)
	results, err := second.Do(testCtx(t), "away", tasks)
	require.NoError(t, err, "the client that came back gets the result")
	requireDigests(t, tasks, results)
	assert.Zero(t, w.Stats().DeadLettered)
}
