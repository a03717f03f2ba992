package mlcluster

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// Executor is where the map tasks of a job run: the seam between an
// algorithm's plan (broadcast a step, merge the partials) and the machines
// that map it over the shards. [RunLocal] maps in this process,
// [Coordinator.RunJob] on the TCP grid of workers, an [AMQPExecutor] on RabbitMQ
// work queues; [RunOn] does not know which it was given, and because
// partials are merged in shard order the answer is the same, bit for bit.
type Executor interface {
	// Map returns parts[i] = algo.Map(step, shards[i]) for every shard,
	// in shard order, computed wherever the executor runs tasks. Within a
	// job every call gets the same shards, so an executor may ship them
	// once and refer to them afterwards.
	Map(ctx context.Context, algo Algorithm, step Step, shards []*Shard) ([]Partial, error)
}

// maxSteps bounds a job's steps, so a faulty [Plan] cannot loop forever.
const maxSteps = 1_000_000

// runPlan is the map/merge loop shared by local and distributed jobs:
// ask the plan for a step, map it on every shard, merge in shard order,
// report progress, until the plan is done.
func runPlan(ctx context.Context, algo Algorithm, plan Plan, ex Executor, shards []*Shard, progress func(Progress)) (*Result, error) {
	for range maxSteps {
		step, done := plan.Next()
		if done {
			return plan.Result()
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		parts, err := ex.Map(ctx, algo, step, shards)
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
type localExec struct{}

func (localExec) Map(ctx context.Context, algo Algorithm, step Step, shards []*Shard) ([]Partial, error) {
	parts := make([]Partial, len(shards))
	errs := make([]error, len(shards))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, s := range shards {
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
	return RunOn(ctx, localExec{}, ds, algo, params, opt)
}

// RunOn runs a job whose map tasks run on ex: it splits ds into
// opt.Shards shards, and loops plan, [Executor.Map], merge in shard order
// until the algorithm is done. With the same shard count the result equals
// [RunLocal]'s bit for bit, whatever ex is.
func RunOn(ctx context.Context, ex Executor, ds *Dataset, algo string, params Params, opt LocalOptions) (*Result, error) {
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
	if j, ok := ex.(jobEnder); ok {
		defer j.endJob(shards)
	}
	res, err := runPlan(ctx, a, plan, ex, shards, opt.Progress)
	return finishResult(res, ds, len(shards), 0), err
}

// jobEnder is an [Executor] of this package that holds something for the
// whole of a job (AMQPExecutor: the job's queues, one round per step) and
// is told when the job is over.
type jobEnder interface {
	endJob(shards []*Shard)
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
