package mlcluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(amqpWorkerEnv) != "" {
		os.Exit(amqpWorkerProcess())
	}
	goleak.VerifyTestMain(m)
}

// cluster is a coordinator and workers on loopback for one test.
type cluster struct {
	co      *Coordinator
	workers []*Worker
	stops   []context.CancelFunc
	errs    []chan error
}

// startCluster starts a coordinator and one worker per registry (nil = the
// defaults) and waits until all have registered. Everything stops at the
// end of the test.
func startCluster(t *testing.T, cfg Config, registries ...*Registry) *cluster {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	co, err := New(cfg)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- co.Run(ctx) }()
	cl := &cluster{co: co}
	for _, reg := range registries {
		wcfg := DefaultWorkerConfig()
		wcfg.Coordinator, wcfg.Algorithms = co.Addr(), reg
		w, err := NewWorker(wcfg)
		require.NoError(t, err)
		wctx, wcancel := context.WithCancel(ctx)
		werr := make(chan error, 1)
		go func() { werr <- w.Run(wctx) }()
		cl.workers, cl.stops, cl.errs = append(cl.workers, w), append(cl.stops, wcancel), append(cl.errs, werr)
	}
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	require.NoError(t, co.WaitWorkers(wctx, len(registries)))
	t.Cleanup(func() {
		cancel()
		for _, e := range cl.errs {
			<-e
		}
		assert.NoError(t, <-done)
	})
	return cl
}

func (c *cluster) client(t *testing.T, progress func(Progress)) *Client {
	cl, err := NewClient(ClientConfig{Coordinator: c.co.Addr(), Progress: progress})
	require.NoError(t, err)
	return cl
}

// assertSameAsLocal asserts that a result computed on workers equals
// RunLocal's bit for bit; only Workers, which says where it ran, differs.
func assertSameAsLocal(t *testing.T, local, got *Result, msgAndArgs ...any) {
	t.Helper()
	if got != nil {
		assert.Positive(t, got.Workers, "computed on workers")
		c := *got
		c.Workers = 0
		got = &c
	}
	assert.Equal(t, local, got, msgAndArgs...)
}

func csvText(t testing.TB, ds *Dataset) string {
	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf, ds))
	return buf.String()
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestClusterKMeansEqualsLocal(t *testing.T) {
	ds := blobs(t, 5000, 4, 6, 2, 2)
	ds.Header = []string{"a", "b", "c", "d"}
	c := startCluster(t, DefaultConfig(), nil, nil, nil)
	var progress []Progress
	res, err := c.client(t, func(p Progress) { progress = append(progress, p) }).
		Submit(ctxT(t), strings.NewReader(csvText(t, ds)), "kmeans", Params{"k": "6", "tol": "0"})
	require.NoError(t, err)

	local, err := RunLocal(context.Background(), ds, "kmeans", Params{"k": "6", "tol": "0"}, LocalOptions{Shards: 3})
	require.NoError(t, err)
	assertSameAsLocal(t, local, res, "three workers give exactly the local run over three shards")
	assert.Equal(t, []string{"a", "b", "c", "d"}, res.Header)

	ref := Lloyd(ds, res.Table("initial_centroids").Data, 100, 0)
	assert.InDeltaSlice(t, ref.Centroids, res.Table("centroids").Data, 1e-9)
	assert.Equal(t, ref.Labels, res.Labels(), "labels in the original row order")
	assert.Equal(t, ref.Iterations, res.Iterations)

	var iters []int
	for _, p := range progress {
		if p.Step == "assign" {
			iters = append(iters, p.Iteration)
		}
	}
	require.Len(t, iters, res.Iterations, "one progress report per iteration")
	for i, it := range iters {
		assert.Equal(t, i+1, it)
	}
	for _, w := range c.workers {
		require.Eventually(t, func() bool { return w.Shards() == 0 }, 5*time.Second, 5*time.Millisecond, "shards dropped after the job")
	}
}

