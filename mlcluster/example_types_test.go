package mlcluster_test

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/netlab-go/netlab/mlcluster"
)

// ExampleDataset builds a [mlcluster.Dataset] from rows with
// [mlcluster.NewDataset]: the table is held row-major in one slice, Row
// returns a row without copying, and Shape is what an algorithm checks its
// parameters against before any data moves. Ragged rows are refused.
func ExampleDataset() {
	ds, err := mlcluster.NewDataset("points", [][]float64{{1, 10}, {2, 20}, {3, 30}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("shape:", ds.Shape(), "data:", ds.Data)
	fmt.Println("row 1:", ds.Row(1))

	_, err = mlcluster.NewDataset("ragged", [][]float64{{1, 2}, {3}})
	fmt.Println("ragged refused:", err != nil)
	// Output:
	// shape: {3 2} data: [1 10 2 20 3 30]
	// row 1: [2 20]
	// ragged refused: true
}

// ExampleRegistry lists the built-in algorithms of
// [mlcluster.DefaultRegistry] and looks one up by name, as the coordinator
// and every worker do for each job. A custom [mlcluster.Algorithm] is added
// with Register (see [mlcluster.NewRegistry]).
func ExampleRegistry() {
	reg := mlcluster.DefaultRegistry()
	fmt.Println("algorithms:", reg.Names())
	if _, err := reg.Lookup("kmeans"); err == nil {
		fmt.Println("kmeans found")
	}
	_, err := reg.Lookup("svm")
	fmt.Println(err)
	// Output:
	// algorithms: [kmeans linreg pca stats]
	// kmeans found
	// mlcluster: unknown algorithm "svm" (known: kmeans, linreg, pca, stats)
}

// ExampleCoordinator starts a [mlcluster.Coordinator] and two workers
// ([mlcluster.Worker]) on loopback (port 0),
// waits until both have registered, and runs a job on them with RunJob,
// the entry point for programs that already hold their data (clients use
// [mlcluster.Client.Submit]). Each worker connects to the coordinator and
// registers (Run), receives its shard of the data and answers one map step
// per iteration. Cancelling the context stops everything.
func ExampleCoordinator() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	co, err := mlcluster.New(mlcluster.DefaultConfig()) // 127.0.0.1:0
	if err != nil {
		fmt.Println(err)
		return
	}
	coDone := make(chan error, 1)
	go func() { coDone <- co.Run(ctx) }()
	defer func() { cancel(); <-coDone }()

	var workers []*mlcluster.Worker
	var workersDone []chan error
	defer func() {
		cancel()
		for _, done := range workersDone {
			<-done
		}
	}()
	for range 2 {
		wc := mlcluster.DefaultWorkerConfig()
		wc.Coordinator = co.Addr()
		w, err := mlcluster.NewWorker(wc)
		if err != nil {
			fmt.Println(err)
			return
		}
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		workers, workersDone = append(workers, w), append(workersDone, done)
	}
	if err := co.WaitWorkers(ctx, 2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("workers connected:", co.Workers())

	ds, _ := mlcluster.NewDataset("d", [][]float64{{1, 10}, {2, 20}, {3, 30}, {4, 40}})
	res, err := co.RunJob(ctx, ds, "stats", nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("computed by", res.Workers, "workers in", res.Shards, "shards; mean:", res.Table("mean").Data)
	for i, w := range workers {
		fmt.Println("worker", i, "answered steps:", w.Steps() > 0, "- received bytes:", w.ReceivedBytes() > 0)
	}
	// Output:
	// workers connected: 2
	// computed by 2 workers in 2 shards; mean: [2.5 25]
	// worker 0 answered steps: true - received bytes: true
	// worker 1 answered steps: true - received bytes: true
}

// ExampleLocalCluster starts a coordinator and three workers in one
// process with [mlcluster.StartLocalCluster]: every shard and step crosses
// a real TCP connection, yet the result equals [mlcluster.RunLocal] with
// the same shard count, bit for bit.
func ExampleLocalCluster() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lc, err := mlcluster.StartLocalCluster(ctx, mlcluster.DefaultConfig(), 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer lc.Close()
	fmt.Println("workers:", len(lc.Workers), "connected:", lc.Coordinator.Workers())

	ds, _ := mlcluster.NewDataset("d", [][]float64{{0, 0}, {1, 0}, {0, 1}, {9, 9}, {9, 10}, {10, 9}})
	params := mlcluster.Params{"k": "2", "seed": "3"}
	res, err := lc.Coordinator.RunJob(ctx, ds, "kmeans", params, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	local, err := mlcluster.RunLocal(ctx, ds, "kmeans", params, mlcluster.LocalOptions{Shards: res.Shards})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("labels:", res.Labels())
	fmt.Println("same as RunLocal:", reflect.DeepEqual(res.Tables, local.Tables))
	// Output:
	// workers: 3 connected: 3
	// labels: [1 1 1 0 0 0]
	// same as RunLocal: true
}
