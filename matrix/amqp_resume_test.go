package matrix

import (
	"context"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/amqpseam/seamtest"
	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// namedConfig is amqpConfig with a job name.
func namedConfig(t *testing.T, executors *[]*AMQPExecutor) AMQPConfig {
	t.Helper()
	cfg := amqpConfig(t, executors)
	cfg.Job = "resume" // unique with the test's own queue, which its queues are named after
	return cfg
}

// startMultiply runs MultiplyOn on ex in the background; the channel
// gets its error when it returns.
func startMultiply(ex *AMQPExecutor, a, b *mat.Dense) <-chan error {
	return seamtest.Start(30*time.Second, func(ctx context.Context) error {
		_, err := MultiplyOn(ctx, ex, a, b, 8)
		return err
	})
}

// answerSome runs one worker of cfg that answers n products and stops as
// it takes the next (its Run ends, so that one goes back to the queue).
// It returns the products it took, in order, and how many it answered.
func answerSome(t *testing.T, cfg AMQPConfig, n int) (took []uint64, answered uint64) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var mu sync.Mutex
	cfg.OnTask = func(ti TaskInfo) {
		mu.Lock()
		defer mu.Unlock()
		if len(took) == n {
			stop()
			return
		}
		took = append(took, ti.ID)
	}
	w, err := NewAMQPWorker(cfg)
	require.NoError(t, err)
	require.NoError(t, w.Run(ctx))
	require.NoError(t, w.Close())
	answered = w.w.Stats().Handled
	require.GreaterOrEqual(t, answered, uint64(n-1), "the worker answered products before it stopped")
	mu.Lock()
	defer mu.Unlock()
	return took, answered
}

// interrupted starts a multiplication on a named executor, waits for its
// products to be queued, lets one worker answer n of them (none when n is
// 0) and closes the executor: a coordinator gone mid-job. It returns the
// products the worker took, in order, and how many it answered.
func interrupted(t *testing.T, cfg AMQPConfig, exs *[]*AMQPExecutor, a, b *mat.Dense,
	n int) (first *AMQPExecutor, took []uint64, answered uint64) {
	t.Helper()
	first = dialAMQP(t, cfg, exs)
	seamtest.Interrupt(t, cfg.URL, cfg.Queue, Products, first, startMultiply(first, a, b), func() {
		if n > 0 {
			took, answered = answerSome(t, cfg, n)
		}
	})
	return first, took, answered
}

// resumed multiplies on a new executor of cfg's job with two workers,
// checks the product is Strassen's, and returns the executor and the
// products the workers took.
func resumed(t *testing.T, cfg AMQPConfig, exs *[]*AMQPExecutor, a, b *mat.Dense) (*AMQPExecutor, []uint64) {
	t.Helper()
	second := dialAMQP(t, cfg, exs)
	var mu sync.Mutex
	var took []uint64
	wcfg := cfg
	wcfg.OnTask = func(ti TaskInfo) {
		mu.Lock()
		took = append(took, ti.ID)
		mu.Unlock()
	}
	startAMQPWorkers(t, wcfg, 2)
	got, err := MultiplyOn(ctxFor(t, 30*time.Second), second, a, b, 8)
	require.NoError(t, err)
	assert.True(t, mat.Equal(strassen(a, b, 8), got), "not bit-for-bit Strassen's")
	assert.EqualValues(t, Products, second.client.Stats().Results, "each product counted once")
	mu.Lock()
	defer mu.Unlock()
	return second, append([]uint64(nil), took...)
}

// A coordinator closed while its products wait on the queue, with no
// worker running: a new executor of the same job finds them still
// queued, workers compute them, and the product is Strassen's. The job's
// queues outlive the first executor's Close and go when the job is done.
func TestAMQPNamedJobResumesQueuedTasks(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := namedConfig(t, &exs)
	rng := mrand.New(mrand.NewPCG(41, 42))
	a, b := randDense(rng, 40, 30), randDense(rng, 30, 50)
	first, _, _ := interrupted(t, cfg, &exs, a, b, 0)
	job := first.allJobs()[0]
	results := cfg.Queue + ".results." + job
	_, kept := testenv.AMQPQueue(t, cfg.URL, results)
	require.True(t, kept, "Close left the named job's reply queue for a restart")

	second, took := resumed(t, cfg, &exs, a, b)
	assert.Equal(t, []string{job}, second.allJobs(), "the restarted executor ran the same job")
	// The restarted executor publishes again each product it has no result
	// for when it starts; a copy the first one left queued may already
	// have been answered by then (the workers start first), and is then
	// collected instead: never more than the seven.
	assert.LessOrEqual(t, second.client.Stats().Published, uint64(Products), "published at most once more each")
	// Each product was queued by the first executor and again by the
	// second: a worker computes it once or twice, never more.
	assert.GreaterOrEqual(t, len(took), Products)
	assert.LessOrEqual(t, len(took), 2*Products)
	_, kept = testenv.AMQPQueue(t, cfg.URL, results)
	assert.False(t, kept, "the finished job's reply queue is deleted")
}

// Products answered before the coordinator went away are collected by
// the restarted one from the reply queue, not published or computed
// again; only the others are.
func TestAMQPNamedJobCollectsEarlierResults(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := namedConfig(t, &exs)
	rng := mrand.New(mrand.NewPCG(43, 44))
	a, b := randDense(rng, 36, 44), randDense(rng, 44, 28)
	_, early, answered := interrupted(t, cfg, &exs, a, b, 3)

	second, late := resumed(t, cfg, &exs, a, b)
	assert.LessOrEqual(t, second.client.Stats().Published, uint64(Products)-answered,
		"the answered products were collected, not published again")
	// A product is computed again only from a copy the first executor
	// left queued, or the second one's: twice per unanswered one at most.
	assert.LessOrEqual(t, uint64(len(late)), 2*(uint64(Products)-answered))
	for _, id := range early[:answered] {
		assert.NotContains(t, late, id, "product %d was answered before the restart", id)
	}
}

// A job name stands for its inputs: a restarted coordinator that
// multiplies other operands under the same name takes none of the
// products computed for the first ones, and gets its own product.
func TestAMQPNamedJobNeverTakesOtherInputsResults(t *testing.T) {
	var exs []*AMQPExecutor
	cfg := namedConfig(t, &exs)
	rng := mrand.New(mrand.NewPCG(45, 46))
	a, b := randDense(rng, 32, 32), randDense(rng, 32, 32)
	_, _, answered := interrupted(t, cfg, &exs, a, b, 3)
	assert.Positive(t, answered)

	// Every product's operands differ. (A product whose operands did not
	// change, M3 = A11(B12-B22) when only B11 does, would rightly be taken.)
	second, _ := resumed(t, cfg, &exs, a, randDense(rng, 32, 32))
	assert.EqualValues(t, Products, second.client.Stats().Published, "nothing taken from the first inputs")
}

func TestAMQPConfigChecksJob(t *testing.T) {
	_, err := DialAMQP(context.Background(), AMQPConfig{Job: "amq.x"})
	assert.ErrorContains(t, err, "AMQPConfig.Job", "refused before dialling")
}
