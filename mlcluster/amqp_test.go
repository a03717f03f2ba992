package mlcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/netlab-go/netlab/internal/amqpseam/seamtest"
	"github.com/netlab-go/netlab/internal/amqpwork"
	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// amqpConfig is a configuration on a task queue of the test's own, whose
// queues and exchange the cleanup deletes (with those of every job an
// executor of the test started).
func amqpConfig(t *testing.T, executors *[]*AMQPExecutor) AMQPConfig {
	t.Helper()
	cfg := AMQPConfig{URL: testenv.AMQPURL(t), MaxDeliveries: 3}
	cfg.Queue = seamtest.Queue(t, "mlcluster", func(q string) amqpwork.Config { c := cfg; c.Queue = q; return c.engine() },
		func() []string { return seamtest.Jobs(*executors, (*AMQPExecutor).allJobs) })
	return cfg
}

func dialAMQP(t *testing.T, cfg AMQPConfig, executors *[]*AMQPExecutor) *AMQPExecutor {
	t.Helper()
	return seamtest.Dial(t, executors, func(ctx context.Context) (*AMQPExecutor, error) { return DialAMQP(ctx, cfg) })
}

func startAMQPWorkers(t *testing.T, cfg AMQPConfig, n int) []*AMQPWorker {
	t.Helper()
	return testutil.ServeN(t, n, func() (*AMQPWorker, error) { return NewAMQPWorker(cfg) })
}

// On RabbitMQ, as on the TCP grid, every algorithm's result equals
// RunLocal's over the same shards, bit for bit; each shard is published
// once however many steps and jobs use it.
func TestAMQPRunOnIsRunLocal(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := amqpConfig(t, &exs)
	ex := dialAMQP(t, cfg, &exs)
	ws := startAMQPWorkers(t, cfg, 2)
	ds := blobs(t, 4000, 3, 4, 2, 5)
	opt := LocalOptions{Shards: 5}
	for _, job := range []struct {
		algo   string
		params Params
	}{{"kmeans", Params{"k": "4", "tol": "0"}}, {"stats", nil}, {"pca", Params{"components": "2"}}} {
		want, err := RunLocal(context.Background(), ds, job.algo, job.params, opt)
		require.NoError(t, err, job.algo)
		got, err := RunOn(ctxT(t), ex, ds, job.algo, job.params, opt)
		require.NoError(t, err, job.algo)
		assert.Equal(t, want, got, job.algo)
	}
	s := ex.Stats()
	assert.EqualValues(t, 5, s.Published, "five shards, published once for three jobs")
	assert.Len(t, ex.jobs.All(), 3, "one set of queues per job, however many steps")
	assert.Empty(t, ex.open, "RunOn closed each job's queues")
	assert.Positive(t, s.Tasks)
	assert.Equal(t, s.Tasks, ws[0].Steps()+ws[1].Steps())
}

// poison fails to map one shard, every time.
type poison struct{ Algorithm }

func (poison) Name() string { return "poison" }

func (p poison) Map(step Step, s *Shard) (Partial, error) {
	if s.ID == 1 {
		return Partial{}, errors.New("shard 1 is poisoned")
	}
	return p.Algorithm.Map(step, s)
}

// A task that fails on every delivery reaches the dead-letter queue after
// MaxDeliveries, and RunOn says which shard, which step and why.
func TestAMQPPoisonedTaskIsReported(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := amqpConfig(t, &exs)
	cfg.MaxDeliveries = 2
	kmeans, err := DefaultRegistry().Lookup("stats")
	require.NoError(t, err)
	reg := NewRegistry(poison{kmeans})
	cfg.Algorithms = reg
	ex := dialAMQP(t, cfg, &exs)
	startAMQPWorkers(t, cfg, 1)
	_, err = RunOn(ctxT(t), ex, blobs(t, 300, 2, 2, 1, 1), "poison", nil, LocalOptions{Shards: 3, Algorithms: reg})
	require.ErrorIs(t, err, ErrDeadLettered)
	assert.ErrorContains(t, err, "shard-1 of step")
	assert.ErrorContains(t, err, "after 2 deliveries")
	assert.ErrorContains(t, err, "shard 1 is poisoned")
}

// hang is k-means whose Map announces itself and never returns: the
// worker process that runs it is killed holding the task.
type hang struct{ Algorithm }

