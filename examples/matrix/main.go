// Command matrix multiplies matrices with Strassen's algorithm on a grid of
// peers leased from a coordinator (package matrix).
//
//	go run ./examples/matrix -local -n 512                 # everything in one process
//	go run ./examples/matrix coordinator -addr 127.0.0.1:7070
//	go run ./examples/matrix worker -coordinator 127.0.0.1:7070     # start seven of these
//	go run ./examples/matrix multiply -coordinator 127.0.0.1:7070 -n 1024
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"time"

	"github.com/netlab-go/netlab/matrix"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	cmd := ""
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	switch cmd {
	case "coordinator":
		err = coordinator(ctx, os.Args[2:])
	case "worker":
		err = worker(ctx, os.Args[2:])
	case "multiply":
		err = multiply(ctx, os.Args[2:])
	default:
		err = local(ctx, os.Args[1:])
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "matrix:", err)
		os.Exit(1)
	}
}

func verboseLogger(on bool) *slog.Logger {
	if !on {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

func coordinator(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("coordinator", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:7070", "TCP address to listen on")
	ttl := fs.Duration("lease", 30*time.Second, "default lease length")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := matrix.DefaultCoordinatorConfig()
	cfg.Addr = *addr
	cfg.Registry.LeaseTTL = *ttl
	cfg.Logger = verboseLogger(true)
	co, err := matrix.NewCoordinator(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("coordinator listening on %s (Ctrl-C to stop)\n", co.Addr())
	return co.Run(ctx)
}

func worker(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	coord := fs.String("coordinator", "127.0.0.1:7070", "coordinator address")
	addr := fs.String("addr", "127.0.0.1:0", "TCP address to listen on for tasks")
	cutoff := fs.Int("cutoff", matrix.DefaultCutoff, "gonum Mul at or below this size, local Strassen above")
	deeper := fs.Int("distribute-above", 0, "forward blocks at least this large one level deeper (0 = never)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := matrix.DefaultWorkerConfig(*coord)
	cfg.Addr, cfg.Cutoff, cfg.DistributeAbove = *addr, *cutoff, *deeper
	cfg.Logger = verboseLogger(true)
	cfg.OnTask = func(t matrix.TaskInfo) {
		fmt.Printf("task %d from %s: %d×%d by %d×%d (depth %d)\n", t.ID, t.RemoteAddr, t.Rows, t.Inner, t.Inner, t.Cols, t.Depth)
	}
	w, err := matrix.NewWorker(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("worker listening on %s, registering with %s (Ctrl-C to stop)\n", w.Addr(), *coord)
	return w.Run(ctx)
}

func multiply(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("multiply", flag.ContinueOnError)
	coord := fs.String("coordinator", "127.0.0.1:7070", "coordinator address")
	n := fs.Int("n", 1024, "size of the n×n matrices")
	seed := fs.Uint64("seed", 1, "random seed for the matrices")
	wait := fs.Duration("wait", 10*time.Second, "wait this long for seven peers, then compute locally")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return run(ctx, os.Stdout, *coord, *n, *seed, *wait)
}

func local(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: matrix -local [-n N] | coordinator [-addr A] | worker [-coordinator A] | multiply [-coordinator A] [-n N]")
		fs.PrintDefaults()
	}
	isLocal := fs.Bool("local", false, "start a coordinator, the workers and a client in this process")
	n := fs.Int("n", 1024, "size of the n×n matrices")
	workers := fs.Int("workers", matrix.Products, "workers to start with -local")
	seed := fs.Uint64("seed", 1, "random seed for the matrices")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*isLocal {
		fs.Usage()
		return flag.ErrHelp
	}
	return runLocal(ctx, os.Stdout, *n, *workers, *seed)
}

func runLocal(ctx context.Context, w io.Writer, n, workers int, seed uint64) error {
	t0 := time.Now()
	cfg := matrix.DefaultLocalConfig()
	cfg.Workers = workers
	cluster, err := matrix.StartLocal(ctx, cfg)
	if err != nil {
		return err
	}
	defer cluster.Close()
	fmt.Fprintf(w, "coordinator on %s, %d workers registered in %v\n", cluster.Addr(), workers, time.Since(t0).Round(time.Millisecond))
	return run(ctx, w, cluster.Addr(), n, seed, 10*time.Second)
}

func run(ctx context.Context, w io.Writer, coord string, n int, seed uint64, wait time.Duration) error {
	cfg := matrix.DefaultClientConfig(coord)
	cfg.AcquireTimeout = wait
	cfg.OnStatus = func(s matrix.Status) {
		fmt.Fprintf(w, "  waiting: position %d of %d in the queue, %d of %d peers free\n", s.Position, s.Waiting, s.Free, s.Peers)
	}
	client, err := matrix.NewClient(cfg)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	a, b := matrix.RandomDense(rng, n, n), matrix.RandomDense(rng, n, n)
	fmt.Fprintf(w, "multiplying two %d×%d matrices on the grid ...\n", n, n)
	cmp, err := matrix.Compare(ctx, client, a, b)
	if err != nil {
		return err
	}
	r := cmp.Report
	ms := func(d time.Duration) string { return fmt.Sprintf("%8.1f ms", float64(d.Microseconds())/1000) }
	if r.Local {
		fmt.Fprintf(w, "  computed locally: %s\n", r.Reason)
	} else {
		fmt.Fprintf(w, "  split   %s  pad and cut into quadrant views\n", ms(r.Split))
		fmt.Fprintf(w, "  acquire %s  lease %d: %d peers\n", ms(r.Acquire), r.Lease.ID, len(r.Lease.Peers))
		fmt.Fprintf(w, "  send    %s  14 operands streamed as X±Y\n", ms(r.Send))
		fmt.Fprintf(w, "  compute %s  until the last of M1..M7 came back\n", ms(r.Compute))
		fmt.Fprintf(w, "  combine %s  C11..C22, padding stripped\n", ms(r.Combine))
		if r.Redispatched > 0 || r.LocalRetries > 0 {
			fmt.Fprintf(w, "  %d products re-dispatched, %d computed locally after worker failures\n", r.Redispatched, r.LocalRetries)
		}
	}
	fmt.Fprintf(w, "distributed %v, gonum Dense.Mul %v: ratio %.2f×\n",
		cmp.Distributed.Round(time.Millisecond), cmp.Gonum.Round(time.Millisecond), cmp.Ratio())
	fmt.Fprintf(w, "max |C − gonum| = %.3g (bound 1e-9·n·max|a|·max|b| = %.3g)\n", cmp.MaxAbsDiff, cmp.Bound)
	if cmp.MaxAbsDiff > cmp.Bound {
		return fmt.Errorf("difference %.3g exceeds the bound %.3g", cmp.MaxAbsDiff, cmp.Bound)
	}
	return nil
}
