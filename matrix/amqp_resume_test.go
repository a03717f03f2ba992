package matrix

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// namedConfig is amqpConfig with a job name of the test's own.
func namedConfig(t *testing.T, executors *[]*AMQPExecutor) AMQPConfig {
	t.Helper()
	cfg := amqpConfig(t, executors)
	var b [4]byte
	_, _ = rand.Read(b[:])
	cfg.Job = "resume-" + hex.EncodeToString(b[:])
	return cfg
}

// startMultiply runs MultiplyOn on ex in the background; the channel
// gets its error when it returns.
func startMultiply(t *testing.T, ex *AMQPExecutor, a, b *mat.Dense) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := MultiplyOn(ctxFor(t, 30*time.Second), ex, a, b, 8)
		done <- err
	}()
	return done
}

// waitQueued polls until the queue holds at least n ready messages.
func waitQueued(t *testing.T, cfg AMQPConfig, queue string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, _ := testenv.AMQPQueue(t, cfg.URL, queue)
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %s holds %d messages after 15s, want %d", queue, got, n)
		}
		time.Sleep(20 * time.Millisecond) // polling the broker, with a deadline
	}
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

// countingWorkers starts n workers of cfg that count the tasks they take.
func countingWorkers(t *testing.T, cfg AMQPConfig, n int, taken *atomic.Int64) {
	t.Helper()
	cfg.OnTask = func(TaskInfo) { taken.Add(1) }
	startAMQPWorkers(t, cfg, n)
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

	first := dialAMQP(t, cfg, &exs)
	done := startMultiply(t, first, a, b)
	waitQueued(t, cfg, cfg.Queue, Products)
	require.NoError(t, first.Close())
	require.Error(t, <-done, "the call in progress ends with the executor")
	job := first.allJobs()[0]
	results := cfg.Queue + ".results." + job
	_, kept := testenv.AMQPQueue(t, cfg.URL, results)
	require.True(t, kept, "Close left the named job's reply queue for a restart")

	second := dialAMQP(t, cfg, &exs)
	var taken atomic.Int64
	countingWorkers(t, cfg, 2, &taken)
	got, err := MultiplyOn(ctxFor(t, 30*time.Second), second, a, b, 8)
	require.NoError(t, err)
	assert.True(t, mat.Equal(strassen(a, b, 8), got), "not bit-for-bit Strassen's")
	assert.Equal(t, []string{job}, second.allJobs(), "the restarted executor ran the same job")
	s := second.client.Stats()
	assert.EqualValues(t, Products, s.Results, "each product counted once")
	assert.EqualValues(t, Products, s.Published, "the unanswered products were published again")
	// Each product was queued by the first executor and again by the
	// second: a worker computes it once or twice, never more.
	assert.GreaterOrEqual(t, taken.Load(), int64(Products))
	assert.LessOrEqual(t, taken.Load(), int64(2*Products))
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

	first := dialAMQP(t, cfg, &exs)
	done := startMultiply(t, first, a, b)
	waitQueued(t, cfg, cfg.Queue, Products)
	early, answered := answerSome(t, cfg, 3)
	require.NoError(t, first.Close())
	require.Error(t, <-done, "the call in progress ends with the executor")

	second := dialAMQP(t, cfg, &exs)
	var mu2 sync.Mutex
	var late []uint64
	lcfg := cfg
	lcfg.OnTask = func(ti TaskInfo) {
		mu2.Lock()
		late = append(late, ti.ID)
		mu2.Unlock()
	}
	startAMQPWorkers(t, lcfg, 2)
	got, err := MultiplyOn(ctxFor(t, 30*time.Second), second, a, b, 8)
	require.NoError(t, err)
	assert.True(t, mat.Equal(strassen(a, b, 8), got), "not bit-for-bit Strassen's")
	s := second.client.Stats()
	assert.EqualValues(t, Products, s.Results, "each product counted once")
	assert.LessOrEqual(t, s.Published, uint64(Products)-answered,
		"the answered products were collected, not published again")
	mu2.Lock()
	defer mu2.Unlock()
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
	first := dialAMQP(t, cfg, &exs)
	done := startMultiply(t, first, a, b)
	waitQueued(t, cfg, cfg.Queue, Products)
	_, answered := answerSome(t, cfg, 3)
	require.NoError(t, first.Close())
	require.Error(t, <-done)

	// Every product's operands differ. (A product whose operands did not
	// change, M3 = A11(B12-B22) when only B11 does, would rightly be taken.)
	other := randDense(rng, 32, 32)
	second := dialAMQP(t, cfg, &exs)
	startAMQPWorkers(t, cfg, 2)
	got, err := MultiplyOn(ctxFor(t, 30*time.Second), second, a, other, 8)
	require.NoError(t, err)
	assert.True(t, mat.Equal(strassen(a, other, 8), got), "the product of the new operands")
	assert.False(t, mat.Equal(strassen(a, b, 8), got))
	assert.Positive(t, answered)
	assert.EqualValues(t, Products, second.client.Stats().Published, "nothing taken from the first inputs")
}

func TestAMQPConfigChecksJob(t *testing.T) {
	_, err := DialAMQP(context.Background(), AMQPConfig{Job: "amq.x"})
	assert.ErrorContains(t, err, "AMQPConfig.Job", "refused before dialling")
}
