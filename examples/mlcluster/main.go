// Command mlcluster runs a small distributed machine-learning cluster on
// loopback: a coordinator, workers, and a client that submits a dataset.
//
//	go run ./examples/mlcluster gen -rows 20000 -k 4 -out blobs.csv
//	go run ./examples/mlcluster submit -local 3 -data blobs.csv -algo kmeans -k 4 -out labels.csv -plot clusters.png
//
// or with one process per role:
//
//	go run ./examples/mlcluster coordinator -addr 127.0.0.1:7077
//	go run ./examples/mlcluster worker -coordinator 127.0.0.1:7077     (several times)
//	go run ./examples/mlcluster submit -coordinator 127.0.0.1:7077 -data blobs.csv -algo kmeans -k 4
//
// or on RabbitMQ work queues (-amqp-url, default $AMQP_URL), where the
// broker takes the coordinator's place and submit holds the data:
//
//	go run ./examples/mlcluster submit -transport amqp -local 2 -data blobs.csv -algo kmeans -k 4
//	go run ./examples/mlcluster worker -transport amqp                  (several times)
//	go run ./examples/mlcluster submit -transport amqp -shards 4 -data blobs.csv -algo kmeans -k 4
//
// With -job a submit that is stopped (Ctrl-C, a crash) and run again with
// the same name, data and flags resumes the step it was waiting for from
// the broker (the steps before it are mapped again).
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netlab-go/netlab/internal/cli"
	"github.com/netlab-go/netlab/mlcluster"
	"github.com/netlab-go/netlab/mlcluster/chart"
)

const synopsis = `usage: mlcluster gen [-rows N] [-cols C] [-k K] [-out FILE]       generate Gaussian blobs as CSV
       mlcluster submit -data FILE [-algo A] [-transport T] [-local N | -coordinator A]  run a job
       mlcluster coordinator [-addr A]                                 the coordinator
       mlcluster worker [-transport T] [-coordinator A]                one worker`

func main() {
	cli.Dispatch("mlcluster", synopsis, os.Args[1:], map[string]func([]string){
		"coordinator": coordinator,
		"worker":      worker,
		"submit":      submit,
		"gen":         gen,
	}, nil)
}

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func coordinator(args []string) {
	cmd := cli.New("mlcluster coordinator", "usage: mlcluster coordinator [-addr A] [-local-fallback] [-step-timeout D] [-max-conns N]")
	addr := cmd.Flags.String("addr", "127.0.0.1:7077", "address to listen on (port 0 picks one)")
	fallback := cmd.Flags.Bool("local-fallback", false, "run jobs in this process when no worker is connected (results say so)")
	stepTimeout := cmd.Flags.Duration("step-timeout", mlcluster.DefaultStepTimeout, "floor of each step's deadline; above it the deadline grows with the step's size and the worker's measured speed")
	maxConns := cmd.Flags.Int("max-conns", mlcluster.DefaultMaxConns, "connections served at once")
	cmd.Parse(args)
	cmd.NoArgs()
	cmd.Check(cli.Addr("addr", *addr),
		cli.DurationRange("step-timeout", *stepTimeout, time.Millisecond, time.Hour),
		cli.IntRange("max-conns", *maxConns, 1, 1<<20))
	cfg := mlcluster.DefaultConfig()
	cfg.Addr, cfg.LocalFallback, cfg.StepTimeout, cfg.MaxConns, cfg.Logger = *addr, *fallback, *stepTimeout, *maxConns, logger()
	co, err := mlcluster.New(cfg)
	cmd.Fail(err)
	ctx, stop := cmd.Context()
	defer stop()
	fmt.Printf("coordinator listening on %s; start workers with: mlcluster worker -coordinator %s\n", co.Addr(), co.Addr())
	err = co.Run(ctx)
	fmt.Printf("coordinator stopped (%d workers were connected)\n", co.Workers())
	cmd.Fail(err)
}

