// Command matrix multiplies matrices with Strassen's algorithm on a grid of
// peers leased from a coordinator, or on RabbitMQ work queues (package
// matrix).
//
//	go run ./examples/matrix -local -n 512                 # everything in one process
//	go run ./examples/matrix coordinator -addr 127.0.0.1:7070
//	go run ./examples/matrix worker -coordinator 127.0.0.1:7070     # start seven of these
//	go run ./examples/matrix multiply -coordinator 127.0.0.1:7070 -n 1024
//
// On RabbitMQ (-amqp-url, default $AMQP_URL) the broker takes the
// coordinator's place:
//
//	go run ./examples/matrix -local -transport amqp -n 512 -workers 2
//	go run ./examples/matrix worker -transport amqp                 # as many as you like
//	go run ./examples/matrix multiply -transport amqp -n 1024
//	go run ./examples/matrix multiply -transport amqp -n 1024 -job nightly
//
// With -job a multiply that is stopped (Ctrl-C, a crash) and run again
// with the same name and the same -n and -seed resumes: it finds its
// products still queued and those already computed waiting on the broker.
//
// A multiplication that could not use the grid (no coordinator, fewer than
// seven workers within -wait, blocks too small or too large for the
// workers) is computed locally and reported as local, never as distributed.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/netlab-go/netlab/internal/cli"
	"github.com/netlab-go/netlab/matrix"
	"gonum.org/v1/gonum/mat"
)

const synopsis = `usage: matrix -local [-transport T] [-n N] [-workers W]   coordinator (or broker), workers and client in one process
       matrix coordinator [-addr A]                         the peer table and its leases
       matrix worker [-transport T] [-coordinator A]        one worker; start seven
       matrix multiply [-transport T] [-coordinator A] [-n N]  one product on the grid or the queue`

func main() {
	cli.Dispatch("matrix", synopsis, os.Args[1:], map[string]func([]string){
		"coordinator": coordinator,
		"worker":      worker,
		"multiply":    multiply,
	}, local)
}

// maxN bounds -n before the memory check: beyond it the number alone is
// the mistake.
const maxN = 1 << 20

// memoryFor estimates what an n×n product needs in this process: A, B, the
// result, gonum's result for the comparison and the seven half-size
// products (about 6n² float64), plus, with -local, the workers' operands,
// products and Strassen temporaries (about 10n² more).
func memoryFor(n int, local bool) uint64 {
	per := uint64(6)
	if local {
		per = 16
	}
	return per * 8 * uint64(n) * uint64(n)
}

func checkN(n int, local bool) error {
	if err := cli.IntRange("n", n, 1, maxN); err != nil {
		return err
	}
	return cli.Memory("n", memoryFor(n, local), fmt.Sprintf("two %d×%d matrices and their products", n, n))
}

func verboseLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

func coordinator(args []string) {
	cmd := cli.New("matrix coordinator", "usage: matrix coordinator [-addr A] [-lease D] [-max-conns N]")
	addr := cmd.Flags.String("addr", "127.0.0.1:7070", "TCP address to listen on (port 0 picks one)")
	ttl := cmd.Flags.Duration("lease", 30*time.Second, "default lease length")
	maxConns := cmd.Flags.Int("max-conns", matrix.DefaultMaxConns, "connections served at once (workers and waiting clients)")
	cmd.Parse(args)
	cmd.NoArgs()
	cmd.Check(cli.Addr("addr", *addr),
		cli.DurationRange("lease", *ttl, 10*time.Millisecond, 5*time.Minute),
		cli.IntRange("max-conns", *maxConns, 1, 1<<20))
	cfg := matrix.DefaultCoordinatorConfig()
	cfg.Addr, cfg.MaxConns = *addr, *maxConns
	cfg.Registry.LeaseTTL = *ttl
	cfg.Logger = verboseLogger()
	co, err := matrix.NewCoordinator(cfg)
	cmd.Fail(err)
	ctx, stop := cmd.Context()
	defer stop()
	fmt.Printf("coordinator listening on %s (Ctrl-C to stop)\n", co.Addr())
	err = co.Run(ctx)
	s := co.Registry().Stats()
	fmt.Printf("coordinator stopped: %d leases granted, %d released, %d expired; %d peers removed, %d dropped after failed tasks\n",
		s.Granted, s.Released, s.Expired, s.Removed, s.Dropped)
	cmd.Fail(err)
}

