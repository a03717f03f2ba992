package mlcluster_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/netlab-go/netlab/mlcluster"
)

// A local job: the same shards, map and merge as on a cluster, in one
// process.
func ExampleRunLocal() {
	ds, _ := mlcluster.Parse(strings.NewReader(`x,y
0,0
0,1
1,0
10,10
10,11
11,10
`), mlcluster.ParseOptions{Name: "points.csv"})

	res, err := mlcluster.RunLocal(context.Background(), ds, "kmeans",
		mlcluster.Params{"k": "2", "seed": "7"}, mlcluster.LocalOptions{Shards: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	cents := res.Table("centroids")
	for c := 0; c < cents.Rows; c++ {
		fmt.Printf("centroid %d: %.3f\n", c, cents.Row(c))
	}
	fmt.Println("labels:", res.Labels())
	fmt.Printf("inertia: %.3f after %d iterations\n", res.Value("inertia"), res.Iterations)
	// Output:
	// centroid 0: [0.333 0.333]
	// centroid 1: [10.333 10.333]
	// labels: [0 0 0 1 1 1]
	// inertia: 2.667 after 2 iterations
}

// Summary statistics from mergeable moments.
func ExampleRunLocal_stats() {
	ds, _ := mlcluster.Parse(strings.NewReader("1 10\n2 20\n3 30\n4 40\n"), mlcluster.ParseOptions{})
	res, _ := mlcluster.RunLocal(context.Background(), ds, "stats", nil, mlcluster.LocalOptions{Shards: 2})
	for _, name := range []string{"count", "mean", "variance", "min", "max"} {
		fmt.Printf("%-8s %v\n", name, res.Table(name).Data)
	}
	// Output:
	// count    [4 4]
	// mean     [2.5 25]
	// variance [1.6666666666666667 166.66666666666666]
	// min      [1 10]
	// max      [4 40]
}

// Bad input names the file, the line and the column.
func ExampleParse_error() {
	_, err := mlcluster.Parse(strings.NewReader("a,b\n1,2\n3,x1\n"), mlcluster.ParseOptions{Name: "data.csv"})
	fmt.Println(err)
	// Output:
	// mlcluster: data.csv line 3: column 2: "x1" is not a number
}

// A coordinator and two workers on loopback, and a client that submits a
// CSV text and watches the iterations.
func ExampleClient_Submit() {
	ctx, stop := context.WithCancel(context.Background())
	co, _ := mlcluster.New(mlcluster.DefaultConfig()) // 127.0.0.1, a free port
	done := make(chan error, 3)
	go func() { done <- co.Run(ctx) }()
	for range 2 {
		w, _ := mlcluster.NewWorker(mlcluster.WorkerConfig{Coordinator: co.Addr()})
		go func() { done <- w.Run(ctx) }()
	}
	_ = co.WaitWorkers(ctx, 2)

	iterations := 0
	client, _ := mlcluster.NewClient(mlcluster.ClientConfig{
		Coordinator: co.Addr(),
		Progress: func(p mlcluster.Progress) {
			if p.Step == "assign" {
				iterations = p.Iteration
			}
		},
	})
	data := "1,1\n1.5,2\n3,4\n5,7\n3.5,5\n4.5,5\n3.5,4.5\n"
	res, err := client.Submit(ctx, strings.NewReader(data), "kmeans",
		mlcluster.Params{"k": "2", "centroids": "1,1;5,7"})
	if err != nil {
		fmt.Println(err)
	} else {
		fmt.Println("labels:", res.Labels())
		fmt.Printf("centroids: %.2f\n", res.Table("centroids").RowSlices())
		fmt.Println("iterations reported:", iterations)
	}
	stop()
	for range 3 {
		<-done
	}
	// Output:
	// labels: [0 0 1 1 1 1 1]
	// centroids: [[1.25 1.50] [3.90 5.10]]
	// iterations reported: 3
}

// colSum is a one-step algorithm: the sum of every column. Map sums a
// shard; Merge adds the shards' sums.
type colSum struct{}

func (colSum) Name() string { return "colsum" }

func (colSum) Plan(shape mlcluster.Shape, params mlcluster.Params) (mlcluster.Plan, error) {
	return &colSumPlan{cols: shape.Cols}, nil
}

func (colSum) Map(step mlcluster.Step, s *mlcluster.Shard) (mlcluster.Partial, error) {
	sums := make([]float64, s.Cols)
	for i := 0; i < s.Rows; i++ {
		for j, v := range s.Row(i) {
			sums[j] += v
		}
	}
	return mlcluster.Partial{Sums: sums}, nil
}

type colSumPlan struct {
	cols int
	sums []float64
}

func (p *colSumPlan) Next() (mlcluster.Step, bool) {
	return mlcluster.Step{Kind: "sum"}, p.sums != nil
}

func (p *colSumPlan) Merge(parts []mlcluster.Partial) error {
	p.sums = make([]float64, p.cols)
	for _, part := range parts {
		for j, v := range part.Sums {
			p.sums[j] += v
		}
	}
	return nil
}

func (p *colSumPlan) Progress() mlcluster.Progress { return mlcluster.Progress{Step: "sum"} }

func (p *colSumPlan) Result() (*mlcluster.Result, error) {
	return &mlcluster.Result{Algorithm: "colsum", Tables: map[string]mlcluster.Matrix{
		"sums": {Rows: 1, Cols: p.cols, Data: p.sums}}}, nil
}

// A new algorithm plugs in through a Registry (give the same registry to the
// coordinator's Config and every worker's WorkerConfig on a cluster).
func ExampleNewRegistry() {
	reg := mlcluster.NewRegistry(colSum{})
	ds, _ := mlcluster.NewDataset("d", [][]float64{{1, 2}, {3, 4}, {5, 6}})
	res, err := mlcluster.RunLocal(context.Background(), ds, "colsum", nil,
		mlcluster.LocalOptions{Shards: 2, Algorithms: reg})
	fmt.Println(res.Table("sums").Data, err)
	_, err = mlcluster.RunLocal(context.Background(), ds, "kmeans", nil, mlcluster.LocalOptions{Algorithms: reg})
	fmt.Println(err)
	// Output:
	// [9 12] <nil>
	// mlcluster: unknown algorithm "kmeans" (known: colsum)
}

// Why the course version's answer is wrong: clustering each shard on its own
// and averaging the centroids is not k-means of the data. The distributed
// Lloyd of RunLocal sums per-cluster statistics over shards instead.
func ExampleRunLocal_perShardClusteringIsWrong() {
	shardA := [][]float64{{0, 0}, {0, 1}, {1, 0}, {1, 1}}
	shardB := [][]float64{{10, 10}, {10, 11}, {11, 10}, {11, 11}}
	all, _ := mlcluster.NewDataset("all", append(append([][]float64{}, shardA...), shardB...))

	// The course version: k-means on each shard, then average centroid i.
	a, _ := mlcluster.NewDataset("a", shardA)
	b, _ := mlcluster.NewDataset("b", shardB)
	ra := mlcluster.Lloyd(a, []float64{0, 0, 0, 1}, 100, 0)
	rb := mlcluster.Lloyd(b, []float64{10, 10, 10, 11}, 100, 0)
	naive := make([]float64, 4)
	for i := range naive {
		naive[i] = (ra.Centroids[i] + rb.Centroids[i]) / 2
	}
	fmt.Printf("averaged per-shard centroids %v: inertia %.1f\n", naive, mlcluster.Lloyd(all, naive, 0, 0).Inertia)

	// Exact distributed Lloyd on the same two shards.
	res, _ := mlcluster.RunLocal(context.Background(), all, "kmeans",
		mlcluster.Params{"k": "2", "seed": "1"}, mlcluster.LocalOptions{Shards: 2})
	fmt.Printf("distributed Lloyd centroids %v: inertia %.1f\n", res.Table("centroids").Data, res.Value("inertia"))
	// Output:
	// averaged per-shard centroids [5.5 5 5.5 6]: inertia 366.0
	// distributed Lloyd centroids [0.5 0.5 10.5 10.5]: inertia 4.0
}