func worker(args []string) {
	cmd := cli.New("mlcluster worker", "usage: mlcluster worker [-transport tcp|amqp] [-amqp-url U] [-coordinator A] [-name NAME]")
	tr := cli.AddTransport(cmd.Flags)
	addr := cmd.Flags.String("coordinator", "127.0.0.1:7077", "coordinator address")
	name := cmd.Flags.String("name", "", "worker name (default host:pid)")
	cmd.Parse(args)
	cmd.NoArgs()
	cmd.Check(cli.Addr("coordinator", *addr), tr.Check("coordinator", "name"))
	if tr.AMQP() {
		cmd.Fail(amqpWorker(cmd, tr.AMQPURL))
		return
	}
	cfg := mlcluster.DefaultWorkerConfig()
	cfg.Coordinator, cfg.Logger = *addr, logger()
	if *name != "" {
		cfg.Name = *name
	}
	w, err := mlcluster.NewWorker(cfg)
	cmd.Fail(err)
	ctx, stop := cmd.Context()
	defer stop()
	err = w.Run(ctx)
	fmt.Printf("worker stopped: %d steps answered, %s of shard data received\n", w.Steps(), cli.Bytes(uint64(w.ReceivedBytes())))
	cmd.Fail(err)
}

// amqpWorker runs one worker on the RabbitMQ task queue until interrupted.
func amqpWorker(cmd *cli.Command, url string) error {
	w, err := mlcluster.NewAMQPWorker(mlcluster.AMQPConfig{URL: url, Logger: logger()})
	if err != nil {
		return err
	}
	ctx, stop := cmd.Context()
	defer stop()
	fmt.Printf("worker %s consuming %s on %s (Ctrl-C to stop)\n", w.Name(), mlcluster.DefaultAMQPQueue, cli.RedactURL(url))
	err = w.Run(ctx)
	fmt.Printf("worker stopped: %d map tasks answered\n", w.Steps())
	return err
}

// genFlags are gen's flags.
type genFlags struct {
	rows, cols, k, decimals int
	spread                  float64
	seed                    uint64
	out                     string
}

func gen(args []string) {
	cmd := cli.New("mlcluster gen", "usage: mlcluster gen [-rows N] [-cols C] [-k K] [-spread S] [-decimals D] [-seed S] [-out FILE]")
	var f genFlags
	cmd.Flags.Bool("blobs", true, "Gaussian blobs (the only kind so far)")
	cmd.Flags.IntVar(&f.rows, "rows", 10000, "rows")
	cmd.Flags.IntVar(&f.cols, "cols", 2, "columns")
	cmd.Flags.IntVar(&f.k, "k", 4, "blobs")
	cmd.Flags.Float64Var(&f.spread, "spread", 1, "standard deviation of each blob")
	cmd.Flags.Uint64Var(&f.seed, "seed", 1, "random seed")
	cmd.Flags.IntVar(&f.decimals, "decimals", 6, "decimals per value (-1: exact)")
	cmd.Flags.StringVar(&f.out, "out", "", "output file, .csv or .txt (default standard output)")
	cmd.Parse(args)
	cmd.NoArgs()
	cmd.Check(cli.IntRange("rows", f.rows, 1, 1<<31-1),
		cli.IntRange("cols", f.cols, 1, 1<<16),
		cli.IntRange("k", f.k, 1, f.rows),
		cli.FloatRange("spread", f.spread, 1e-300, 1e300),
		cli.IntRange("decimals", f.decimals, -1, 17))
	cmd.Check(cli.Memory("rows", 16*uint64(f.rows)*uint64(f.cols), fmt.Sprintf("%d rows of %d columns", f.rows, f.cols)))
	if f.out != "" {
		cmd.Check(cli.OutFile("out", f.out, ".csv", ".txt"))
	}
	cmd.Fail(writeBlobs(f))
}