func TestClusterRunsEveryAlgorithm(t *testing.T) {
	ds := blobs(t, 800, 3, 3, 1, 6)
	c := startCluster(t, DefaultConfig(), nil, nil)
	for _, job := range []struct {
		algo   string
		params Params
	}{{"pca", Params{"components": "2"}}, {"linreg", nil}, {"stats", nil}, {"kmeans", Params{"k": "3"}},
		{"kmeans", Params{"k": "3", "init": "k-means||"}}} {
		res, err := c.client(t, nil).SubmitDataset(ctxT(t), ds, job.algo, job.params)
		require.NoError(t, err, job.algo)
		local, err := RunLocal(context.Background(), ds, job.algo, job.params, LocalOptions{Shards: 2})
		require.NoError(t, err)
		assertSameAsLocal(t, local, res, job.algo)
	}
}

// victim wraps an algorithm so that one worker's Map stops at a chosen step
// until the test has killed that worker.
type victim struct {
	Algorithm
	mu      sync.Mutex
	calls   int
	stopAt  int
	stopped chan struct{} // closed when Map reaches stopAt
	release chan struct{} // closed by the test after killing the worker
}

func (v *victim) Map(step Step, s *Shard) (Partial, error) {
	v.mu.Lock()
	v.calls++
	hit := v.calls == v.stopAt
	v.mu.Unlock()
	if hit {
		close(v.stopped)
		<-v.release
	}
	return v.Algorithm.Map(step, s)
}

func TestWorkerDeathMidJobGivesIdenticalResult(t *testing.T) {
	ds := blobs(t, 3000, 2, 4, 2, 7)
	params := Params{"k": "4", "tol": "0", "seed": "3"}
	cfg := DefaultConfig()
	cfg.ShardsPerWorker = 2
	want, err := RunLocal(context.Background(), ds, "kmeans", params, LocalOptions{Shards: 6})
	require.NoError(t, err)

	v := &victim{Algorithm: KMeans{}, stopAt: 20, stopped: make(chan struct{}), release: make(chan struct{})}
	c := startCluster(t, cfg, nil, NewRegistry(v), nil)

	type answer struct {
		res *Result
		err error
	}
	got := make(chan answer, 1)
	go func() {
		res, err := c.client(t, nil).SubmitDataset(ctxT(t), ds, "kmeans", params)
		got <- answer{res, err}
	}()
	select {
	case <-v.stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the victim worker never reached its step")
	}
	c.stops[1]() // kill the victim mid-step
	a := <-got
	close(v.release) // the victim's Run waits for its in-flight Map
	require.NoError(t, <-c.errs[1])
	c.errs[1] <- nil // for the cleanup
	require.NoError(t, a.err)
	assertSameAsLocal(t, want, a.res, "reassigned shards, redone step, identical result")
	require.Eventually(t, func() bool { return c.co.Workers() == 2 }, 5*time.Second, 5*time.Millisecond)
	assert.Positive(t, c.workers[0].Steps()+c.workers[2].Steps())
}

func TestAllWorkersLostFailsClearly(t *testing.T) {
	ds := blobs(t, 500, 2, 2, 1, 1)
	v := &victim{Algorithm: KMeans{}, stopAt: 3, stopped: make(chan struct{}), release: make(chan struct{})}
	c := startCluster(t, DefaultConfig(), NewRegistry(v))
	errc := make(chan error, 1)
	go func() {
		_, err := c.client(t, nil).SubmitDataset(ctxT(t), ds, "kmeans", Params{"k": "2"})
		errc <- err
	}()
	<-v.stopped
	c.stops[0]()
	err := <-errc
	close(v.release)
	require.NoError(t, <-c.errs[0])
	c.errs[0] <- nil
	assert.ErrorIs(t, err, ErrNoWorkers)
	assert.ErrorContains(t, err, "every worker was lost")
}

func TestNoWorkers(t *testing.T) {
	ds := blobs(t, 100, 2, 2, 1, 1)
	c := startCluster(t, DefaultConfig())
	_, err := c.client(t, nil).SubmitDataset(ctxT(t), ds, "stats", nil)
	assert.ErrorIs(t, err, ErrNoWorkers)
	assert.ErrorContains(t, err, "no workers connected")

	cfg := DefaultConfig()
	cfg.LocalFallback = true
	c = startCluster(t, cfg)
	res, err := c.client(t, nil).SubmitDataset(ctxT(t), ds, "stats", nil)
	require.NoError(t, err)
	assert.Equal(t, 100.0, res.Table("count").Data[0])
	assert.Zero(t, res.Workers, "the result says it ran in the coordinator, not on workers")
	assert.Equal(t, 1, res.Shards)
}

