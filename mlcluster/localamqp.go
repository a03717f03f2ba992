package mlcluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/netlab-go/netlab/internal/amqpseam"
)

// LocalAMQP is an [AMQPExecutor] and its [AMQPWorker]s running in this
// process against a RabbitMQ broker: what the example's -local mode on
// -transport amqp starts. Every shard and step still crosses the broker.
type LocalAMQP struct {
	Executor *AMQPExecutor
	Workers  []*AMQPWorker

	cfg   AMQPConfig
	local *amqpseam.Local
}

// StartLocalAMQP connects an executor and n workers to the broker of cfg.
// With cfg.Queue empty they use a queue of their own, named at random,
// which Close deletes; otherwise they share cfg.Queue with any other
// worker of it, and Close leaves it.
func StartLocalAMQP(ctx context.Context, cfg AMQPConfig, n int) (*LocalAMQP, error) {
	if n < 1 {
		return nil, fmt.Errorf("mlcluster: StartLocalAMQP: %d workers; want at least 1", n)
	}
	l := &LocalAMQP{local: amqpseam.NewLocal(ctx, cfg.Queue, "netlab.mlcluster.local.")}
	cfg.Queue = l.local.Queue
	l.cfg = cfg
	ex, err := DialAMQP(ctx, cfg)
	if err != nil {
		return nil, errors.Join(err, l.local.Abandon())
	}
	l.Executor = ex
	for range n {
		w, err := NewAMQPWorker(cfg)
		if err != nil {
			return nil, errors.Join(err, l.Close())
		}
		l.Workers = append(l.Workers, w)
		l.local.Go(w.Run)
	}
	return l, nil
}

// Close stops the workers, closes the executor and, when the queue was
// the cluster's own, deletes it from the broker. It returns what the
// workers' Run returned, joined.
func (l *LocalAMQP) Close() error {
	return l.local.Close(l.cfg.engine(), l.Executor.Close, l.Executor.allJobs())
}