// writeBlobs generates the blobs and writes them as CSV to f.out or
// standard output.
func writeBlobs(f genFlags) error {
	ds, _, err := mlcluster.Blobs(mlcluster.BlobsConfig{Rows: f.rows, Cols: f.cols, Centers: f.k, Spread: f.spread},
		rand.New(rand.NewPCG(f.seed, f.seed)))
	if err != nil {
		return err
	}
	for j := 0; j < ds.Cols; j++ {
		ds.Header = append(ds.Header, fmt.Sprintf("x%d", j+1))
	}
	w := os.Stdout
	if f.out != "" {
		if w, err = os.Create(f.out); err != nil {
			return err
		}
	}
	err = mlcluster.WriteCSVDecimals(w, ds, f.decimals)
	if f.out != "" {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	if f.out != "" {
		fmt.Fprintf(os.Stderr, "wrote %d rows x %d columns (%d blobs) to %s\n", ds.Rows, ds.Cols, f.k, f.out)
	}
	return nil
}

// submitFlags are submit's flags.
type submitFlags struct {
	coordinator, data, algo, out, plot, header, params string
	k, local, maxIter, components, shards              int
	seed                                               int64
	stepTimeout                                        time.Duration
	tr                                                 *cli.Transport
}

// algorithms are the jobs submit knows how to ask for and print.
var algorithms = []string{"kmeans", "pca", "linreg", "stats"}

func submit(args []string) {
	cmd := cli.New("mlcluster submit", "usage: mlcluster submit -data FILE [-algo A] [-transport tcp|amqp] [-job NAME] [-local N | -coordinator A] [-out FILE] [-plot FILE]")
	var f submitFlags
	fs := cmd.Flags
	fs.StringVar(&f.coordinator, "coordinator", "127.0.0.1:7077", "coordinator address")
	fs.StringVar(&f.data, "data", "", "dataset file: CSV or whitespace-separated numbers (required)")
	fs.StringVar(&f.algo, "algo", "kmeans", "algorithm: "+strings.Join(algorithms, ", "))
	fs.IntVar(&f.k, "k", 3, "kmeans: clusters")
	fs.IntVar(&f.maxIter, "max-iter", 100, "kmeans: iteration limit")
	fs.Int64Var(&f.seed, "seed", 1, "kmeans: k-means++ seed")
	fs.IntVar(&f.components, "components", 2, "pca: components")
	fs.StringVar(&f.header, "header", "auto", "first line is a header: auto, yes, no")
	fs.StringVar(&f.params, "params", "", "extra parameters, name=value,name=value")
	fs.StringVar(&f.out, "out", "", "write per-row output here as .csv (kmeans: labels, pca: projections)")
	fs.StringVar(&f.plot, "plot", "", "kmeans: write a scatter plot coloured by cluster here (.png or .svg)")
	fs.IntVar(&f.local, "local", 0, "start a coordinator and this many workers in this process")
	fs.DurationVar(&f.stepTimeout, "step-timeout", mlcluster.DefaultStepTimeout, "tcp, with -local: floor of each step's deadline")
	fs.IntVar(&f.shards, "shards", 0, "amqp: shards the data is split into (default: -local's workers, else 4)")
	f.tr = cli.AddTransport(fs)
	f.tr.AddJob()
	cmd.Parse(args)
	cmd.NoArgs()
	_, paramErr := f.paramsFor()
	cmd.Check(cli.NonEmpty("data", f.data), cli.InFile("data", f.data),
		cli.OneOf("algo", f.algo, algorithms...),
		cli.IntRange("k", f.k, 1, 1<<20),
		cli.IntRange("max-iter", f.maxIter, 1, 100000),
		cli.IntRange("components", f.components, 1, 1<<16),
		cli.OneOf("header", f.header, "auto", "yes", "no"),
		cli.IntRange("local", f.local, 0, 256),
		cli.DurationRange("step-timeout", f.stepTimeout, time.Millisecond, time.Hour),
		cli.IntRange("shards", f.shards, 0, 4096),
		f.tr.Check("coordinator", "step-timeout"),
		paramErr)
	if f.shards > 0 && !f.tr.AMQP() {
		cmd.Check(errors.New("flag -shards: only with -transport amqp (the TCP grid gives each worker a shard)"))
	}
	if f.tr.Job != "" && f.local > 0 {
		cmd.Check(errors.New("flag -job: not with -local (its queue is its own and deleted at exit: nothing could resume it)"))
	}
	if f.local == 0 && !f.tr.AMQP() {
		cmd.Check(cli.Addr("coordinator", f.coordinator))
	}
	if f.out != "" {
		if f.algo != "kmeans" && f.algo != "pca" {
			cmd.Check(fmt.Errorf("flag -out: %s has no per-row output; -out works with kmeans and pca", f.algo))
		}
		cmd.Check(cli.OutFile("out", f.out, ".csv"))
	}
	if f.plot != "" {
		if f.algo != "kmeans" {
			cmd.Check(fmt.Errorf("flag -plot: draws k-means clusters; %s has none", f.algo))
		}
		cmd.Check(cli.OutFile("plot", f.plot, ".png", ".svg"))
	}
	if st, err := os.Stat(f.data); err == nil {
		// The coordinator holds the data as float64 (about as large as the
		// text), -local workers hold it again, and -plot reads it once more.
		cmd.Check(cli.Memory("data", 3*uint64(st.Size()), "the dataset "+f.data))
	}
	ctx, stop := cmd.Context()
	defer stop()
	cmd.Fail(runSubmit(ctx, f))
}

func (f *submitFlags) paramsFor() (mlcluster.Params, error) {
	p := mlcluster.Params{"header": f.header}
	switch f.algo {
	case "kmeans":
		p["k"], p["max_iter"], p["seed"] = strconv.Itoa(f.k), strconv.Itoa(f.maxIter), strconv.FormatInt(f.seed, 10)
	case "pca":
		p["components"] = strconv.Itoa(f.components)
	}
	for _, kv := range strings.Split(f.params, ",") {
		if kv == "" {
			continue
		}
		name, value, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("flag -params: value %q: want name=value", kv)
		}
		p[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	return p, nil
}

// runSubmit runs the job, prints the result and writes the outputs.
func runSubmit(ctx context.Context, f submitFlags) error {
	params, err := f.paramsFor()
	if err != nil {
		return err
	}
	var run jobRunner
	start := f.onGrid
	if f.tr.AMQP() {
		start = f.onQueue
	}
	stop, err := start(ctx, &run)
	if err != nil {
		return err
	}
	defer stop()
	bar := &progress{}
	t0 := time.Now()
	res, err := run(ctx, f.algo, params, bar.show)
	bar.done()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted after %s: the job was cancelled", bar.summary())
		}
		return err
	}
	where := fmt.Sprintf("on %d workers (%d shards)", res.Workers, res.Shards)
	switch {
	case f.tr.AMQP():
		where = fmt.Sprintf("on the workers of a RabbitMQ queue (%d shards)", res.Shards)
	case res.Workers == 0:
		where = "in the coordinator's own process: no worker was connected (-local-fallback)"
	}
	fmt.Printf("%s on %d rows x %d columns in %v, %s\n", res.Algorithm, res.Rows, res.Cols, time.Since(t0).Round(time.Millisecond), where)
	printResult(res)
	if f.out != "" {
		if err := writeRows(f.out, res); err != nil {
			return err
		}
	}
	if f.plot != "" {
		return f.drawPlot(ctx, res, run)
	}
	return nil
}