func (hang) Map(Step, *Shard) (Partial, error) {
	fmt.Println("task")
	select {}
}

// amqpWorkerEnv makes the test binary an AMQP worker (see TestMain): the
// test re-executes itself to have a worker in a process it can kill -9.
const amqpWorkerEnv = "NETLAB_MLCLUSTER_AMQP_WORKER"

func amqpWorkerProcess() int {
	kmeans, _ := DefaultRegistry().Lookup("kmeans")
	cfg := AMQPConfig{URL: os.Getenv("AMQP_URL"), Queue: os.Getenv(amqpWorkerEnv), MaxDeliveries: 3,
		Algorithms: NewRegistry(hang{kmeans})}
	w, err := NewAMQPWorker(cfg)
	if err == nil {
		err = w.Run(context.Background())
	}
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// A worker process killed (SIGKILL) while it maps a shard: the broker
// gives the task to another worker and the centroids do not change.
func TestAMQPWorkerKilledMidStep(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := amqpConfig(t, &exs)
	ex := dialAMQP(t, cfg, &exs)
	child := testutil.StartSelf(t, amqpWorkerEnv+"="+cfg.Queue, "AMQP_URL="+cfg.URL)
	var killed sync.WaitGroup
	killed.Go(func() {
		assert.Equal(t, "task", child.Line(), "the worker process took a task")
		assert.NoError(t, child.Kill())
		startAMQPWorkers(t, cfg, 1) // only now may another worker compete
	})
	ds := blobs(t, 2000, 2, 3, 2, 4)
	params, opt := Params{"k": "3", "tol": "0"}, LocalOptions{Shards: 2}
	got, err := RunOn(ctxT(t), ex, ds, "kmeans", params, opt)
	killed.Wait()
	require.NoError(t, err)
	want, err := RunLocal(context.Background(), ds, "kmeans", params, opt)
	require.NoError(t, err)
	assert.Equal(t, want, got, "the result did not change")
	assert.GreaterOrEqual(t, ex.Stats().Redelivered, int64(1), "the killed worker's task was delivered again")
}

// cutter is k-means whose first Map breaks every broker connection.
type cutter struct {
	Algorithm
	once sync.Once
	cut  func()
}

func (c *cutter) Map(step Step, s *Shard) (Partial, error) {
	c.once.Do(c.cut)
	return c.Algorithm.Map(step, s)
}

// The executor's and the worker's broker connections break mid-step; both
// reconnect and the result is unchanged.
func TestAMQPConnectionDroppedAndRecovered(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := amqpConfig(t, &exs)
	proxy, viaProxy := testutil.NewURLProxy(t, cfg.URL)
	cfg.URL = viaProxy
	ex := dialAMQP(t, cfg, &exs)
	kmeans, err := DefaultRegistry().Lookup("kmeans")
	require.NoError(t, err)
	cuts := 0
	wcfg := cfg
	wcfg.Algorithms = NewRegistry(&cutter{Algorithm: kmeans, cut: func() { cuts = proxy.Cut() }})
	startAMQPWorkers(t, wcfg, 1)
	ds := blobs(t, 1000, 2, 3, 2, 8)
	params, opt := Params{"k": "3", "tol": "0"}, LocalOptions{Shards: 2}
	got, err := RunOn(ctxT(t), ex, ds, "kmeans", params, opt)
	require.NoError(t, err)
	want, err := RunLocal(context.Background(), ds, "kmeans", params, opt)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.GreaterOrEqual(t, cuts, 2, "the executor's and the worker's connections were cut")
}

func FuzzDecodeQueueTask(f *testing.F) {
	f.Add(queueTask{Algo: "kmeans", Step: Step{Kind: "assign", Data: []float64{1, 2}}, Shard: 3, Key: "ab"}.encode())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		task, err := decodeQueueTask(b)
		if err != nil {
			return
		}
		enc := task.encode()
		again, err := decodeQueueTask(enc)
		require.NoError(t, err)
		// Compared as bytes: a NaN in the step's data is not equal to
		// itself, but must travel bit for bit.
		require.Equal(t, enc, again.encode())
		again.Step.Data, task.Step.Data = nil, nil
		require.Equal(t, task, again)
	})
}
