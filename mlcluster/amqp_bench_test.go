package mlcluster

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testenv"
)

// BenchmarkKMeansTransports runs k-means on 1,000,000 x 8 points, k = 16,
// 20 iterations from the same initial centroids, in one run: on RabbitMQ
// (RunOn with an AMQPExecutor and 2 in-process workers), on the TCP grid
// (Coordinator.RunJob with 2 workers) and as single-threaded Lloyd here.
// Both transports cut the data into 2 shards, so their centroids must be
// equal bit for bit (checked); Lloyd sums in another order and must agree
// within 1e-9. It reports each time, amqp/tcp (goal at most 1.5), each
// transport's speed-up over Lloyd, and the milliseconds per iteration
// after the data is on the workers (from the progress reports).
func BenchmarkKMeansTransports(b *testing.B) {
	url := testenv.AMQPURL(b)
	const rows, cols, k, iters = 1_000_000, 8, 16, 20
	ds, init, params := kmeansScale(b, rows, cols, k, iters)
	ctx := context.Background()
	grid, err := StartLocalCluster(ctx, DefaultConfig(), 2)
	if err != nil {
		b.Fatal(err)
	}
	defer grid.Close()
	queue, err := StartLocalAMQP(ctx, AMQPConfig{URL: url}, 2)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := queue.Close(); err != nil {
			b.Error(err)
		}
	}()
	var onQueue, onGrid, lloyd, queueIter, gridIter time.Duration
	var maxDiff float64
	for b.Loop() {
		var qm, gm iterMarks
		t0 := time.Now()
		q, err := RunOn(ctx, queue.Executor, ds, "kmeans", params, LocalOptions{Shards: 2, Progress: qm.mark})
		onQueue += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		g, err := grid.Coordinator.RunJob(ctx, ds, "kmeans", params, gm.mark)
		onGrid += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		ref := Lloyd(ds, init, iters, 0)
		lloyd += time.Since(t0)
		queueIter += qm.perIter()
		gridIter += gm.perIter()
		qc, gc := q.Table("centroids").Data, g.Table("centroids").Data
		if !slices.Equal(qc, gc) || g.Shards != q.Shards {
			b.Fatalf("centroids on RabbitMQ and on the TCP grid differ (%d and %d shards)", q.Shards, g.Shards)
		}
		if q.Iterations != ref.Iterations {
			b.Fatalf("RabbitMQ ran %d iterations, Lloyd %d", q.Iterations, ref.Iterations)
		}
		for i, v := range qc {
			maxDiff = math.Max(maxDiff, math.Abs(v-ref.Centroids[i]))
		}
	}
	n := float64(b.N)
	b.ReportMetric(onQueue.Seconds()/n, "amqp-s/op")
	b.ReportMetric(onGrid.Seconds()/n, "tcp-s/op")
	b.ReportMetric(lloyd.Seconds()/n, "lloyd-s/op")
	b.ReportMetric(onQueue.Seconds()/onGrid.Seconds(), "amqp/tcp")
	b.ReportMetric(lloyd.Seconds()/onQueue.Seconds(), "amqp-speedup")
	b.ReportMetric(lloyd.Seconds()/onGrid.Seconds(), "tcp-speedup")
	b.ReportMetric(queueIter.Seconds()*1000/n, "amqp-ms/iter")
	b.ReportMetric(gridIter.Seconds()*1000/n, "tcp-ms/iter")
	b.ReportMetric(lloyd.Seconds()*1000/n/iters, "lloyd-ms/iter")
	b.ReportMetric(maxDiff, "max-centroid-diff")
	if maxDiff > 1e-9 {
		b.Errorf("centroids differ from Lloyd's by %g > 1e-9", maxDiff)
	}
}