// jobRunner runs one job on the dataset of -data, on the grid or the queue.
type jobRunner func(ctx context.Context, algo string, params mlcluster.Params, progress func(mlcluster.Progress)) (*mlcluster.Result, error)

// onGrid sets run to submit the file to the TCP coordinator (started here
// with -local); stop closes what it started.
func (f *submitFlags) onGrid(ctx context.Context, run *jobRunner) (stop func() error, err error) {
	stop = func() error { return nil }
	if f.local > 0 {
		cfg := mlcluster.DefaultConfig()
		cfg.StepTimeout = f.stepTimeout
		lc, err := mlcluster.StartLocalCluster(ctx, cfg, f.local)
		if err != nil {
			return nil, err
		}
		stop = lc.Close
		fmt.Printf("started a coordinator on %s and %d workers in this process\n", lc.Addr(), f.local)
		f.coordinator = lc.Addr()
	}
	*run = func(ctx context.Context, algo string, params mlcluster.Params, progress func(mlcluster.Progress)) (*mlcluster.Result, error) {
		client, err := mlcluster.NewClient(mlcluster.ClientConfig{Coordinator: f.coordinator, Progress: progress})
		if err != nil {
			return nil, err
		}
		file, err := os.Open(f.data)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		return client.Submit(ctx, file, algo, params)
	}
	return stop, nil
}

// onQueue reads the dataset here and sets run to run jobs on RabbitMQ
// (with -local, on workers started in this process); stop closes what it
// started.
func (f *submitFlags) onQueue(ctx context.Context, run *jobRunner) (stop func() error, err error) {
	ds, err := f.dataset()
	if err != nil {
		return nil, err
	}
	cfg := mlcluster.AMQPConfig{URL: f.tr.AMQPURL, Job: f.tr.Job}
	var ex *mlcluster.AMQPExecutor
	shards := f.shards
	if f.local > 0 {
		l, err := mlcluster.StartLocalAMQP(ctx, cfg, f.local)
		if err != nil {
			return nil, err
		}
		fmt.Printf("started %d workers on a queue of their own on %s\n", f.local, cli.RedactURL(f.tr.AMQPURL))
		ex, stop = l.Executor, l.Close
		shards = cmp.Or(shards, f.local)
	} else {
		if ex, err = mlcluster.DialAMQP(ctx, cfg); err != nil {
			return nil, err
		}
		stop = ex.Close
		shards = cmp.Or(shards, 4)
	}
	*run = func(ctx context.Context, algo string, params mlcluster.Params, progress func(mlcluster.Progress)) (*mlcluster.Result, error) {
		return mlcluster.RunOn(ctx, ex, ds, algo, params, mlcluster.LocalOptions{Shards: shards, Progress: progress})
	}
	return stop, nil
}