func worker(args []string) {
	cmd := cli.New("matrix worker", "usage: matrix worker [-transport tcp|amqp] [-amqp-url U] [-coordinator A] [-addr A] [-cutoff N] [-distribute-above N] [-threads N]")
	tr := cli.AddTransport(cmd.Flags)
	coord := cmd.Flags.String("coordinator", "127.0.0.1:7070", "coordinator address")
	addr := cmd.Flags.String("addr", "127.0.0.1:0", "TCP address to listen on for tasks")
	cutoff := cmd.Flags.Int("cutoff", matrix.DefaultCutoff, "gonum Mul at or below this size, local Strassen above")
	deeper := cmd.Flags.Int("distribute-above", 0, "forward blocks at least this large one level deeper (0 = never)")
	idle := cmd.Flags.Duration("idle-timeout", matrix.DefaultWorkerIdleTimeout, "close a task connection that makes no progress this long")
	threads := threadsFlag(cmd, "kernel threads per product (OpenBLAS build); 0 = all cores; with several workers on one machine, cores/workers")
	cmd.Parse(args)
	cmd.NoArgs()
	cmd.Check(checkThreads(*threads), cli.Addr("coordinator", *coord), cli.Addr("addr", *addr),
		cli.IntRange("cutoff", *cutoff, 1, 1<<16),
		cli.IntRange("distribute-above", *deeper, 0, 1<<16),
		cli.DurationRange("idle-timeout", *idle, 10*time.Millisecond, time.Hour),
		tr.Check("coordinator", "addr", "distribute-above", "idle-timeout"))
	if tr.AMQP() {
		matrix.SetKernelThreads(*threads) // 0: unchanged
		cmd.Fail(amqpWorker(cmd, tr.AMQPURL, *cutoff))
		return
	}
	cfg := matrix.DefaultWorkerConfig(*coord)
	cfg.Addr, cfg.Cutoff, cfg.DistributeAbove, cfg.IdleTimeout = *addr, *cutoff, *deeper, *idle
	cfg.Threads = *threads
	cfg.Logger = verboseLogger()
	cfg.OnTask = func(t matrix.TaskInfo) {
		fmt.Printf("task %d from %s: %d×%d by %d×%d (depth %d)\n", t.ID, t.RemoteAddr, t.Rows, t.Inner, t.Inner, t.Cols, t.Depth)
	}
	w, err := matrix.NewWorker(cfg)
	cmd.Fail(err)
	ctx, stop := cmd.Context()
	defer stop()
	fmt.Printf("worker listening on %s, registering with %s; kernel %s, threads per product: %d (Ctrl-C to stop)\n",
		w.Addr(), *coord, matrix.Kernel(), matrix.KernelThreads())
	err = w.Run(ctx)
	s := w.Stats()
	fmt.Printf("worker stopped: %d tasks answered (%d forwarded a level deeper), %d refused\n", s.Tasks, s.Forwarded, s.Errors)
	cmd.Fail(err)
}

