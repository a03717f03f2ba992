package mlcluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/internal/rungroup"
)

// LocalCluster is a coordinator and its workers running in this process on
// loopback: what the example's -local mode and the tour start. Unlike
// [RunLocal], every shard and step crosses a real TCP connection.
type LocalCluster struct {
	Coordinator *Coordinator
	Workers     []*Worker

	group   *rungroup.Group // the coordinator
	workers *rungroup.Group // stopped first: see Close
}

// localReadyWithin bounds how long [StartLocalCluster] waits for its workers
// to register.
const localReadyWithin = 10 * time.Second

// StartLocalCluster starts a coordinator with cfg (its Addr is usually
// 127.0.0.1:0) and n workers named local-1 to local-n that know the same
// algorithms, and returns once every worker has registered. Close stops
// them all.
func StartLocalCluster(ctx context.Context, cfg Config, n int) (*LocalCluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("mlcluster: StartLocalCluster: %d workers; want at least 1", n)
	}
	co, err := New(cfg)
	if err != nil {
		return nil, err
	}
	l := &LocalCluster{Coordinator: co, group: rungroup.New(ctx), workers: rungroup.New(ctx)}
	l.group.Go(co.Run)
	for i := range n {
		wc := DefaultWorkerConfig()
		wc.Coordinator, wc.Name, wc.Algorithms = co.Addr(), fmt.Sprintf("local-%d", i+1), cfg.Algorithms
		w, err := NewWorker(wc)
		if err != nil {
			_ = l.Close()
			return nil, err
		}
		l.Workers = append(l.Workers, w)
		l.workers.Go(w.Run)
	}
	wctx, wcancel := context.WithTimeout(ctx, localReadyWithin)
	defer wcancel()
	if err := co.WaitWorkers(wctx, n); err != nil {
		return nil, errors.Join(err, l.Close())
	}
	return l, nil
}

// Addr is the coordinator's address, for clients.
func (l *LocalCluster) Addr() string { return l.Coordinator.Addr() }

// Close stops the coordinator and every worker, waits for them, and returns
// what their Run methods returned, joined. It may be called more than once
// (later calls return what the first did); after it the coordinator's and
// workers' Run return [ErrClosed].
func (l *LocalCluster) Close() error {
	// Workers first: a coordinator that stops first may close a worker's
	// connection before the worker's context ends, and its Run then
	// reports "connection to the coordinator lost" as an error.
	err := errors.Join(l.workers.Close(), l.group.Close())
	for _, w := range l.Workers {
		_ = w.Close()
	}
	return err
}