// namedReader gives Submit a file name, as an *os.File would.
type namedReader struct {
	*strings.Reader
	name string
}

func (n namedReader) Name() string { return "/some/dir/" + n.name }

func TestClientSeesBadInputErrors(t *testing.T) {
	c := startCluster(t, DefaultConfig(), nil)
	cl := c.client(t, nil)
	big := strings.Repeat("1,2,3\n", 200_000) // the error arrives while the client still uploads
	cases := []struct {
		text, algo string
		params     Params
		sentinel   error
		want       string
	}{
		{"1,2\n3\n", "stats", nil, ErrBadInput, "data.csv line 2: column 2: ragged row"},
		{"x,y\n1,2\n3,oops\n", "stats", nil, ErrBadInput, `data.csv line 3: column 2: "oops" is not a number`},
		{"", "stats", nil, ErrBadInput, "data.csv line 1: column 1: no data rows"},
		{"1,2\n" + big + "1,2\n", "stats", nil, ErrBadInput, "data.csv line 2: column 3: ragged row"},
		{"1,2\n3,4\n", "kmeans", Params{"k": "3"}, ErrBadParams, "k=3 is greater than the number of rows (2)"},
		{"1,2\n3,4\n", "kmeans", Params{"k": "1", "max_iter": "-5"}, ErrBadParams, "max_iter=-5 out of range"},
		{big, "svm", nil, ErrUnknownAlgorithm, `unknown algorithm "svm" (known: kmeans, linreg, pca, stats)`},
		{"1,2\n", "stats", Params{"header": "perhaps"}, ErrBadParams, `header="perhaps"`},
	}
	for _, tc := range cases {
		_, err := cl.Submit(ctxT(t), namedReader{strings.NewReader(tc.text), "data.csv"}, tc.algo, tc.params)
		assert.ErrorIs(t, err, tc.sentinel, tc.want)
		assert.ErrorContains(t, err, tc.want)
	}
	res, err := cl.Submit(ctxT(t), strings.NewReader("1,2\n3,4\n"), "stats", Params{"header": "no"})
	require.NoError(t, err, "the coordinator still serves after bad jobs")
	assert.Equal(t, []float64{2, 3}, res.Table("mean").Data)
}

// gate is an algorithm whose Map blocks until the test opens it.
type gate struct {
	Stats
	entered chan struct{}
	open    chan struct{}
	once    sync.Once
}

func (g *gate) Map(step Step, s *Shard) (Partial, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.open
	return g.Stats.Map(step, s)
}

func TestClientDisconnectCancelsJob(t *testing.T) {
	g := &gate{entered: make(chan struct{}), open: make(chan struct{})}
	reg := NewRegistry(g)
	cfg := DefaultConfig()
	cfg.Algorithms = reg
	c := startCluster(t, cfg, reg, reg)
	ctx, cancel := context.WithCancel(ctxT(t))
	errc := make(chan error, 1)
	go func() {
		_, err := c.client(t, nil).SubmitDataset(ctx, blobs(t, 1000, 2, 2, 1, 1), "stats", nil)
		errc <- err
	}()
	<-g.entered
	require.Equal(t, 1, c.co.Jobs())
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	require.Eventually(t, func() bool { return c.co.Jobs() == 0 }, 5*time.Second, 5*time.Millisecond, "job cancelled")
	close(g.open) // let the in-flight Map return; its reply is dropped
	for _, w := range c.workers {
		require.Eventually(t, func() bool { return w.Shards() == 0 }, 5*time.Second, 5*time.Millisecond, "shards freed")
	}
}

