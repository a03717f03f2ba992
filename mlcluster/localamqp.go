package mlcluster

import (
	"context"

	"github.com/netlab-go/netlab/internal/amqpseam"
	"github.com/netlab-go/netlab/internal/amqpwork"
)

// LocalAMQP is an [AMQPExecutor] and its [AMQPWorker]s running in this
// process against a RabbitMQ broker: what the example's -local mode on
// -transport amqp starts. Every shard and step still crosses the broker.
type LocalAMQP struct {
	Executor *AMQPExecutor
	Workers  []*AMQPWorker

	cluster *amqpseam.Cluster[*AMQPExecutor, *AMQPWorker]
}

// StartLocalAMQP connects an executor and n workers to the broker of cfg.
// With cfg.Queue empty they use a queue of their own, named at random,
// which Close deletes; otherwise they share cfg.Queue with any other
// worker of it, and Close leaves it.
func StartLocalAMQP(ctx context.Context, cfg AMQPConfig, n int) (*LocalAMQP, error) {
	on := func(queue string) AMQPConfig { cfg.Queue = queue; return cfg }
	c, err := amqpseam.StartCluster(ctx, cfg.Queue, n, amqpseam.Parts[*AMQPExecutor, *AMQPWorker]{
		Pkg: "mlcluster", Prefix: "netlab.mlcluster.local.",
		Dial:      func(q string) (*AMQPExecutor, error) { return DialAMQP(ctx, on(q)) },
		NewWorker: func(q string) (*AMQPWorker, error) { return NewAMQPWorker(on(q)) },
		Engine:    func(q string) amqpwork.Config { return on(q).engine() },
		Jobs:      (*AMQPExecutor).allJobs,
	})
	if err != nil {
		return nil, err
	}
	return &LocalAMQP{Executor: c.Executor, Workers: c.Workers, cluster: c}, nil
}

// Close stops the workers, closes the executor and, when the queue was
// the cluster's own, deletes it from the broker. It returns what the
// workers' Run returned, joined.
func (l *LocalAMQP) Close() error { return l.cluster.Close() }
