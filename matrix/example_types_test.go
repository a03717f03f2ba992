package matrix_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/netlab-go/netlab/matrix"
	"gonum.org/v1/gonum/mat"
)

// ExampleEncoder writes two frames of the wire protocol with a
// [matrix.Encoder]: a register frame and a task carrying two 2×2 matrices.
// Every frame is version:uint8 type:uint8 length:uint64 and a body, all
// little-endian (see the package documentation).
func ExampleEncoder() {
	var buf bytes.Buffer
	enc := matrix.NewEncoder(&buf)

	if err := enc.Encode(&matrix.RegisterMsg{Addr: "127.0.0.1:9001"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("register: %d bytes, header % x\n", buf.Len(), buf.Bytes()[:10])

	buf.Reset()
	a := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	b := mat.NewDense(2, 2, []float64{5, 6, 7, 8})
	if err := enc.Encode(&matrix.TaskMsg{ID: 1, Depth: 1, A: a, B: b}); err != nil {
		fmt.Println(err)
		return
	}
	// 10 header + 8 id + 1 depth + 2 × (8 dimensions + 4 × 8 data).
	fmt.Printf("task: %d bytes, type %q\n", buf.Len(), buf.Bytes()[1])
	// Output:
	// register: 26 bytes, header 01 52 10 00 00 00 00 00 00 00
	// task: 99 bytes, type 'T'
}

// ExampleDecoder reads frames back with a [matrix.Decoder], which checks
// every length against its [matrix.Limits] before it allocates: a frame
// announcing a matrix larger than MaxDim is refused without reading it.
func ExampleDecoder() {
	var buf bytes.Buffer
	enc := matrix.NewEncoder(&buf)
	_ = enc.Encode(&matrix.ResultMsg{ID: 7, C: mat.NewDense(1, 2, []float64{19, 22})})
	_ = enc.Encode(&matrix.ErrorMsg{Text: "busy"})

	dec := matrix.NewDecoder(&buf, matrix.DefaultLimits())
	for {
		m, err := dec.Decode()
		if err != nil {
			break // io.EOF after the last frame
		}
		switch m := m.(type) {
		case *matrix.ResultMsg:
			fmt.Printf("result of task %d: %v\n", m.ID, mat.Formatted(m.C))
		case *matrix.ErrorMsg:
			fmt.Printf("error: %s\n", m.Text)
		}
	}

	// A 3×3 operand against a decoder that accepts at most 2 rows.
	buf.Reset()
	big := mat.NewDense(3, 3, nil)
	_ = enc.Encode(&matrix.TaskMsg{ID: 8, Depth: 1, A: big, B: big})
	lim := matrix.DefaultLimits()
	lim.MaxDim = 2
	_, err := matrix.NewDecoder(&buf, lim).Decode()
	fmt.Println("refused:", err != nil)
	// Output:
	// result of task 7: [19  22]
	// error: busy
	// refused: true
}

// ExampleRegistry drives the coordinator's [matrix.Registry] by hand with
// a fake clock: workers register, a request acquires a lease on seven of
// them (Strassen's seven products), and Sweep reclaims the peers of an
// expired lease and drops workers that stopped sending heartbeats.
func ExampleRegistry() {
	now := time.Unix(1_700_000_000, 0)
	cfg := matrix.DefaultRegistryConfig()
	cfg.LeaseTTL = 10 * time.Second
	cfg.HeartbeatTimeout = 30 * time.Second
	cfg.Now = func() time.Time { return now }
	r, err := matrix.NewRegistry(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range 8 {
		_ = r.Register(fmt.Sprintf("127.0.0.1:%d", 9001+i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	lease, err := r.Acquire(ctx, 7)
	if err != nil {
		fmt.Println(err)
		return
	}
	peers, free, waiting := r.Counts()
	fmt.Printf("lease %d: %d peers for %v; registry: %d peers, %d free, %d waiting\n",
		lease.ID, len(lease.Peers), lease.TTL, peers, free, waiting)

	now = now.Add(20 * time.Second) // the lease expires; only one worker keeps beating
	_ = r.Heartbeat("127.0.0.1:9001")
	res := r.Sweep()
	fmt.Println("expired leases:", res.Expired, "- removed peers:", len(res.Removed))

	now = now.Add(20 * time.Second) // 40 s since the others last registered
	res = r.Sweep()
	peers, free, _ = r.Counts()
	fmt.Println("removed peers:", len(res.Removed), "- left:", peers, "peers,", free, "free")
	// Output:
	// lease 1: 7 peers for 10s; registry: 8 peers, 1 free, 0 waiting
	// expired leases: [1] - removed peers: 0
	// removed peers: 7 - left: 1 peers, 1 free
}

// ExampleCoordinator starts a [matrix.Coordinator] and one
// [matrix.Worker] on loopback (port 0): the worker registers itself and
// then keeps its place with heartbeats. Both stop when the context ends,
// and Run returns once their goroutines are gone.
func ExampleCoordinator() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	cc := matrix.DefaultCoordinatorConfig()
	cc.Addr = "127.0.0.1:0"
	coord, err := matrix.NewCoordinator(cc)
	if err != nil {
		fmt.Println(err)
		return
	}
	coordDone := make(chan error, 1)
	go func() { coordDone <- coord.Run(ctx) }()
	defer func() { cancel(); <-coordDone }()

	wc := matrix.DefaultWorkerConfig(coord.Addr())
	wc.Addr = "127.0.0.1:0"
	w, err := matrix.NewWorker(wc)
	if err != nil {
		fmt.Println(err)
		return
	}
	workerDone := make(chan error, 1)
	go func() { workerDone <- w.Run(ctx) }()
	defer func() { cancel(); <-workerDone }()

	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for peers, _, _ := coord.Registry().Counts(); peers < 1; peers, _, _ = coord.Registry().Counts() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			fmt.Println("worker not registered:", ctx.Err())
			return
		}
	}
	peers, free, _ := coord.Registry().Counts()
	fmt.Println("peers:", peers, "free:", free)
	fmt.Println("the table holds the worker's address:", coord.Registry().Snapshot()[0].Addr == w.Addr())
	// Output:
	// peers: 1 free: 1
	// the table holds the worker's address: true
}

// ExampleWorker runs a standalone [matrix.Worker] (no coordinator) and
// sends it one task over TCP by hand, the way a [matrix.Client] does: a
// task frame out, a result frame back.
func ExampleWorker() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wc := matrix.DefaultWorkerConfig("") // standalone: not registered anywhere
	wc.Addr = "127.0.0.1:0"
	w, err := matrix.NewWorker(wc)
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", w.Addr())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	a := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	b := mat.NewDense(2, 2, []float64{5, 6, 7, 8})
	if err := matrix.NewEncoder(conn).Encode(&matrix.TaskMsg{ID: 42, Depth: 1, A: a, B: b}); err != nil {
		fmt.Println(err)
		return
	}
	m, err := matrix.NewDecoder(conn, matrix.DefaultLimits()).Decode()
	if err != nil {
		fmt.Println(err)
		return
	}
	if r, ok := m.(*matrix.ResultMsg); ok {
		fmt.Printf("task %d:\n%v\n", r.ID, mat.Formatted(r.C))
	}
	fmt.Println("tasks served:", w.Stats().Tasks, "registered:", w.Registered())
	// Output:
	// task 42:
	// ⎡19  22⎤
	// ⎣43  50⎦
	// tasks served: 1 registered: false
}

// ExampleClient leases workers from a [matrix.LocalCluster], a whole grid
// in one process as `go run ./examples/matrix -local` runs it, with a
// [matrix.Client]: Acquire waits in the coordinator's FIFO queue for a
// lease, Release hands the peers back. Multiply does both around its seven
// products, each on a worker; a product too small to be worth the network
// (below [matrix.ClientConfig.MinDistribute]) is computed locally, and the
// [matrix.Report] says so.
func ExampleClient() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cluster, err := matrix.StartLocal(ctx, matrix.DefaultLocalConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cluster.Close()

	client, err := matrix.NewClient(matrix.DefaultClientConfig(cluster.Addr()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	lease, err := client.Acquire(ctx, 7)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, free, _ := cluster.Coordinator.Registry().Counts()
	fmt.Println("leased:", len(lease.Peers), "peers; free now:", free)
	if err := client.Release(ctx, lease.ID); err != nil {
		fmt.Println(err)
		return
	}
	_, free, _ = cluster.Coordinator.Registry().Counts()
	fmt.Println("after release, free:", free)

	n := 200
	a, b := mat.NewDense(n, n, nil), mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			a.Set(i, j, float64((i+j)%7-3)) // small integers: every sum is exact
			b.Set(i, j, float64((i*j)%5-2))
		}
	}
	c, rep, err := client.MultiplyReport(ctx, a, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	var want mat.Dense
	want.Mul(a, b)
	fmt.Println("200×200: peers used:", len(rep.Lease.Peers), "computed locally:", rep.Local, "max |C − gonum|:", matrix.MaxAbsDiff(c, &want))

	small := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	c, rep, err = client.MultiplyReport(ctx, small, small)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("A·A = %v, computed locally: %v\n", c.RawMatrix().Data, rep.Local)
	// Output:
	// leased: 7 peers; free now: 0
	// after release, free: 7
	// 200×200: peers used: 7 computed locally: false max |C − gonum|: 0
	// A·A = [7 10 15 22], computed locally: true
}

// ExampleLocalCluster starts a whole grid in this process with
// [matrix.StartLocal]: a coordinator and three workers on loopback, all
// registered when it returns. Close (or the end of ctx) stops every
// component.
func ExampleLocalCluster() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := matrix.DefaultLocalConfig()
	cfg.Workers = 3
	cluster, err := matrix.StartLocal(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cluster.Close()

	peers, free, waiting := cluster.Coordinator.Registry().Counts()
	fmt.Printf("%d workers started; coordinator: %d peers, %d free, %d waiting\n",
		len(cluster.Workers), peers, free, waiting)
	registered := 0
	for _, w := range cluster.Workers {
		if w.Registered() {
			registered++
		}
	}
	fmt.Println("registered:", registered)
	// Output:
	// 3 workers started; coordinator: 3 peers, 3 free, 0 waiting
	// registered: 3
}