func TestHostilePeers(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxFrame = 1 << 20
	cfg.ChunkBytes = 1 << 16
	c := startCluster(t, cfg)
	dial := func() net.Conn {
		conn, err := net.Dial("tcp", c.co.Addr())
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	// A "worker" that claims a 4 GiB frame is dropped without the
	// coordinator allocating it.
	conn := dial()
	require.NoError(t, writeFrame(conn, fHello, encodeHello(roleWorker, "liar")))
	require.Eventually(t, func() bool { return c.co.Workers() == 1 }, 5*time.Second, 5*time.Millisecond)
	_, err := conn.Write([]byte{fReply, 0xff, 0xff, 0xff, 0xff})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return c.co.Workers() == 0 }, 5*time.Second, 5*time.Millisecond)

	// Garbage instead of a hello is simply closed.
	conn = dial()
	_, _ = conn.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = bufio.NewReader(conn).ReadByte()
	assert.Error(t, err)

	// A client with a malformed submit gets an error frame.
	conn = dial()
	require.NoError(t, writeFrame(conn, fHello, encodeHello(roleClient, "")))
	require.NoError(t, writeFrame(conn, fSubmit, []byte{1, 2, 3}))
	require.NoError(t, writeFrame(conn, fEnd, nil))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, payload, err := readFrame(conn, 1<<20)
	require.NoError(t, err)
	assert.Equal(t, fError, typ)
	re, err := decodeError(payload)
	require.NoError(t, err)
	assert.ErrorIs(t, re, ErrProtocol)
}

func TestShardsShippedOnce(t *testing.T) {
	ds := blobs(t, 2000, 2, 3, 1, 4)
	cfg := DefaultConfig()
	cfg.ChunkBytes = 4096 // many chunks per shard
	c := startCluster(t, cfg, nil, nil)
	res, err := c.client(t, nil).SubmitDataset(ctxT(t), ds, "kmeans", Params{"k": "3", "tol": "0"})
	require.NoError(t, err)
	assert.Greater(t, res.Iterations, 1)
	var received int64
	steps := 0
	for _, w := range c.workers {
		received += w.ReceivedBytes()
		steps += w.Steps()
	}
	assert.Equal(t, int64(ds.Rows*ds.Cols*8), received, "every row shipped exactly once over %d steps", res.Iterations)
	assert.Equal(t, 2*(2*3+res.Iterations+1), steps, "2 workers x (k-means++ 2k steps + iterations + label)")
}

func TestConfigValidation(t *testing.T) {
	bad := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.ShardsPerWorker = -1 }, "Config.ShardsPerWorker"},
		{func(c *Config) { c.MaxFrame = -1 }, "Config.MaxFrame"},
		{func(c *Config) { c.ChunkBytes = -3 }, "Config.ChunkBytes"},
		{func(c *Config) { c.MaxFrame, c.ChunkBytes = 1000, 2000 }, "does not fit in Config.MaxFrame"},
		{func(c *Config) { c.HelloTimeout = -time.Second }, "Config.HelloTimeout"},
		{func(c *Config) { c.Addr = "256.0.0.1:0" }, "listen on 256.0.0.1:0"},
	}
	for _, b := range bad {
		cfg := DefaultConfig()
		b.mod(&cfg)
		_, err := New(cfg)
		assert.ErrorContains(t, err, b.want)
	}
	_, err := NewWorker(WorkerConfig{})
	assert.ErrorContains(t, err, "WorkerConfig.Coordinator")
	_, err = NewWorker(WorkerConfig{Coordinator: "x", MaxFrame: -1})
	assert.ErrorContains(t, err, "WorkerConfig.MaxFrame")
	_, err = NewClient(ClientConfig{})
	assert.ErrorContains(t, err, "ClientConfig.Coordinator")
	_, err = NewClient(ClientConfig{Coordinator: "x", ChunkBytes: -1})
	assert.ErrorContains(t, err, "ClientConfig.ChunkBytes")

	// A port that was free a moment ago, rather than a fixed one that
	// something may listen on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	nobody := ln.Addr().String()
	require.NoError(t, ln.Close())
	w, err := NewWorker(WorkerConfig{Coordinator: nobody, DialTimeout: time.Second})
	require.NoError(t, err)
	err = w.Run(context.Background())
	assert.Error(t, err)
	assert.False(t, errors.Is(err, context.Canceled))
}

