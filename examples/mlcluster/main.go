// Command mlcluster runs a small distributed machine-learning cluster on
// loopback: a coordinator, workers, and a client that submits a dataset.
//
//	go run ./examples/mlcluster gen -blobs -rows 20000 -k 4 -out blobs.csv
//	go run ./examples/mlcluster submit -local 3 -data blobs.csv -algo kmeans -k 4 -out labels.csv -plot clusters.png
//
// or with one process per role:
//
//	go run ./examples/mlcluster coordinator -addr 127.0.0.1:7077
//	go run ./examples/mlcluster worker -coordinator 127.0.0.1:7077     (several times)
//	go run ./examples/mlcluster submit -coordinator 127.0.0.1:7077 -data blobs.csv -algo kmeans -k 4
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/netlab-go/netlab/mlcluster"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch os.Args[1] {
	case "coordinator":
		err = coordinator(ctx, os.Args[2:])
	case "worker":
		err = worker(ctx, os.Args[2:])
	case "submit":
		err = submit(ctx, os.Args[2:])
	case "gen":
		err = gen(os.Args[2:])
	default:
		usage()
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: mlcluster coordinator|worker|submit|gen [flags]   (-h after a subcommand lists its flags)`)
	os.Exit(2)
}

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func coordinator(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("coordinator", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:7077", "address to listen on")
	local := fs.Bool("local-fallback", false, "run jobs in this process when no worker is connected")
	fs.Parse(args)
	cfg := mlcluster.DefaultConfig()
	cfg.Addr, cfg.LocalFallback, cfg.Logger = *addr, *local, logger()
	co, err := mlcluster.New(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("coordinator listening on %s; start workers with: mlcluster worker -coordinator %s\n", co.Addr(), co.Addr())
	return co.Run(ctx)
}

func worker(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("worker", flag.ExitOnError)
	addr := fs.String("coordinator", "127.0.0.1:7077", "coordinator address")
	name := fs.String("name", "", "worker name (default host:pid)")
	fs.Parse(args)
	cfg := mlcluster.DefaultWorkerConfig()
	cfg.Coordinator, cfg.Logger = *addr, logger()
	if *name != "" {
		cfg.Name = *name
	}
	w, err := mlcluster.NewWorker(cfg)
	if err != nil {
		return err
	}
	return w.Run(ctx)
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	fs.Bool("blobs", true, "Gaussian blobs (the only kind so far)")
	rows := fs.Int("rows", 10000, "rows")
	cols := fs.Int("cols", 2, "columns")
	k := fs.Int("k", 4, "blobs")
	spread := fs.Float64("spread", 1, "standard deviation of each blob")
	seed := fs.Uint64("seed", 1, "random seed")
	decimals := fs.Int("decimals", 6, "decimals per value (-1: exact)")
	out := fs.String("out", "", "output file (default standard output)")
	fs.Parse(args)
	ds, _, err := mlcluster.Blobs(mlcluster.BlobsConfig{Rows: *rows, Cols: *cols, Centers: *k, Spread: *spread},
		rand.New(rand.NewPCG(*seed, *seed)))
	if err != nil {
		return err
	}
	for j := 0; j < ds.Cols; j++ {
		ds.Header = append(ds.Header, fmt.Sprintf("x%d", j+1))
	}
	w := os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := mlcluster.WriteCSVDecimals(w, ds, *decimals); err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(os.Stderr, "wrote %d rows x %d columns (%d blobs) to %s\n", ds.Rows, ds.Cols, *k, *out)
	}
	return nil
}

type submitFlags struct {
	coordinator, data, algo, out, plot, header, params string
	k, local, maxIter, components                      int
	seed                                               int64
}

func submit(ctx context.Context, args []string) error {
	var f submitFlags
	fs := flag.NewFlagSet("submit", flag.ExitOnError)
	fs.StringVar(&f.coordinator, "coordinator", "127.0.0.1:7077", "coordinator address")
	fs.StringVar(&f.data, "data", "", "dataset file: CSV or whitespace-separated numbers (required)")
	fs.StringVar(&f.algo, "algo", "kmeans", "algorithm: kmeans, pca, linreg, stats")
	fs.IntVar(&f.k, "k", 3, "kmeans: clusters")
	fs.IntVar(&f.maxIter, "max-iter", 100, "kmeans: iteration limit")
	fs.Int64Var(&f.seed, "seed", 1, "kmeans: k-means++ seed")
	fs.IntVar(&f.components, "components", 2, "pca: components")
	fs.StringVar(&f.header, "header", "auto", "first line is a header: auto, yes, no")
	fs.StringVar(&f.params, "params", "", "extra parameters, name=value,name=value")
	fs.StringVar(&f.out, "out", "", "write per-row output here (kmeans: labels, pca: projections)")
	fs.StringVar(&f.plot, "plot", "", "kmeans: write a scatter plot coloured by cluster here (.png or .svg)")
	fs.IntVar(&f.local, "local", 0, "start a coordinator and this many workers in this process")
	fs.Parse(args)
	if f.data == "" {
		return fmt.Errorf("submit: -data FILE is required")
	}
	params, err := f.paramsFor(f.algo)
	if err != nil {
		return err
	}
	if f.local > 0 {
		addr, stop, err := startLocal(ctx, f.local)
		if err != nil {
			return err
		}
		defer stop()
		f.coordinator = addr
	}

	bar := &progressBar{}
	client, err := mlcluster.NewClient(mlcluster.ClientConfig{Coordinator: f.coordinator, Progress: bar.show})
	if err != nil {
		return err
	}
	file, err := os.Open(f.data)
	if err != nil {
		return err
	}
	defer file.Close()
	start := time.Now()
	res, err := client.Submit(ctx, file, f.algo, params)
	bar.done()
	if err != nil {
		return err
	}
	fmt.Printf("%s on %d rows x %d columns in %v\n", res.Algorithm, res.Rows, res.Cols, time.Since(start).Round(time.Millisecond))
	printResult(res)
	if f.out != "" {
		if err := writeRows(f.out, res); err != nil {
			return err
		}
	}
	if f.plot != "" {
		if res.Algorithm != "kmeans" {
			return fmt.Errorf("submit: -plot draws k-means clusters; %s has none", res.Algorithm)
		}
		return f.drawPlot(ctx, res)
	}
	return nil
}

func (f *submitFlags) paramsFor(algo string) (mlcluster.Params, error) {
	p := mlcluster.Params{"header": f.header}
	switch algo {
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
		if !ok {
			return nil, fmt.Errorf("submit: -params %q: want name=value", kv)
		}
		p[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	return p, nil
}

// startLocal starts a coordinator and n workers in this process.
func startLocal(ctx context.Context, n int) (string, func(), error) {
	ctx, cancel := context.WithCancel(ctx)
	co, err := mlcluster.New(mlcluster.DefaultConfig())
	if err != nil {
		cancel()
		return "", nil, err
	}
	done := make(chan struct{}, n+1)
	go func() { co.Run(ctx); done <- struct{}{} }()
	for i := range n {
		cfg := mlcluster.DefaultWorkerConfig()
		cfg.Coordinator, cfg.Name = co.Addr(), fmt.Sprintf("local-%d", i+1)
		w, err := mlcluster.NewWorker(cfg)
		if err != nil {
			cancel()
			return "", nil, err
		}
		go func() { w.Run(ctx); done <- struct{}{} }()
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := co.WaitWorkers(wctx, n); err != nil {
		cancel()
		return "", nil, err
	}
	fmt.Printf("started a coordinator on %s and %d workers in this process\n", co.Addr(), n)
	return co.Addr(), func() {
		cancel()
		for range n + 1 {
			<-done
		}
	}, nil
}

// progressBar draws iterations as they are reported.
type progressBar struct{ drawn bool }

func (b *progressBar) show(p mlcluster.Progress) {
	if p.MaxIter == 0 {
		fmt.Fprintf(os.Stderr, "\r%-60s", "step "+p.Step)
		b.drawn = true
		return
	}
	const width = 30
	filled := min(width, p.Iteration*width/p.MaxIter)
	if p.Step == "label" { // converged: the bar is complete
		filled = width
	}
	obj := ""
	if p.Iteration > 0 {
		obj = fmt.Sprintf("objective %.6g", p.Objective)
	}
	fmt.Fprintf(os.Stderr, "\r[%s%s] %-6s iteration %d/%d %s   ", strings.Repeat("#", filled),
		strings.Repeat(".", width-filled), p.Step, p.Iteration, p.MaxIter, obj)
	b.drawn = true
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintln(os.Stderr)
	}
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
		return fmt.Errorf("submit: -out: %s has no per-row output", res.Algorithm)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	t := res.Table(name)
	for i := 0; i < t.Rows; i++ {
		for j, v := range t.Row(i) {
			if j > 0 {
				w.WriteByte(',')
			}
			w.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Printf("wrote %d %s to %s\n", t.Rows, name, path)
	return nil
}

// drawPlot plots the clusters; data with more than two columns is shown on
// its first two principal components, computed by a pca job on the cluster.
func (f *submitFlags) drawPlot(ctx context.Context, km *mlcluster.Result) error {
	file, err := os.Open(f.data)
	if err != nil {
		return err
	}
	mode, _ := mlcluster.ParseHeaderMode(f.header)
	ds, err := mlcluster.Parse(file, mlcluster.ParseOptions{Name: f.data, Header: mode})
	file.Close()
	if err != nil {
		return err
	}
	var pca *mlcluster.Result
	if ds.Cols > 2 {
		file, err := os.Open(f.data)
		if err != nil {
			return err
		}
		quiet, err := mlcluster.NewClient(mlcluster.ClientConfig{Coordinator: f.coordinator})
		if err != nil {
			return err
		}
		fmt.Println("projecting on the first two principal components (a pca job) for the plot")
		pca, err = quiet.Submit(ctx, file, "pca", mlcluster.Params{"components": "2", "header": f.header})
		file.Close()
		if err != nil {
			return err
		}
	}
	if err := mlcluster.PlotClusters(f.plot, ds, km, pca); err != nil {
		return err
	}
	fmt.Printf("wrote the cluster plot to %s\n", f.plot)
	return nil
}