// amqpWorker runs one worker on the RabbitMQ task queue until interrupted.
func amqpWorker(cmd *cli.Command, url string, cutoff int) error {
	cfg := matrix.AMQPConfig{URL: url, Cutoff: cutoff, Logger: verboseLogger()}
	cfg.OnTask = func(t matrix.TaskInfo) {
		fmt.Printf("task M%d: %d×%d by %d×%d\n", t.ID+1, t.Rows, t.Inner, t.Inner, t.Cols)
	}
	w, err := matrix.NewAMQPWorker(cfg)
	if err != nil {
		return err
	}
	ctx, stop := cmd.Context()
	defer stop()
	fmt.Printf("worker %s consuming %s on %s (Ctrl-C to stop)\n", w.Name(), matrix.DefaultAMQPQueue, cli.RedactURL(url))
	err = w.Run(ctx)
	fmt.Printf("worker stopped: %d products computed\n", w.Tasks())
	return err
}

// threadsFlag is -threads: WorkerConfig.Threads, for the worker
// subcommand and -local.
func threadsFlag(cmd *cli.Command, usage string) *int {
	return cmd.Flags.Int("threads", 0, usage)
}

func checkThreads(n int) error { return cli.IntRange("threads", n, 0, 1024) }

// runFlags are the flags of a multiplication, shared by -local and multiply.
type runFlags struct {
	n           *int
	seed        *uint64
	wait        *time.Duration
	taskTimeout *time.Duration
	cutoff      *int
	tr          *cli.Transport
}

func addRunFlags(cmd *cli.Command) runFlags {
	return runFlags{
		n:           cmd.Flags.Int("n", 1024, "size of the n×n matrices"),
		seed:        cmd.Flags.Uint64("seed", 1, "random seed for the matrices"),
		wait:        cmd.Flags.Duration("wait", 10*time.Second, "tcp: wait this long for seven peers, then compute locally"),
		taskTimeout: cmd.Flags.Duration("task-timeout", matrix.DefaultTaskTimeout, "tcp: floor of each task's deadline; above it the deadline grows with the task's size and the worker's measured speed"),
		cutoff:      cmd.Flags.Int("cutoff", matrix.DefaultCutoff, "amqp: Strassen cutoff, the workers' -cutoff (no split at or below it)"),
		tr:          cli.AddTransport(cmd.Flags),
	}
}

func (f runFlags) check(cmd *cli.Command, local bool) {
	cmd.Check(checkN(*f.n, local),
		cli.DurationRange("wait", *f.wait, time.Millisecond, time.Hour),
		cli.DurationRange("task-timeout", *f.taskTimeout, time.Millisecond, time.Hour),
		cli.IntRange("cutoff", *f.cutoff, 1, 1<<16),
		f.tr.Check("coordinator", "wait", "task-timeout"))
}

func multiply(args []string) {
	cmd := cli.New("matrix multiply", "usage: matrix multiply [-transport tcp|amqp] [-amqp-url U] [-job NAME] [-coordinator A] [-n N] [-seed S] [-wait D] [-task-timeout D] [-cutoff N]")
	coord := cmd.Flags.String("coordinator", "127.0.0.1:7070", "coordinator address")
	f := addRunFlags(cmd)
	f.tr.AddJob()
	cmd.Parse(args)
	cmd.NoArgs()
	cmd.Check(cli.Addr("coordinator", *coord))
	f.check(cmd, false)
	ctx, stop := cmd.Context()
	defer stop()
	if f.tr.AMQP() {
		ex, err := matrix.DialAMQP(ctx, matrix.AMQPConfig{URL: f.tr.AMQPURL, Job: f.tr.Job})
		cmd.Fail(err)
		err = runOn(ctx, os.Stdout, ex, f)
		cmd.Fail(errors.Join(err, ex.Close()))
		return
	}
	cmd.Fail(run(ctx, os.Stdout, *coord, f))
}