func TestDatasetSizeLimit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxDatasetBytes = 8 * 1000 // 1000 values
	c := startCluster(t, cfg, nil)
	ds := blobs(t, 600, 2, 2, 1, 1)
	_, err := c.client(t, nil).Submit(ctxT(t), strings.NewReader(csvText(t, ds)), "stats", nil)
	assert.ErrorIs(t, err, ErrBadInput)
	assert.ErrorContains(t, err, "more than 1000 values")
	_, err = c.client(t, nil).SubmitDataset(ctxT(t), ds, "stats", nil)
	assert.ErrorContains(t, err, "more than 1000 values")
	small := blobs(t, 500, 2, 2, 1, 1)
	_, err = c.client(t, nil).SubmitDataset(ctxT(t), small, "stats", nil)
	assert.NoError(t, err)
}

func TestHungWorkerTimesOut(t *testing.T) {
	g := &gate{entered: make(chan struct{}), open: make(chan struct{})}
	hung := NewRegistry(g)
	healthy := NewRegistry(&gate{Stats: Stats{}, entered: make(chan struct{}), open: closedChan()})
	cfg := DefaultConfig()
	cfg.Algorithms = healthy
	cfg.StepTimeout = 300 * time.Millisecond
	c := startCluster(t, cfg, healthy, hung)
	defer close(g.open)
	ds := blobs(t, 1000, 2, 2, 1, 1)
	res, err := c.client(t, nil).SubmitDataset(ctxT(t), ds, "stats", nil)
	require.NoError(t, err)
	want, err := RunLocal(context.Background(), ds, "stats", nil, LocalOptions{Shards: 2})
	require.NoError(t, err)
	assertSameAsLocal(t, want, res, "the healthy worker redid the hung worker's shard")
	require.Eventually(t, func() bool { return c.co.Workers() == 1 }, 5*time.Second, 5*time.Millisecond, "the hung worker is dropped")
}

func closedChan() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// TestStoppedWorkerIsReplaced is issue 17's attack on mlcluster: a worker
// stopped with SIGSTOP keeps its connection but never reads or answers.
// With the default configuration (StepTimeout used to default to none) the
// job waited for ever. Its step now misses its deadline (the 2 s floor plus
// the size at the assumed speed), the worker is dropped, its shard goes to
// the live worker, and the result is the one RunLocal gives.
func TestStoppedWorkerIsReplaced(t *testing.T) {
	c := startCluster(t, DefaultConfig(), nil)
	stopped, err := net.Dial("tcp", c.co.Addr())
	require.NoError(t, err)
	defer stopped.Close()
	require.NoError(t, writeFrame(stopped, fHello, encodeHello(roleWorker, "stopped")))
	require.Eventually(t, func() bool { return c.co.Workers() == 2 }, 5*time.Second, 5*time.Millisecond)

	ds := blobs(t, 2000, 3, 3, 1, 9)
	params := Params{"k": "3", "seed": "5"}
	start := time.Now()
	res, err := c.client(t, nil).SubmitDataset(ctxT(t), ds, "kmeans", params)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 15*time.Second)
	want, err := RunLocal(context.Background(), ds, "kmeans", params, LocalOptions{Shards: 2})
	require.NoError(t, err)
	assertSameAsLocal(t, want, res, "the live worker redid the stopped worker's shard")
	assert.Equal(t, 1, c.co.Workers(), "the stopped worker is dropped")
	requireEOF(t, stopped)
}

// requireEOF reads what the coordinator sent until it closed the connection.
func requireEOF(t *testing.T, conn net.Conn) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err := io.Copy(io.Discard, conn)
	require.NoError(t, err, "the coordinator closed the connection")
}

