package mlcluster

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/amqpseam/seamtest"
	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// namedConfig is amqpConfig with a job name.
func namedConfig(t *testing.T, executors *[]*AMQPExecutor) AMQPConfig {
	t.Helper()
	cfg := amqpConfig(t, executors)
	cfg.Job = "resume" // unique with the test's own queue, which its queues are named after
	// A stale copy of a finished step's task asks for its shard on a
	// queue that is gone, perhaps with the request: give it back soon.
	cfg.FetchTimeout = time.Second
	return cfg
}

// counting is k-means that counts its Maps and calls hook (when set)
// with the count before each.
type counting struct {
	Algorithm
	n    atomic.Int64
	hook func(n int64)
}

func (c *counting) Map(step Step, s *Shard) (Partial, error) {
	n := c.n.Add(1)
	if c.hook != nil {
		c.hook(n)
	}
	return c.Algorithm.Map(step, s)
}

func countingKMeans(t *testing.T, hook func(int64)) *counting {
	t.Helper()
	kmeans, err := DefaultRegistry().Lookup("kmeans")
	require.NoError(t, err)
	return &counting{Algorithm: kmeans, hook: hook}
}

// startRunOn runs k-means on ex in the background; the channel gets its
// error when it returns.
func startRunOn(ex *AMQPExecutor, ds *Dataset, params Params, opt LocalOptions) <-chan error {
	return seamtest.Start(20*time.Second, func(ctx context.Context) error {
		_, err := RunOn(ctx, ex, ds, "kmeans", params, opt)
		return err
	})
}

// answerSome runs one worker of cfg that maps n tasks and stops as it
// takes the next (its Run ends, so that one goes back to the queue). It
// returns how many tasks it answered.
func answerSome(t *testing.T, cfg AMQPConfig, n int64) uint64 {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	cfg.Algorithms = NewRegistry(countingKMeans(t, func(took int64) {
		if took == n+1 {
			stop()
		}
	}))
	w, err := NewAMQPWorker(cfg)
	require.NoError(t, err)
	require.NoError(t, w.Run(ctx))
	require.NoError(t, w.Close())
	answered := w.w.Stats().Handled
	require.GreaterOrEqual(t, answered, uint64(1), "the worker answered shards before it stopped")
	return answered
}

// interrupted starts k-means on a named executor, waits for its first
// step's tasks to be queued, lets one worker answer n of them (none when
// n is 0) and closes the executor: a coordinator gone mid-job.
func interrupted(t *testing.T, cfg AMQPConfig, exs *[]*AMQPExecutor, ds *Dataset, params Params,
	opt LocalOptions, n int64) (first *AMQPExecutor, answered uint64) {
	t.Helper()
	first = dialAMQP(t, cfg, exs)
	seamtest.Interrupt(t, cfg.URL, cfg.Queue, opt.Shards, first, startRunOn(first, ds, params, opt), func() {
		if n > 0 {
			answered = answerSome(t, cfg, n)
		}
	})
	return first, answered
}

// resumed runs k-means on a new executor of cfg's job with two counting
// workers, checks the result is RunLocal's, and returns the executor and
// how many Maps the workers ran.
func resumed(t *testing.T, cfg AMQPConfig, exs *[]*AMQPExecutor, ds *Dataset, params Params,
	opt LocalOptions) (second *AMQPExecutor, maps int64) {
	t.Helper()
	second = dialAMQP(t, cfg, exs)
	algo := countingKMeans(t, nil)
	wcfg := cfg
	wcfg.Algorithms = NewRegistry(algo)
	startAMQPWorkers(t, wcfg, 2)
	got, err := RunOn(ctxT(t), second, ds, "kmeans", params, opt)
	require.NoError(t, err)
	want, err := RunLocal(context.Background(), ds, "kmeans", params, opt)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	require.NotEmpty(t, second.allJobs())
	return second, algo.n.Load()
}

// A coordinator closed while its first step's tasks wait on the queue,
// with no worker running: a new executor of the same job finds them still
// queued, and the result is RunLocal's. The step's queues outlive the
// first executor's Close and go when the step is done.
func TestAMQPNamedJobResumesQueuedStep(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := namedConfig(t, &exs)
	ds := blobs(t, 1200, 2, 3, 2, 31)
	params, opt := Params{"k": "3", "tol": "0"}, LocalOptions{Shards: 3}
	first, _ := interrupted(t, cfg, &exs, ds, params, opt, 0)
	step := first.allJobs()[0]
	results := cfg.Queue + ".results." + step
	_, kept := testenv.AMQPQueue(t, cfg.URL, results)
	require.True(t, kept, "Close left the step's reply queue for a restart")

	second, maps := resumed(t, cfg, &exs, ds, params, opt)
	assert.Equal(t, step, second.allJobs()[0], "the restarted executor ran the same step")
	s := second.client.Stats()
	// Each task without a result is published again when the step
	// resumes; a copy the first coordinator left queued may already have
	// been answered by then (the workers start first) and is collected
	// instead, so at most every task is published again.
	assert.LessOrEqual(t, s.Published, s.Results, "at most every task published again")
	// The first step's tasks were queued twice, the others once.
	assert.GreaterOrEqual(t, maps, int64(s.Results))
	assert.LessOrEqual(t, maps, int64(s.Published)+int64(opt.Shards))
	_, kept = testenv.AMQPQueue(t, cfg.URL, results)
	assert.False(t, kept, "the finished step's reply queue is deleted")
}

// Partials answered before the coordinator went away are collected by the
// restarted one from the reply queue, not published again.
func TestAMQPNamedJobCollectsEarlierPartials(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := namedConfig(t, &exs)
	ds := blobs(t, 1600, 2, 3, 2, 32)
	params, opt := Params{"k": "3", "tol": "0"}, LocalOptions{Shards: 4}
	first, answered := interrupted(t, cfg, &exs, ds, params, opt, 2)

	second, maps := resumed(t, cfg, &exs, ds, params, opt)
	assert.Equal(t, first.allJobs()[0], second.allJobs()[0], "the restarted executor resumed the step")
	s := second.client.Stats()
	assert.LessOrEqual(t, s.Published, s.Results-answered,
		"the answered shards were collected, not published again")
	// A task is mapped again only from a copy the first executor left
	// queued (one per unanswered shard) or one the second published.
	assert.LessOrEqual(t, maps, int64(s.Published)+int64(uint64(opt.Shards)-answered))
}

// A job name stands for its inputs: a restarted coordinator that runs
// other data under the same name takes none of the partials computed for
// the first, and gets RunLocal's answer for its own.
func TestAMQPNamedJobNeverTakesOtherInputsPartials(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := namedConfig(t, &exs)
	params, opt := Params{"k": "3", "tol": "0"}, LocalOptions{Shards: 3}
	first, _ := interrupted(t, cfg, &exs, blobs(t, 900, 2, 3, 2, 33), params, opt, 1)

	second, _ := resumed(t, cfg, &exs, blobs(t, 900, 2, 3, 2, 34), params, opt)
	assert.Equal(t, first.allJobs()[0], second.allJobs()[0], "the same name, the same engine job")
	s := second.client.Stats()
	assert.Equal(t, s.Published, s.Results, "nothing taken from the first data")
}

func TestAMQPConfigChecksJobAndFetchTimeout(t *testing.T) {
	_, err := NewAMQPWorker(AMQPConfig{FetchTimeout: -time.Second})
	assert.ErrorContains(t, err, "FetchTimeout")
	_, err = DialAMQP(context.Background(), AMQPConfig{Job: "a/b"})
	assert.ErrorContains(t, err, "AMQPConfig.Job", "refused before dialling")
}
