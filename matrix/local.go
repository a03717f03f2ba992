package matrix

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/netlab-go/netlab/internal/rungroup"
)

// LocalConfig describes a whole cluster in one process: what the examples'
// -local mode and the tour run.
type LocalConfig struct {
	Workers     int               // how many workers; default Products (7)
	Coordinator CoordinatorConfig // its Addr is usually 127.0.0.1:0
	Worker      WorkerConfig      // template; Coordinator is filled in, Threads 0 = cores/Workers (at least 1)
	ReadyWithin time.Duration     // StartLocal fails if the workers are not all registered by then
}

// DefaultLocalConfig is seven workers and a coordinator on loopback.
func DefaultLocalConfig() LocalConfig {
	return LocalConfig{
		Workers:     Products,
		Coordinator: DefaultCoordinatorConfig(),
		Worker:      DefaultWorkerConfig(""),
		ReadyWithin: 5 * time.Second,
	}
}

// LocalCluster is a coordinator and its workers running in this process.
type LocalCluster struct {
	Coordinator *Coordinator
	Workers     []*Worker

	group *rungroup.Group
}

// StartLocal starts a coordinator and cfg.Workers workers on loopback and
// returns once every worker is registered. A zero field of cfg means its
// value in [DefaultLocalConfig]. When ctx ends, or on [LocalCluster.Close],
// every component stops.
func StartLocal(ctx context.Context, cfg LocalConfig) (*LocalCluster, error) {
	cfg = cfg.withDefaults()
	if cfg.Workers < 1 {
		return nil, fmt.Errorf("matrix: LocalConfig.Workers %d must be at least 1", cfg.Workers)
	}
	if cfg.ReadyWithin <= 0 {
		return nil, fmt.Errorf("matrix: LocalConfig.ReadyWithin %v must be positive", cfg.ReadyWithin)
	}
	if cfg.Worker.Threads == 0 {
		// OpenBLAS's thread count is process-wide: the workers share it, so
		// each gets its share of the cores (threads × workers ≤ cores).
		cfg.Worker.Threads = max(1, runtime.NumCPU()/cfg.Workers)
	}
	co, err := NewCoordinator(cfg.Coordinator)
	if err != nil {
		return nil, err
	}
	l := &LocalCluster{Coordinator: co, group: rungroup.New(ctx)}
	l.group.Go(co.Run)
	for range cfg.Workers {
		wc := cfg.Worker
		wc.Coordinator = co.Addr()
		w, err := NewWorker(wc)
		if err != nil {
			_ = l.Close()
			return nil, err
		}
		l.Workers = append(l.Workers, w)
		l.group.Go(w.Run)
	}
	deadline := time.NewTimer(cfg.ReadyWithin)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if l.allRegistered() {
			return l, nil
		}
		select {
		case <-ctx.Done():
			_ = l.Close()
			return nil, ctx.Err()
		case <-deadline.C:
			n, _, _ := co.Registry().Counts()
			_ = l.Close()
			return nil, fmt.Errorf("matrix: only %d of %d workers registered within %v", n, cfg.Workers, cfg.ReadyWithin)
		case <-tick.C:
		}
	}
}

// allRegistered reports whether the coordinator has every worker in its
// table and every worker has had its registration answered (the
// coordinator counts a worker a moment before the worker hears so).
func (l *LocalCluster) allRegistered() bool {
	if n, _, _ := l.Coordinator.Registry().Counts(); n != len(l.Workers) {
		return false
	}
	for _, w := range l.Workers {
		if !w.Registered() {
			return false
		}
	}
	return true
}

// Addr is the coordinator's address.
func (l *LocalCluster) Addr() string { return l.Coordinator.Addr() }

// Close stops every component and waits for them. It is idempotent; after
// it the coordinator's and workers' Run return [ErrClosed].
func (l *LocalCluster) Close() error {
	return l.group.Close()
}
