package matrix

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/amqpseam/seamtest"
	"github.com/netlab-go/netlab/internal/amqpwork"
	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// amqpConfig is a configuration on a task queue of the test's own, whose
// queues and exchange the cleanup deletes (with those of every job an
// executor of the test started).
func amqpConfig(t *testing.T, executors *[]*AMQPExecutor) AMQPConfig {
	t.Helper()
	cfg := AMQPConfig{URL: testenv.AMQPURL(t), Cutoff: 8, MaxDeliveries: 3}
	cfg.Queue = seamtest.Queue(t, "matrix", func(q string) amqpwork.Config { c := cfg; c.Queue = q; return c.engine() },
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

// On RabbitMQ, as on the TCP grid, MultiplyOn's answer is Strassen's bit
// for bit: square, non-square and odd shapes.
func TestAMQPMultiplyIsStrassen(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := amqpConfig(t, &exs)
	ex := dialAMQP(t, cfg, &exs)
	startAMQPWorkers(t, cfg, 2)
	rng := mrand.New(mrand.NewPCG(21, 22))
	for _, sh := range [][3]int{{64, 64, 64}, {100, 37, 51}, {33, 65, 17}, {9, 200, 30}} {
		a, b := randDense(rng, sh[0], sh[1]), randDense(rng, sh[1], sh[2])
		got, err := MultiplyOn(ctxFor(t, 20*time.Second), ex, a, b, 8)
		require.NoError(t, err, "%v", sh)
		require.True(t, mat.Equal(strassen(a, b, 8), got), "%v: not bit-for-bit Strassen's", sh)
	}
	s := ex.Stats()
	assert.EqualValues(t, 4*Products, s.Tasks)
	assert.Positive(t, s.BytesSent)
	assert.Positive(t, s.BytesBack)
}

// A task every worker refuses (its blocks exceed the workers' Limits) is
// dead-lettered after MaxDeliveries, and MultiplyOn says which product and
// why instead of waiting for ever.
func TestAMQPPoisonedTaskIsReported(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := amqpConfig(t, &exs)
	cfg.MaxDeliveries = 2
	ex := dialAMQP(t, cfg, &exs)
	wcfg := cfg
	wcfg.Limits.MaxDim = 16
	startAMQPWorkers(t, wcfg, 1)
	rng := mrand.New(mrand.NewPCG(1, 2))
	a, b := randDense(rng, 40, 40), randDense(rng, 40, 40)
	_, err := MultiplyOn(ctxFor(t, 20*time.Second), ex, a, b, 8)
	require.ErrorIs(t, err, ErrDeadLettered)
	assert.ErrorContains(t, err, "product M1 after 2 deliveries")
	assert.ErrorContains(t, err, "over the limit of 16 rows or columns", "the worker's reason travels with the dead letter")
}

// amqpWorkerEnv makes the test binary an AMQP worker (see TestMain): the
// test re-executes itself to have a worker in a process it can kill -9.
const amqpWorkerEnv = "NETLAB_MATRIX_AMQP_WORKER"

// amqpWorkerProcess runs a worker on the queue the environment names. It
// prints "task" when a task arrives and then hangs on it, so that the
// test kills it holding an unacknowledged task.
func amqpWorkerProcess() int {
	cfg := AMQPConfig{URL: os.Getenv("AMQP_URL"), Queue: os.Getenv(amqpWorkerEnv), Cutoff: 8, MaxDeliveries: 3}
	cfg.OnTask = func(TaskInfo) {
		fmt.Println("task")
		select {} // hang holding the task, until killed
	}
	w, err := NewAMQPWorker(cfg)
	if err == nil {
		err = w.Run(context.Background())
	}
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// A worker process killed (SIGKILL) while it holds a task: the broker
// gives the task to another worker and the product does not change.
func TestAMQPWorkerKilledMidTask(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := amqpConfig(t, &exs)
	ex := dialAMQP(t, cfg, &exs)
	child := testutil.StartSelf(t, amqpWorkerEnv+"="+cfg.Queue, "AMQP_URL="+cfg.URL)
	var killed sync.WaitGroup
	killed.Go(func() {
		assert.Equal(t, "task", child.Line(), "the worker process took a task")
		assert.NoError(t, child.Kill())
		// Only now may another worker compete for the task.
		startAMQPWorkers(t, cfg, 1)
	})
	rng := mrand.New(mrand.NewPCG(3, 4))
	a, b := randDense(rng, 50, 70), randDense(rng, 70, 45)
	got, err := MultiplyOn(ctxFor(t, 30*time.Second), ex, a, b, 8)
	killed.Wait()
	require.NoError(t, err)
	assert.True(t, mat.Equal(strassen(a, b, 8), got), "the product did not change")
	assert.GreaterOrEqual(t, ex.Stats().Redelivered, int64(1), "the killed worker's task was delivered again")
}

// The broker connection of the executor and of the worker breaks while a
// task is being computed; both reconnect and the product is unchanged.
func TestAMQPConnectionDroppedAndRecovered(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := amqpConfig(t, &exs)
	proxy, viaProxy := testutil.NewURLProxy(t, cfg.URL)
	cfg.URL = viaProxy
	ex := dialAMQP(t, cfg, &exs)
	var once sync.Once
	cut := make(chan struct{})
	wcfg := cfg
	wcfg.OnTask = func(TaskInfo) {
		once.Do(func() {
			assert.Positive(t, proxy.Cut())
			close(cut)
		})
	}
	startAMQPWorkers(t, wcfg, 1)
	rng := mrand.New(mrand.NewPCG(5, 6))
	a, b := randDense(rng, 40, 40), randDense(rng, 40, 40)
	got, err := MultiplyOn(ctxFor(t, 30*time.Second), ex, a, b, 8)
	require.NoError(t, err)
	<-cut
	assert.True(t, mat.Equal(strassen(a, b, 8), got))
	assert.False(t, strings.Contains(cfg.URL, "5672"), "everything went through the proxy")
}

// A task larger than the broker's maximum message size is refused before
// anything is published, with an error that names both sizes.
func TestAMQPTaskTooLarge(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := amqpConfig(t, &exs)
	cfg.MaxMessage = 4096
	ex := dialAMQP(t, cfg, &exs)
	rng := mrand.New(mrand.NewPCG(7, 8))
	a, b := randDense(rng, 40, 40), randDense(rng, 40, 40)
	_, err := MultiplyOn(ctxFor(t, 10*time.Second), ex, a, b, 8)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.ErrorContains(t, err, "6435 bytes")
	assert.ErrorContains(t, err, "4096")
}
