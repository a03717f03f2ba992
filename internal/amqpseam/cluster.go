package amqpseam

import (
	"context"
	"errors"
	"fmt"

	"github.com/netlab-go/netlab/internal/amqpwork"
)

// Executor is what [StartCluster] needs of a package's AMQPExecutor.
type Executor interface{ Close() error }

// Worker is what [StartCluster] needs of a package's AMQPWorker.
type Worker interface {
	Run(ctx context.Context) error
}

// Parts tells [StartCluster] how a package makes its executor and its
// workers on a task queue.
type Parts[E Executor, W Worker] struct {
	Pkg    string // error prefix, "matrix"
	Prefix string // of a private queue's name, "netlab.matrix.local."
	// Dial connects the executor, NewWorker makes one worker, and Engine
	// gives the engine's configuration (for deleting a private queue),
	// each on the task queue named.
	Dial      func(queue string) (E, error)
	NewWorker func(queue string) (W, error)
	Engine    func(queue string) amqpwork.Config
	Jobs      func(E) []string // every engine job the executor ran
}

// Cluster is an executor and its workers running in this process, what
// a package's LocalAMQP (the -local demo on -transport amqp) holds.
type Cluster[E Executor, W Worker] struct {
	Executor E
	Workers  []W

	local  *Local
	engine amqpwork.Config
	jobs   func(E) []string
}

// StartCluster connects an executor and n workers to the broker. With
// queue empty they use a queue of their own, named at random, which
// Close deletes; otherwise they share queue with any other worker of it,
// and Close leaves it.
func StartCluster[E Executor, W Worker](ctx context.Context, queue string, n int, p Parts[E, W]) (*Cluster[E, W], error) {
	if n < 1 {
		return nil, fmt.Errorf("%s: StartLocalAMQP: %d workers; want at least 1", p.Pkg, n)
	}
	l := NewLocal(ctx, queue, p.Prefix)
	c := &Cluster[E, W]{local: l, engine: p.Engine(l.Queue), jobs: p.Jobs}
	ex, err := p.Dial(l.Queue)
	if err != nil {
		return nil, errors.Join(err, l.Abandon())
	}
	c.Executor = ex
	for range n {
		w, err := p.NewWorker(l.Queue)
		if err != nil {
			return nil, errors.Join(err, c.Close())
		}
		c.Workers = append(c.Workers, w)
		l.Go(w.Run)
	}
	return c, nil
}

// Close stops the workers, closes the executor and, when the queue was
// the cluster's own, deletes it and its jobs' queues from the broker. It
// returns what the workers' Run returned, joined.
func (c *Cluster[E, W]) Close() error {
	return c.local.Close(c.engine, c.Executor.Close, c.jobs(c.Executor))
}
