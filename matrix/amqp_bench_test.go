package matrix

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testenv"
	"gonum.org/v1/gonum/mat"
)

// BenchmarkTransports multiplies n = 2048 matrices, in one run, on
// RabbitMQ (AMQPExecutor), on the TCP grid (Client) and with gonum's
// Dense.Mul here, with 2 and 7 in-process workers on each transport. The
// computation is the same MultiplyOn on both, so the products are checked
// equal bit for bit. It reports each time, the ratios amqp/tcp (goal at
// most 1.5) and tcp/gonum, amqp/gonum, and the bytes that crossed the
// broker per multiplication against the minimum for the block layout:
// every product's two operand blocks in and its result block out, 8 bytes
// a value, computed from the split of this run.
func BenchmarkTransports(b *testing.B) {
	url := testenv.AMQPURL(b)
	const n = 2048
	for _, workers := range []int{2, Products} {
		b.Run(fmt.Sprintf("n=%d/workers=%d", n, workers), func(b *testing.B) {
			benchTransports(b, url, n, workers)
		})
	}
}

func benchTransports(b *testing.B, url string, n, workers int) {
	ctx := context.Background()
	// One level is split on every kernel (a kernel whose DefaultCutoff is
	// above n/2 would not split at all), and the workers use the same cutoff.
	cutoff := min(DefaultCutoff, n/2)
	cfg := DefaultLocalConfig()
	cfg.Workers = workers
	cfg.Worker.Cutoff = cutoff
	grid, err := StartLocal(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer grid.Close()
	cc := DefaultClientConfig(grid.Addr())
	cc.Peers, cc.TaskTimeout = workers, time.Minute // several products at once per peer: no backups
	tcp, err := NewClient(cc)
	if err != nil {
		b.Fatal(err)
	}
	queue, err := StartLocalAMQP(ctx, AMQPConfig{URL: url, Cutoff: cutoff}, workers)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := queue.Close(); err != nil {
			b.Error(err)
		}
	}()
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	x, y := randDense(rng, n, n), randDense(rng, n, n)
	want := mat.NewDense(n, n, nil)
	var onQueue, onGrid, gonum time.Duration
	for b.Loop() {
		t0 := time.Now()
		got, err := MultiplyOn(ctx, queue.Executor, x, y, cutoff)
		onQueue += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		ref, err := MultiplyOn(ctx, tcp, x, y, cutoff)
		onGrid += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		want.Mul(x, y)
		gonum += time.Since(t0)
		if !mat.Equal(got, ref) {
			b.Fatal("the products on RabbitMQ and on the TCP grid differ")
		}
	}
	k := float64(b.N)
	s := queue.Executor.Stats()
	moved := float64(s.BytesSent+s.BytesBack) / k
	b.ReportMetric(onQueue.Seconds()/k, "amqp-s/op")
	b.ReportMetric(onGrid.Seconds()/k, "tcp-s/op")
	b.ReportMetric(gonum.Seconds()/k, "gonum-s/op")
	b.ReportMetric(onQueue.Seconds()/onGrid.Seconds(), "amqp/tcp")
	b.ReportMetric(onGrid.Seconds()/gonum.Seconds(), "tcp/gonum")
	b.ReportMetric(onQueue.Seconds()/gonum.Seconds(), "amqp/gonum")
	b.ReportMetric(moved/1e6, "broker-MB/op")
	b.ReportMetric(moved/minBrokerBytes(x, y), "bytes/min")
}

// minBrokerBytes is the least a level of products must carry through the
// broker: each product's two operand blocks to a worker and its result
// block back, as float64.
func minBrokerBytes(a, b *mat.Dense) float64 {
	s := newSplit(a, b)
	total := 0
	for i := range Products {
		x, y := s.operands(i)
		xr, xc := x.Dims()
		_, yc := y.Dims()
		total += xr*xc + xc*yc + xr*yc
	}
	return 8 * float64(total)
}