// dataset parses -data.
func (f *submitFlags) dataset() (*mlcluster.Dataset, error) {
	file, err := os.Open(f.data)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	mode, err := mlcluster.ParseHeaderMode(f.header)
	if err != nil {
		return nil, err
	}
	return mlcluster.Parse(file, mlcluster.ParseOptions{Name: f.data, Header: mode})
}

// progress shows a job's steps through cli.Progress: k-means iterations
// against the iteration limit, other algorithms' steps as they come.
type progress struct {
	mu   sync.Mutex
	bar  *cli.Progress
	last mlcluster.Progress
	n    int64
}

func (p *progress) show(r mlcluster.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		if r.MaxIter > 0 {
			p.bar = cli.NewProgress(os.Stderr, "iterations", int64(r.MaxIter), "iterations")
		} else {
			p.bar = cli.NewProgress(os.Stderr, "steps", 0, "steps")
		}
	}
	p.last, p.n = r, p.n+1
	if r.MaxIter > 0 {
		p.bar.Set(int64(r.Iteration))
	} else {
		p.bar.Set(p.n)
	}
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Done()
	}
}

func (p *progress) summary() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last.MaxIter > 0 {
		return fmt.Sprintf("%d of at most %d iterations (objective %.6g)", p.last.Iteration, p.last.MaxIter, p.last.Objective)
	}
	return fmt.Sprintf("%d steps", p.n)
}

func printResult(res *mlcluster.Result) {
	switch res.Algorithm {
	case "kmeans":
		fmt.Printf("converged after %d iterations, inertia %.6g\n", res.Iterations, res.Value("inertia"))
		cents, counts := res.Table("centroids"), res.Table("counts")
		for c := 0; c < cents.Rows; c++ {
			fmt.Printf("  cluster %d: %6.0f rows, centroid %s\n", c, counts.Data[c], fmtRow(cents.Row(c)))
		}
	case "pca":
		comps, ratio := res.Table("components"), res.Table("explained_ratio")
		for c := 0; c < comps.Rows; c++ {
			fmt.Printf("  PC%d explains %5.1f%%: %s\n", c+1, 100*ratio.Data[c], fmtRow(comps.Row(c)))
		}
	case "linreg":
		fmt.Printf("  coefficients (intercept first): %s\n  R² = %.6f\n", fmtRow(res.Table("coefficients").Data), res.Value("r2"))
	default:
		for _, name := range res.TableNames() {
			if t := res.Table(name); t.Rows == 1 {
				fmt.Printf("  %-9s %s\n", name, fmtRow(t.Data))
			}
		}
	}
}

func fmtRow(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'g', 5, 64)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// writeRows writes the per-row table of a result: labels or projections.
func writeRows(path string, res *mlcluster.Result) error {
	name := map[string]string{"kmeans": "labels", "pca": "projected"}[res.Algorithm]
	if name == "" {
		return fmt.Errorf("%s has no per-row output", res.Algorithm)
	}
	t := res.Table(name)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = mlcluster.WriteCSV(f, &mlcluster.Dataset{Rows: t.Rows, Cols: t.Cols, Data: t.Data})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d %s to %s\n", t.Rows, name, path)
	return nil
}

// drawPlot plots the clusters; data with more than two columns is shown on
// its first two principal components, computed by a pca job with run.
func (f *submitFlags) drawPlot(ctx context.Context, km *mlcluster.Result, run jobRunner) error {
	ds, err := f.dataset()
	if err != nil {
		return err
	}
	var pca *mlcluster.Result
	if ds.Cols > 2 {
		fmt.Println("projecting on the first two principal components (a pca job) for the plot")
		pca, err = run(ctx, "pca", mlcluster.Params{"components": "2", "header": f.header}, nil)
		if err != nil {
			return err
		}
	}
	if err := chart.Clusters(f.plot, ds, km, pca); err != nil {
		return err
	}
	fmt.Printf("wrote the cluster plot to %s\n", f.plot)
	return nil
}