func local(args []string) {
	cmd := cli.New("matrix", synopsis)
	isLocal := cmd.Flags.Bool("local", false, "start a coordinator, the workers and a client in this process")
	workers := cmd.Flags.Int("workers", matrix.Products, "workers to start with -local (tcp: fewer than seven and the product is computed locally)")
	threads := threadsFlag(cmd, "kernel threads per product for the workers (OpenBLAS build; process-wide); 0 = cores/workers, at least 1")
	f := addRunFlags(cmd)
	cmd.Parse(args)
	cmd.NoArgs()
	if !*isLocal {
		cmd.Check(errors.New("missing -local or a subcommand (coordinator, worker, multiply)"))
	}
	cmd.Check(cli.IntRange("workers", *workers, 1, 64), checkThreads(*threads))
	f.check(cmd, true)
	ctx, stop := cmd.Context()
	defer stop()

	t0 := time.Now()
	if f.tr.AMQP() {
		matrix.SetKernelThreads(*threads) // 0: unchanged
		l, err := matrix.StartLocalAMQP(ctx, matrix.AMQPConfig{URL: f.tr.AMQPURL, Cutoff: *f.cutoff}, *workers)
		cmd.Fail(err)
		fmt.Printf("%d workers consuming a queue of their own on %s, started in %v\n",
			*workers, cli.RedactURL(f.tr.AMQPURL), time.Since(t0).Round(time.Millisecond))
		err = runOn(ctx, os.Stdout, l.Executor, f)
		cmd.Fail(errors.Join(err, l.Close()))
		return
	}
	cfg := matrix.DefaultLocalConfig()
	cfg.Workers = *workers
	cfg.Worker.Threads = *threads
	cluster, err := matrix.StartLocal(ctx, cfg)
	cmd.Fail(err)
	fmt.Printf("coordinator on %s, %d workers registered in %v; kernel %s, threads per product: %d\n",
		cluster.Addr(), *workers, time.Since(t0).Round(time.Millisecond), matrix.Kernel(), matrix.KernelThreads())
	err = run(ctx, os.Stdout, cluster.Addr(), f)
	cmd.Fail(errors.Join(err, cluster.Close()))
}

// run multiplies two random n×n matrices with a client of coord, compares
// the product with gonum's, and prints what happened: the grid's phases,
// or that the product was computed locally and why.
func run(ctx context.Context, w io.Writer, coord string, f runFlags) error {
	n := *f.n
	var bar *cli.Progress // drawn once the first product is back: a local run has none
	var barMu sync.Mutex
	cfg := matrix.DefaultClientConfig(coord)
	cfg.AcquireTimeout, cfg.TaskTimeout = *f.wait, *f.taskTimeout
	cfg.MinDistribute = min(cfg.MinDistribute, 16) // so that small demos use the grid too
	cfg.OnStatus = func(s matrix.Status) {
		fmt.Fprintf(w, "  waiting: position %d of %d in the queue, %d of %d peers free\n", s.Position, s.Waiting, s.Free, s.Peers)
	}
	cfg.OnProduct = func(done int) {
		barMu.Lock()
		defer barMu.Unlock()
		if bar == nil {
			bar = cli.NewProgress(os.Stderr, fmt.Sprintf("products of the %d×%d multiply back from the grid", n, n), matrix.Products, "products")
		}
		bar.Set(int64(done))
	}
	client, err := matrix.NewClient(cfg)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(*f.seed, 7))
	a, b := matrix.RandomDense(rng, n, n), matrix.RandomDense(rng, n, n)
	fmt.Fprintf(w, "multiplying two %d×%d matrices ...\n", n, n)
	cmp, err := matrix.Compare(ctx, client, a, b)
	barMu.Lock()
	if bar != nil {
		bar.Done()
	}
	barMu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted before the product was complete (%v)", ctx.Err())
		}
		return err
	}
	r := cmp.Report
	ms := func(d time.Duration) string { return fmt.Sprintf("%8.1f ms", float64(d.Microseconds())/1000) }
	short := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	if r.Local {
		fmt.Fprintf(w, "computed locally, not on the grid: %s\n", r.Reason)
		fmt.Fprintf(w, "local Strassen %s, gonum Dense.Mul %s\n", short(cmp.Distributed), short(cmp.Gonum))
	} else {
		fmt.Fprintf(w, "  split   %s  pad and cut into quadrant views\n", ms(r.Split))
		fmt.Fprintf(w, "  acquire %s  lease %d: %d peers\n", ms(r.Acquire), r.Lease.ID, len(r.Lease.Peers))
		fmt.Fprintf(w, "  send    %s  14 operands streamed as X±Y\n", ms(r.Send))
		fmt.Fprintf(w, "  compute %s  until the last of M1..M7 came back\n", ms(r.Compute))
		fmt.Fprintf(w, "  combine %s  C11..C22, padding stripped\n", ms(r.Combine))
		if r.Redispatched > 0 || r.LocalRetries > 0 {
			fmt.Fprintf(w, "  %d tasks re-dispatched (%d past their deadline), %d products computed locally; peers dropped: %v\n",
				r.Redispatched, r.TimedOut, r.LocalRetries, r.Dropped)
		}
		fmt.Fprintf(w, "distributed %s, gonum Dense.Mul %s: ratio %.2f×\n", short(cmp.Distributed), short(cmp.Gonum), cmp.Ratio())
	}
	fmt.Fprintf(w, "max |C − gonum| = %.3g (bound 1e-9·n·max|a|·max|b| = %.3g)\n", cmp.MaxAbsDiff, cmp.Bound)
	if cmp.MaxAbsDiff > cmp.Bound {
		return fmt.Errorf("difference %.3g exceeds the bound %.3g", cmp.MaxAbsDiff, cmp.Bound)
	}
	return nil
}

