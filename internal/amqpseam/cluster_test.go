package amqpseam

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/netlab-go/netlab/internal/amqpwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeExecutor and fakeWorker stand for a package's AMQPExecutor and
// AMQPWorker: they record what the cluster did to them.
type fakeExecutor struct {
	queue  string
	closed atomic.Int32
}

func (e *fakeExecutor) Close() error { e.closed.Add(1); return nil }

type fakeWorker struct {
	queue   string
	running chan struct{}
	err     error
}

func (w *fakeWorker) Run(ctx context.Context) error {
	close(w.running)
	<-ctx.Done()
	return w.err
}

// fakeParts makes fakes on the queue named; NewWorker fails from the
// failAt-th worker on (never when failAt is 0).
func fakeParts(failAt int, dialErr error, runErr error) (Parts[*fakeExecutor, *fakeWorker], *[]*fakeWorker) {
	var made []*fakeWorker
	return Parts[*fakeExecutor, *fakeWorker]{
		Pkg: "pkg", Prefix: "netlab.test.cluster.",
		Dial: func(q string) (*fakeExecutor, error) {
			if dialErr != nil {
				return nil, dialErr
			}
			return &fakeExecutor{queue: q}, nil
		},
		NewWorker: func(q string) (*fakeWorker, error) {
			if failAt > 0 && len(made)+1 >= failAt {
				return nil, errors.New("no worker")
			}
			w := &fakeWorker{queue: q, running: make(chan struct{}), err: runErr}
			made = append(made, w)
			return w, nil
		},
		Engine: func(q string) amqpwork.Config { return amqpwork.Config{Queue: q} },
		Jobs:   func(*fakeExecutor) []string { return nil },
	}, &made
}

// On a shared queue (no broker involved), the cluster runs n workers on
// it until Close, which stops them, closes the executor and returns what
// their Run returned.
func TestClusterRunsItsWorkersUntilClose(t *testing.T) {
	runErr := errors.New("worker failed")
	p, made := fakeParts(0, nil, runErr)
	c, err := StartCluster(context.Background(), "q", 3, p)
	require.NoError(t, err)
	require.Len(t, c.Workers, 3)
	assert.Equal(t, "q", c.Executor.queue)
	for _, w := range *made {
		assert.Equal(t, "q", w.queue)
		<-w.running
	}
	assert.ErrorIs(t, c.Close(), runErr)
	assert.EqualValues(t, 1, c.Executor.closed.Load())
}

func TestClusterStartFailures(t *testing.T) {
	p, _ := fakeParts(0, nil, nil)
	_, err := StartCluster(context.Background(), "q", 0, p)
	assert.ErrorContains(t, err, "pkg: StartLocalAMQP: 0 workers")

	dialErr := errors.New("no broker")
	p, made := fakeParts(0, dialErr, nil)
	_, err = StartCluster(context.Background(), "", 2, p)
	assert.ErrorIs(t, err, dialErr, "nothing was declared: the private queue is abandoned, not deleted")
	assert.Empty(t, *made)

	p, made = fakeParts(2, nil, nil)
	var ex *fakeExecutor
	dial := p.Dial
	p.Dial = func(q string) (*fakeExecutor, error) { e, err := dial(q); ex = e; return e, err }
	_, err = StartCluster(context.Background(), "q", 3, p)
	assert.ErrorContains(t, err, "no worker")
	require.Len(t, *made, 1)
	<-(*made)[0].running
	assert.EqualValues(t, 1, ex.closed.Load(), "the executor is closed when a worker cannot be made")
}