func TestStepDeadlineFollowsMeasuredSpeed(t *testing.T) {
	cfg := DefaultConfig()
	cfg.StepTimeout = time.Second
	co, err := New(cfg)
	require.NoError(t, err)
	defer co.Close()
	w1, w2, w3 := &workerConn{dead: make(chan struct{})}, &workerConn{dead: make(chan struct{})}, &workerConn{dead: make(chan struct{})}
	step := Step{Kind: "assign", Data: make([]float64, 40)} // k=10 centroids of 4 columns
	shards := Split(&Dataset{Rows: 1000, Cols: 4, Data: make([]float64, 4000)}, 2)
	work := stepWork(shards, []int{0, 1}, step)
	assert.Equal(t, 1000.0*40, work, "rows × max(cols², step data)")
	// Nothing measured: the prior.
	assert.Equal(t, time.Second+time.Duration(stepSlack*work/priorStepSpeed*1e9), co.stepDeadline(w1, "kmeans", step, work))
	// w1 did that work in 10 ms; w2 in 40 ms; an unmeasured worker is
	// assumed as slow as the slowest.
	co.recordSpeed(w1, "kmeans", step, work, 10*time.Millisecond)
	co.recordSpeed(w2, "kmeans", step, work, 40*time.Millisecond)
	assert.Equal(t, time.Second+80*time.Millisecond, co.stepDeadline(w1, "kmeans", step, work))
	assert.Equal(t, time.Second+320*time.Millisecond, co.stepDeadline(w3, "kmeans", step, work))
	// Another kind of step has its own speeds.
	assert.Equal(t, time.Second+time.Duration(stepSlack*work/priorStepSpeed*1e9), co.stepDeadline(w1, "kmeans", Step{Kind: "label", Data: step.Data}, work))
}

// TestHelloOfAnotherVersionIsRefused: a peer that speaks another version of
// the wire format is told so, with both versions, instead of being misread.
func TestHelloOfAnotherVersionIsRefused(t *testing.T) {
	c := startCluster(t, DefaultConfig())
	conn, err := net.Dial("tcp", c.co.Addr())
	require.NoError(t, err)
	defer conn.Close()
	var e enc
	e.u8(roleClient)
	e.u8(protocolVersion + 1)
	e.str("future")
	require.NoError(t, writeFrame(conn, fHello, e))
	re := readRemoteError(t, conn)
	assert.ErrorIs(t, re, ErrProtocol)
	assert.Contains(t, re.Error(), "protocol version 2; this side speaks version 1")
	requireEOF(t, conn)
}

func TestCoordinatorCapsConnections(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxConns = 2
	c := startCluster(t, cfg)
	for range 2 { // silent connections (within the hello timeout) fill the table
		conn, err := net.Dial("tcp", c.co.Addr())
		require.NoError(t, err)
		defer conn.Close()
	}
	require.Eventually(t, func() bool {
		conn, err := net.Dial("tcp", c.co.Addr())
		if err != nil {
			return false
		}
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		return errors.Is(err, io.EOF) // closed at once, not left to the hello timeout
	}, 5*time.Second, 10*time.Millisecond)
}

// TestStalledUploadIsRefused: a client that stops sending in the middle of
// its dataset holds the coordinator's connection for at most
// Config.UploadTimeout, and is told why.
func TestStalledUploadIsRefused(t *testing.T) {
	cfg := DefaultConfig()
	cfg.UploadTimeout = 200 * time.Millisecond
	c := startCluster(t, cfg, nil)
	conn, err := net.Dial("tcp", c.co.Addr())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, writeFrame(conn, fHello, encodeHello(roleClient, "")))
	require.NoError(t, writeFrame(conn, fSubmit, submitMsg{Algo: "stats", Name: "slow.csv"}.encode()))
	require.NoError(t, writeFrame(conn, fText, []byte("1,2\n3,")))
	re := readRemoteError(t, conn)
	assert.ErrorIs(t, re, ErrBadInput)
	assert.Contains(t, re.Error(), "the upload stalled: nothing arrived for 200ms")
	requireEOF(t, conn)
	assert.Zero(t, c.co.Jobs())
}

// readRemoteError reads the next frame from conn (within 5 s) and requires
// it to be an error frame.
func readRemoteError(t *testing.T, conn net.Conn) *RemoteError {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	typ, payload, err := readFrame(conn, 1<<16)
	require.NoError(t, err)
	require.Equal(t, fError, typ)
	re, err := decodeError(payload)
	require.NoError(t, err)
	return re
}
