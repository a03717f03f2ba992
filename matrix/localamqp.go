package matrix

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/internal/amqpwork"
	"github.com/netlab-go/netlab/internal/rungroup"
)

// LocalAMQP is an [AMQPExecutor] and its [AMQPWorker]s running in this
// process against a RabbitMQ broker: what the example's -local mode on
// -transport amqp starts. Every product still crosses the broker.
type LocalAMQP struct {
	Executor *AMQPExecutor
	Workers  []*AMQPWorker

	cfg     AMQPConfig
	private bool // the queue is this cluster's own: Close deletes it
	group   *rungroup.Group
}

// StartLocalAMQP connects an executor and n workers to the broker of cfg.
// With cfg.Queue empty they use a queue of their own, named at random,
// which Close deletes; otherwise they share cfg.Queue with any other
// worker of it, and Close leaves it.
func StartLocalAMQP(ctx context.Context, cfg AMQPConfig, n int) (*LocalAMQP, error) {
	if n < 1 {
		return nil, fmt.Errorf("matrix: StartLocalAMQP: %d workers; want at least 1", n)
	}
	l := &LocalAMQP{cfg: cfg, group: rungroup.New(ctx)}
	if cfg.Queue == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		l.cfg.Queue, l.private = "netlab.matrix.local."+hex.EncodeToString(b[:]), true
	}
	ex, err := DialAMQP(ctx, l.cfg)
	if err != nil {
		return nil, err
	}
	l.Executor = ex
	for range n {
		w, err := NewAMQPWorker(l.cfg)
		if err != nil {
			return nil, errors.Join(err, l.Close())
		}
		l.Workers = append(l.Workers, w)
		l.group.Go(w.Run)
	}
	return l, nil
}

// Close stops the workers, closes the executor and, when the queue was
// the cluster's own, deletes it from the broker. It returns what the
// workers' Run returned, joined.
func (l *LocalAMQP) Close() error {
	err := l.group.Close()
	var jobs []string
	if l.Executor != nil {
		err = errors.Join(err, l.Executor.Close())
		jobs = l.Executor.jobNames()
	}
	if l.private {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(err, amqpwork.DeleteQueues(ctx, l.cfg.engine(), jobs...))
		l.private = false
	}
	return err
}
