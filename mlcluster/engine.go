package mlcluster

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// executor runs one step of an algorithm on every shard of a job and returns
// the partials in shard order. The local executor calls Map in this process;
// the coordinator's remote executor asks workers.
type executor interface {
	run(ctx context.Context, algo Algorithm, step Step) ([]Partial, error)
}

// maxSteps bounds a job's steps, so a faulty [Plan] cannot loop forever.
const maxSteps = 1_000_000

// runPlan is the map/merge loop shared by local and distributed jobs:
// ask the plan for a step, map it on every shard, merge in shard order,
// report progress, until the plan is done.
func runPlan(ctx context.Context, algo Algorithm, plan Plan, ex executor, progress func(Progress)) (*Result, error) {
	for range maxSteps {
		step, done := plan.Next()
		if done {
			return plan.Result()
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		parts, err := ex.run(ctx, algo, step)
		if err != nil {
			return nil, err
		}
		if err := plan.Merge(parts); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(plan.Progress())
		}
	}
	return nil, fmt.Errorf("mlcluster: %s did not finish in %d steps", algo.Name(), maxSteps)
}

// localExec maps shards in this process, in parallel up to GOMAXPROCS.
type localExec struct {
	shards []*Shard
}

func (l localExec) run(ctx context.Context, algo Algorithm, step Step) ([]Partial, error) {
	parts := make([]Partial, len(l.shards))
	errs := make([]error, len(l.shards))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, s := range l.shards {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			parts[i], errs[i] = algo.Map(step, s)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("mlcluster: shard %d: %w", i, err)
		}
	}
	return parts, ctx.Err()
}

// LocalOptions configure [RunLocal].
type LocalOptions struct {
	// Shards is the number of shards the data is split into (default
	// GOMAXPROCS). The same data, shards and parameters give the same
	// result, bit for bit; a different shard count cuts the floating-point
	// sums elsewhere and may differ in the last bits. A cluster splits a
	// job into (workers × [Config.ShardsPerWorker]) shards and says how many
	// in [Result.Shards]: pass that here to reproduce a cluster's result.
	Shards int
	// Algorithms to choose from (nil = DefaultRegistry()).
	Algorithms *Registry
	// Progress, when set, is called after every merged step.
	Progress func(Progress)
}

// RunLocal runs a job in this process, with no network: the same plan, the
// same map on shards and the same merge as on a cluster.
func RunLocal(ctx context.Context, ds *Dataset, algo string, params Params, opt LocalOptions) (*Result, error) {
	if opt.Algorithms == nil {
		opt.Algorithms = DefaultRegistry()
	}
	if opt.Shards <= 0 {
		opt.Shards = runtime.GOMAXPROCS(0)
	}
	a, plan, err := startJob(opt.Algorithms, ds, algo, params)
	if err != nil {
		return nil, err
	}
	shards := Split(ds, opt.Shards)
	res, err := runPlan(ctx, a, plan, localExec{shards: shards}, opt.Progress)
	return finishResult(res, ds, len(shards), 0), err
}

// startJob looks up the algorithm and plans the job.
func startJob(reg *Registry, ds *Dataset, algo string, params Params) (Algorithm, Plan, error) {
	a, err := reg.Lookup(algo)
	if err != nil {
		return nil, nil, err
	}
	if ds == nil || ds.Rows == 0 || ds.Cols == 0 {
		return nil, nil, fmt.Errorf("%w: empty dataset", ErrBadInput)
	}
	plan, err := a.Plan(ds.Shape(), params)
	if err != nil {
		return nil, nil, err
	}
	return a, plan, nil
}

func finishResult(res *Result, ds *Dataset, shards, workers int) *Result {
	if res != nil {
		res.Rows, res.Cols, res.Header = ds.Rows, ds.Cols, ds.Header
		res.Shards, res.Workers = shards, workers
	}
	return res
}
