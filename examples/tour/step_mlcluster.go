package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/netlab-go/netlab/mlcluster"
	mlchart "github.com/netlab-go/netlab/mlcluster/chart"
)

func runMLCluster(ctx context.Context, e *env) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	const rows, k = 30000, 4
	ds, _, err := mlcluster.Blobs(mlcluster.BlobsConfig{Rows: rows, Cols: 2, Centers: k, Spread: 1.2},
		rand.New(rand.NewPCG(70, 70)))
	if err != nil {
		return err
	}
	e.Printf("generated %d points in %d Gaussian blobs", rows, k)

	lc, err := mlcluster.StartLocalCluster(ctx, mlcluster.DefaultConfig(), 3)
	if err != nil {
		return err
	}
	defer lc.Close()
	co := lc.Coordinator
	e.Printf("coordinator on %s with 3 workers; each gets a shard of %d rows", co.Addr(), rows/3)

	client, err := mlcluster.NewClient(mlcluster.ClientConfig{Coordinator: co.Addr(), Progress: func(p mlcluster.Progress) {
		if p.Step == "assign" {
			e.Printf("iteration %2d  inertia %.1f", p.Iteration, p.Objective)
		}
	}})
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := client.SubmitDataset(ctx, ds, "kmeans", mlcluster.Params{"k": fmt.Sprint(k), "seed": "70"})
	if err != nil {
		return err
	}
	took := time.Since(start)

	ref := mlcluster.Lloyd(ds, res.Table("initial_centroids").Data, 100, 1e-6)
	var diff float64
	for i, v := range res.Table("centroids").Data {
		diff = math.Max(diff, math.Abs(v-ref.Centroids[i]))
	}
	e.Printf("single-machine Lloyd from the same start differs by at most %.1e", diff)
	if diff > 1e-9 {
		return fmt.Errorf("distributed k-means differs from single-machine Lloyd by %g", diff)
	}
	png := e.Path("mlcluster-clusters.png")
	if err := mlchart.Clusters(png, ds, res, nil); err != nil {
		return err
	}
	e.Report("k-means k=%d on %d rows, 3 workers: %d iterations in %v, inertia %.1f",
		k, rows, res.Iterations, took.Round(time.Millisecond), res.Value("inertia"))
	e.Report("equals single-machine Lloyd within %.1e", diff)
	return nil
}