// runOn multiplies two random n×n matrices on RabbitMQ, compares the
// product with local Strassen (it must be equal, bit for bit) and with
// gonum, and prints what crossed the broker.
func runOn(ctx context.Context, w io.Writer, ex *matrix.AMQPExecutor, f runFlags) error {
	n, cutoff := *f.n, *f.cutoff
	rng := rand.New(rand.NewPCG(*f.seed, 7))
	a, b := matrix.RandomDense(rng, n, n), matrix.RandomDense(rng, n, n)
	fmt.Fprintf(w, "multiplying two %d×%d matrices ...\n", n, n)
	t0 := time.Now()
	got, err := matrix.MultiplyOn(ctx, ex, a, b, cutoff)
	took := time.Since(t0)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted before the product was complete (%v)", ctx.Err())
		}
		return err
	}
	s := ex.Stats()
	if s.Tasks == 0 {
		fmt.Fprintf(w, "computed here, not on the queue: n = %d is at most the cutoff %d (nothing to split)\n", n, cutoff)
	} else {
		fmt.Fprintf(w, "  %d products on the queue (%d delivered again after a worker was lost)\n", s.Tasks, s.Redelivered)
		fmt.Fprintf(w, "  %s of operands sent to workers, %s of products back\n", cli.Bytes(uint64(s.BytesSent)), cli.Bytes(uint64(s.BytesBack)))
	}
	local, err := matrix.Strassen(a, b, cutoff)
	if err != nil {
		return err
	}
	want := mat.NewDense(n, n, nil)
	t1 := time.Now()
	want.Mul(a, b)
	gonum := time.Since(t1)
	if s.Tasks > 0 { // a run that did not use the queue prints no ratio
		fmt.Fprintf(w, "on the queue %.1f ms, gonum Dense.Mul %.1f ms: ratio %.2f×\n",
			float64(took.Microseconds())/1000, float64(gonum.Microseconds())/1000, took.Seconds()/gonum.Seconds())
	}
	if !mat.Equal(got, local) {
		return fmt.Errorf("the product differs from local Strassen's by up to %.3g", matrix.MaxAbsDiff(got, local))
	}
	fmt.Fprintf(w, "identical to local Strassen (cutoff %d), bit for bit; max |C − gonum| = %.3g\n", cutoff, matrix.MaxAbsDiff(got, want))
	return nil
}
