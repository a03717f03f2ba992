package matrix

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/fakeclock"
	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// testCluster starts a coordinator and n workers with small cutoffs.
func testCluster(t *testing.T, n int, edit func(*LocalConfig)) *LocalCluster {
	t.Helper()
	cfg := DefaultLocalConfig()
	cfg.Workers = n
	cfg.Worker.Cutoff = 8
	cfg.Worker.HeartbeatInterval = 50 * time.Millisecond
	cfg.Coordinator.SweepInterval = 20 * time.Millisecond
	if edit != nil {
		edit(&cfg)
	}
	l, err := StartLocal(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, l.Close()) })
	return l
}

func testClient(t *testing.T, addr string, edit func(*ClientConfig)) *Client {
	t.Helper()
	cfg := DefaultClientConfig(addr)
	cfg.MinDistribute = 4
	cfg.Cutoff = 8
	if edit != nil {
		edit(&cfg)
	}
	c, err := NewClient(cfg)
	require.NoError(t, err)
	return c
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func requireProduct(t *testing.T, a, b, got *mat.Dense) {
	t.Helper()
	require.NotNil(t, got)
	want := mulLeaf(a, b)
	wr, wc := want.Dims()
	gr, gc := got.Dims()
	require.Equal(t, [2]int{wr, wc}, [2]int{gr, gc})
	assert.LessOrEqual(t, MaxAbsDiff(got, want), tolerance(a, b))
}

// multiplyChecked multiplies random m×k and k×n matrices (from the PCG
// seeded with seed, seed+1) on c, requires the right product, and returns
// the report.
func multiplyChecked(t *testing.T, c *Client, ctx context.Context, seed uint64, m, k, n int) Report {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	a, b := randDense(rng, m, k), randDense(rng, k, n)
	got, rep, err := c.MultiplyReport(ctx, a, b)
	require.NoError(t, err)
	requireProduct(t, a, b, got)
	return rep
}

func TestMultiplyOnSevenWorkers(t *testing.T) {
	l := testCluster(t, 7, nil)
	var statuses, products atomic.Int64
	var last atomic.Int64
	c := testClient(t, l.Addr(), func(cfg *ClientConfig) {
		cfg.OnStatus = func(Status) { statuses.Add(1) }
		cfg.OnProduct = func(done int) {
			products.Add(1)
			for v := last.Load(); int64(done) > v && !last.CompareAndSwap(v, int64(done)); v = last.Load() {
			}
		}
	})
	rng := rand.New(rand.NewPCG(11, 12))
	for _, s := range [][3]int{{64, 64, 64}, {33, 50, 47}, {9, 9, 9}, {40, 17, 61}} {
		a, b := randDense(rng, s[0], s[1]), randDense(rng, s[1], s[2])
		last.Store(0)
		got, rep, err := c.MultiplyReport(ctxFor(t, 20*time.Second), a, b)
		require.NoError(t, err)
		requireProduct(t, a, b, got)
		assert.Equal(t, int64(7), last.Load(), "OnProduct counted the seven products")
		assert.False(t, rep.Local, rep.Reason)
		assert.Len(t, rep.Lease.Peers, 7)
		assert.Zero(t, rep.Redispatched)
		assert.Positive(t, rep.Total())
	}
	var tasks int64
	for _, w := range l.Workers {
		tasks += w.Stats().Tasks
	}
	assert.Equal(t, int64(4*7), tasks, "every product went to a worker")
	require.Eventually(t, func() bool { _, free, _ := l.Coordinator.Registry().Counts(); return free == 7 },
		5*time.Second, 5*time.Millisecond, "the lease is released after each multiply")
	assert.Zero(t, statuses.Load(), "seven free peers: granted at once, no waiting status")
	assert.Equal(t, int64(4*7), products.Load())
}

func TestMultiplySmallOperandsStayLocal(t *testing.T) {
	c := testClient(t, "127.0.0.1:1", func(cfg *ClientConfig) { cfg.MinDistribute = 64 })
	rep := multiplyChecked(t, c, context.Background(), 13, 20, 20, 20)
	assert.True(t, rep.Local)
	assert.Contains(t, rep.Reason, "MinDistribute")
}

func TestMultiplyFallsBackLocallyWhenPeersAreScarce(t *testing.T) {
	l := testCluster(t, 3, nil) // fewer than seven
	var mu sync.Mutex
	var seen []Status
	c := testClient(t, l.Addr(), func(cfg *ClientConfig) {
		cfg.AcquireTimeout = 150 * time.Millisecond
		cfg.OnStatus = func(s Status) { mu.Lock(); seen = append(seen, s); mu.Unlock() }
	})
	rep := multiplyChecked(t, c, ctxFor(t, 10*time.Second), 15, 30, 30, 30)
	assert.True(t, rep.Local)
	assert.Contains(t, rep.Reason, "deadline exceeded")
	mu.Lock()
	require.NotEmpty(t, seen, "status updates while waiting")
	assert.Equal(t, Status{Position: 1, Waiting: 1, Free: 3, Peers: 3}, seen[0])
	mu.Unlock()
	require.Eventually(t, func() bool { _, _, w := l.Coordinator.Registry().Counts(); return w == 0 },
		5*time.Second, 5*time.Millisecond, "the abandoned request leaves the queue")

	// No coordinator at all: local as well.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	rep = multiplyChecked(t, testClient(t, dead, nil), ctxFor(t, 10*time.Second), 15, 30, 30, 30)
	assert.True(t, rep.Local)
	assert.Contains(t, rep.Reason, "connection refused")
}

// crashingPeer registers with the coordinator like a worker, then dies in the
// middle of every task it receives: it reads part of the frame and hangs up.
type crashingPeer struct {
	ln   net.Listener
	reg  net.Conn
	hits chan struct{}
	wg   sync.WaitGroup
}

func startCrashingPeer(t *testing.T, coordinator string) *crashingPeer {
	return startBadPeer(t, coordinator, false)
}

// startBadPeer registers a peer that crashes mid-task, or (hang) reads the
// whole task and never answers.
func startBadPeer(t *testing.T, coordinator string, hang bool) *crashingPeer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	reg, err := net.Dial("tcp", coordinator)
	require.NoError(t, err)
	require.NoError(t, NewEncoder(reg).Encode(&RegisterMsg{Addr: ln.Addr().String()}))
	m, err := NewDecoder(reg, DefaultLimits()).Decode()
	require.NoError(t, err)
	require.Equal(t, &OKMsg{}, m)
	p := &crashingPeer{ln: ln, reg: reg, hits: make(chan struct{}, 16)}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			p.hits <- struct{}{}
			if hang {
				p.wg.Add(1)
				go func() { // swallow everything until the client gives up
					defer p.wg.Done()
					_, _ = io.Copy(io.Discard, conn)
					_ = conn.Close()
				}()
				continue
			}
			_, _ = io.ReadFull(conn, make([]byte, 100))
			_ = conn.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); _ = reg.Close(); p.wg.Wait() })
	return p
}

func TestWorkerDyingMidTaskIsRedispatched(t *testing.T) {
	l := testCluster(t, 6, func(cfg *LocalConfig) { cfg.Coordinator.Registry.HeartbeatTimeout = time.Minute })
	p := startCrashingPeer(t, l.Addr())
	c := testClient(t, l.Addr(), nil)
	rep := multiplyChecked(t, c, ctxFor(t, 20*time.Second), 17, 48, 48, 48)
	assert.Contains(t, rep.Lease.Peers, p.ln.Addr().String())
	assert.Len(t, p.hits, 1, "the crashing peer got one task and no second chance")
	assert.Equal(t, 1, rep.Redispatched)
	assert.Zero(t, rep.LocalRetries)
}

func TestHungWorkerTimesOutAndIsRedispatched(t *testing.T) {
	l := testCluster(t, 6, func(cfg *LocalConfig) { cfg.Coordinator.Registry.HeartbeatTimeout = time.Minute })
	p := startBadPeer(t, l.Addr(), true)
	c := testClient(t, l.Addr(), func(cfg *ClientConfig) { cfg.TaskTimeout = 300 * time.Millisecond })
	rep := multiplyChecked(t, c, ctxFor(t, 20*time.Second), 33, 20, 20, 20)
	assert.Contains(t, rep.Lease.Peers, p.ln.Addr().String())
	assert.Equal(t, 1, rep.Redispatched)
	assert.Len(t, p.hits, 1)
}

func TestRealWorkerKilledMidTask(t *testing.T) {
	l := testCluster(t, 7, nil)
	// One more worker that stops its own Run as soon as a task arrives.
	wctx, kill := context.WithCancel(context.Background())
	defer kill()
	wc := DefaultWorkerConfig(l.Addr())
	wc.HeartbeatInterval = 50 * time.Millisecond
	wc.OnTask = func(TaskInfo) { kill() }
	victim, err := NewWorker(wc)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- victim.Run(wctx) }()
	require.Eventually(t, func() bool { n, _, _ := l.Coordinator.Registry().Counts(); return n == 8 }, 5*time.Second, 5*time.Millisecond)

	// Hold all but six real workers so that the victim is in the next lease.
	c := testClient(t, l.Addr(), nil)
	hold, err := c.Acquire(ctxFor(t, 5*time.Second), 1)
	require.NoError(t, err)
	require.NotContains(t, hold.Peers, victim.Addr())
	rep := multiplyChecked(t, c, ctxFor(t, 20*time.Second), 19, 40, 56, 36)
	assert.Contains(t, rep.Lease.Peers, victim.Addr())
	assert.Equal(t, 1, rep.Redispatched)
	require.NoError(t, <-done)
	assert.Zero(t, victim.Stats().Tasks, "the victim never answered")
	require.Eventually(t, func() bool { n, _, _ := l.Coordinator.Registry().Counts(); return n == 7 },
		5*time.Second, 5*time.Millisecond, "the dead worker leaves the table")
	require.NoError(t, c.Release(context.Background(), hold.ID))
}

// startCoordinator runs a bare coordinator for the test.
func startCoordinator(t *testing.T, edit func(*CoordinatorConfig)) *Coordinator {
	t.Helper()
	cfg := DefaultCoordinatorConfig()
	cfg.SweepInterval = 20 * time.Millisecond
	return serve(t, cfg, edit, NewCoordinator)
}

// serve makes a component from cfg, changed by edit (when not nil), and
// runs it until the test ends.
func serve[C any, T interface{ Run(context.Context) error }](t *testing.T, cfg C, edit func(*C), newT func(C) (T, error)) T {
	t.Helper()
	if edit != nil {
		edit(&cfg)
	}
	return testutil.ServeN(t, 1, func() (T, error) { return newT(cfg) })[0]
}

func TestEveryPeerFailingMeansLocalProducts(t *testing.T) {
	co := startCoordinator(t, nil)
	for range 7 {
		startCrashingPeer(t, co.Addr())
	}
	c := testClient(t, co.Addr(), nil)
	rep := multiplyChecked(t, c, ctxFor(t, 20*time.Second), 21, 24, 30, 26)
	assert.False(t, rep.Local)
	assert.GreaterOrEqual(t, rep.Redispatched, 7, "every peer failed at least once")
	assert.Equal(t, 7, rep.LocalRetries, "with no peer left, every product is computed locally")
}

func TestContentionThreeClientsEightWorkers(t *testing.T) {
	l := testCluster(t, 8, nil)
	reg := l.Coordinator.Registry()
	clients := make([]*Client, 3)
	for i := range clients {
		clients[i] = testClient(t, l.Addr(), func(cfg *ClientConfig) {
			cfg.Holder = fmt.Sprintf("c%d", i+1)
			cfg.AcquireTimeout = 30 * time.Second // never give up: we test the queue
		})
	}

	// FIFO over TCP: c1 holds seven; c2, c3 and c1 again queue in that order.
	first, err := clients[0].Acquire(ctxFor(t, 5*time.Second), 7)
	require.NoError(t, err)
	type grant struct {
		who   int
		lease Lease
	}
	grants := make(chan grant, 3)
	for k, who := range []int{1, 2, 0} {
		go func() {
			l, err := clients[who].Acquire(ctxFor(t, 20*time.Second), 7)
			assert.NoError(t, err)
			grants <- grant{who, l}
		}()
		require.Eventually(t, func() bool { _, _, w := reg.Counts(); return w == k+1 }, 5*time.Second, time.Millisecond)
	}
	release := first.ID
	var order []int
	for range 3 {
		require.NoError(t, clients[0].Release(ctxFor(t, 5*time.Second), release))
		g := <-grants
		assert.Len(t, g.lease.Peers, 7)
		order = append(order, g.who)
		release = g.lease.ID
	}
	require.NoError(t, clients[0].Release(ctxFor(t, 5*time.Second), release))
	assert.Equal(t, []int{1, 2, 0}, order, "granted in the order requested")

	// No starvation: three clients multiplying at once all finish, on peers.
	rng := rand.New(rand.NewPCG(23, 24))
	a, b := randDense(rng, 32, 32), randDense(rng, 32, 32)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				got, rep, err := c.MultiplyReport(ctxFor(t, 30*time.Second), a, b)
				if assert.NoError(t, err, "client %d", i) {
					requireProduct(t, a, b, got)
					assert.False(t, rep.Local, "client %d fell back: %s", i, rep.Reason)
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 4+9, reg.Stats().Granted)
}

func TestClientKilledHoldingLeaseGetsPeersBackOnExpiry(t *testing.T) {
	l := testCluster(t, 7, nil)
	reg := l.Coordinator.Registry()
	// A client acquires with a short lease and dies without releasing.
	conn, err := net.Dial("tcp", l.Addr())
	require.NoError(t, err)
	require.NoError(t, NewEncoder(conn).Encode(&AcquireMsg{N: 7, TTL: 300 * time.Millisecond, Holder: "doomed"}))
	m, err := NewDecoder(conn, DefaultLimits()).Decode()
	require.NoError(t, err)
	g := m.(*GrantMsg)
	require.NoError(t, conn.Close())
	assert.Equal(t, "doomed", reg.Snapshot()[0].Holder)

	c := testClient(t, l.Addr(), nil)
	start := time.Now()
	lease, err := c.Acquire(ctxFor(t, 10*time.Second), 7)
	require.NoError(t, err, "the peers came back")
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond, "not before the lease ran out")
	assert.NotEqual(t, g.ID, lease.ID)
	assert.Equal(t, 1, reg.Stats().Expired)
	assert.ErrorIs(t, c.Release(ctxFor(t, 5*time.Second), g.ID), ErrRemote, "the dead client's lease is gone")
	require.NoError(t, c.Release(ctxFor(t, 5*time.Second), lease.ID))
}

func TestLongMultiplyRenewsItsLease(t *testing.T) {
	// The registry runs on a fake clock that moves only when the test says:
	// each round moves it 700 ms, under the 1 s lease, then waits (in real
	// time) for a renewal. After three rounds the lease has outlived
	// its TTL, kept only by renewals, however slow the machine is. (Wall
	// clock alone, a 150 ms lease renewed every 50 ms expired 2 times in 20
	// under -race on a loaded 2-core machine.)
	clk := fakeclock.New(time.Unix(1_000_000, 0))
	release := make(chan struct{})
	l := testCluster(t, 7, func(cfg *LocalConfig) {
		cfg.Coordinator.Registry.Now = clk.Now
		cfg.Coordinator.Registry.HeartbeatTimeout = time.Minute
		cfg.Worker.OnTask = func(TaskInfo) { <-release } // a slow worker, until the rounds are done
	})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the cluster's Close
	// No backups: the tasks wait for the test, not for a deadline.
	c := testClient(t, l.Addr(), func(cfg *ClientConfig) { cfg.LeaseTTL, cfg.TaskTimeout = time.Second, time.Minute })
	reg := l.Coordinator.Registry()
	lease := func() (id uint64, expires time.Time) {
		for _, p := range reg.Snapshot() {
			if p.State == PeerLeased {
				return p.LeaseID, p.Expires
			}
		}
		return 0, time.Time{}
	}
	rng := rand.New(rand.NewPCG(25, 26))
	a, b := randDense(rng, 16, 16), randDense(rng, 16, 16)
	type result struct {
		m   *mat.Dense
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := c.Multiply(ctxFor(t, 60*time.Second), a, b)
		done <- result{m, err}
	}()
	var id uint64
	require.Eventually(t, func() bool { id, _ = lease(); return id != 0 }, 10*time.Second, 5*time.Millisecond)
	for round := range 3 {
		_, before := lease() // the clock's now + 1 s: granted or renewed since it last moved
		clk.Advance(700 * time.Millisecond)
		require.Eventually(t, func() bool {
			got, expires := lease()
			return got == id && expires.After(before)
		}, 10*time.Second, 5*time.Millisecond, "round %d: the lease was renewed", round)
	}
	free()
	r := <-done
	require.NoError(t, r.err)
	requireProduct(t, a, b, r.m)
	assert.Zero(t, reg.Stats().Expired, "renewals kept the lease alive")
}

func rawCall(t *testing.T, conn net.Conn, raw []byte) Message {
	t.Helper()
	_, err := conn.Write(raw)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	m, err := NewDecoder(conn, DefaultLimits()).Decode()
	require.NoError(t, err)
	return m
}

func TestCoordinatorAnswersBadInputAndKeepsServing(t *testing.T) {
	co := startCoordinator(t, func(cfg *CoordinatorConfig) { cfg.Limits.MaxControl = 1024 })
	dial := func() net.Conn {
		conn, err := net.Dial("tcp", co.Addr())
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	huge := []byte{Version, byte(MsgAcquire)}
	huge = binary.LittleEndian.AppendUint64(huge, 1<<30)
	cases := []struct {
		raw  []byte
		text string
	}{
		{[]byte("hello, is this HTTP?\r\n\r\n"), "frame of protocol version 104 (0x68)"},
		{huge, "acquire frame body of 1073741824 bytes exceeds the limit of 1024"},
		{frame(MsgAcquire, []byte{7, 0}), "body ends inside TTL"},
		{frame(MsgTask, taskBody(2, 3, 4, 1, 32)), "A is 2×3 but B is 4×1"},
		{frame(MsgResult, nil), "body ends inside id"},
		{encode(t, &HeartbeatMsg{}), "does not accept heartbeat frames"},
		{encode(t, &ReleaseMsg{LeaseID: 99}), "unknown or expired lease: lease 99"},
		{encode(t, &RegisterMsg{Addr: "no port"}), "bad address"},
	}
	for _, tc := range cases {
		m := rawCall(t, dial(), tc.raw)
		require.IsType(t, &ErrorMsg{}, m)
		assert.Contains(t, m.(*ErrorMsg).Text, tc.text)
	}
	// A well-framed bad request leaves the connection usable.
	conn := dial()
	assert.IsType(t, &ErrorMsg{}, rawCall(t, conn, encode(t, &RenewMsg{LeaseID: 5})))
	assert.IsType(t, &ErrorMsg{}, rawCall(t, conn, encode(t, &OKMsg{})))
	// And the coordinator still serves.
	require.NoError(t, co.Registry().Register("127.0.0.1:9"))
	lease, err := testClient(t, co.Addr(), nil).Acquire(ctxFor(t, 5*time.Second), 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"127.0.0.1:9"}, lease.Peers)
}

func TestWorkerAnswersBadTasksAndKeepsServing(t *testing.T) {
	w := startWorker(t, func(wc *WorkerConfig) { wc.Limits = Limits{MaxDim: 100, MaxElements: 2500, MaxControl: 1024} })

	conn, err := net.Dial("tcp", w.Addr())
	require.NoError(t, err)
	defer conn.Close()
	for _, tc := range []struct {
		raw  []byte
		text string
	}{
		{frame(MsgTask, taskBody(200, 1, 1, 1, 8)[:17]), "A is 200×1, over the limit of 100"},
		{frame(MsgTask, taskBody(2, 3, 4, 1, 32)), "A is 2×3 but B is 4×1"},
		{encode(t, &OKMsg{}), "accepts task frames, not ok"},
	} {
		m := rawCall(t, conn, tc.raw)
		require.IsType(t, &ErrorMsg{}, m)
		assert.Contains(t, m.(*ErrorMsg).Text, tc.text)
	}
	// The same connection still multiplies.
	rng := rand.New(rand.NewPCG(27, 28))
	a, b := randDense(rng, 5, 4), randDense(rng, 4, 3)
	m := rawCall(t, conn, encode(t, &TaskMsg{ID: 3, Depth: 1, A: a, B: b}))
	require.IsType(t, &ResultMsg{}, m)
	assert.Equal(t, uint64(3), m.(*ResultMsg).ID)
	requireProduct(t, a, b, m.(*ResultMsg).C)
	assert.Equal(t, WorkerStats{Tasks: 1, Errors: 3, DeepestHop: 1}, w.Stats())

	_, err = testClient(t, "127.0.0.1:1", nil).Multiply(context.Background(), a, a)
	require.ErrorIs(t, err, ErrShape)
	assert.ErrorContains(t, err, "A is 5×4 but B is 5×4")
}

func TestPeersLeaveOnDisconnectAndMissedHeartbeats(t *testing.T) {
	// The registry's clock moves only when the test says, and only the
	// test sweeps: a loaded machine under -race cannot delay a heartbeat
	// past the timeout. (The connection's read deadline is HeartbeatTimeout
	// of real time: a minute, far past the test.)
	clk := fakeclock.New(time.Unix(1_000_000, 0))
	co := startCoordinator(t, func(cfg *CoordinatorConfig) {
		cfg.Registry.Now = clk.Now
		cfg.Registry.HeartbeatTimeout = time.Minute
		cfg.SweepInterval = time.Hour
	})
	reg := co.Registry()
	register := func(addr string) net.Conn {
		conn, err := net.Dial("tcp", co.Addr())
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		assert.Equal(t, &OKMsg{}, rawCall(t, conn, encode(t, &RegisterMsg{Addr: addr})))
		return conn
	}
	quitter := register("127.0.0.1:1001")
	register("127.0.0.1:1002") // stays connected but never heartbeats
	beating := register("127.0.0.1:1003")
	n, _, _ := reg.Counts()
	require.Equal(t, 3, n)
	require.NoError(t, quitter.Close())
	require.Eventually(t, func() bool { n, _, _ := reg.Counts(); return n == 2 }, 5*time.Second, 5*time.Millisecond)
	clk.Advance(40 * time.Second)
	assert.Equal(t, &OKMsg{}, rawCall(t, beating, encode(t, &HeartbeatMsg{})))
	assert.Empty(t, reg.Sweep().Removed, "40 s of silence is under the timeout")
	clk.Advance(30 * time.Second) // 1002 silent for 70 s, 1003 for 30 s
	assert.Equal(t, []string{"127.0.0.1:1002"}, reg.Sweep().Removed)
	s := reg.Snapshot()
	require.Len(t, s, 1, "the silent peer is removed, the beating one stays")
	assert.Equal(t, "127.0.0.1:1003", s[0].Addr)
	assert.Equal(t, clk.Now().Add(-30*time.Second), s[0].LastSeen, "its heartbeat was seen")
}

func TestWorkersDistributeOneLevelDeeperWithBoundedDepth(t *testing.T) {
	var mu sync.Mutex
	received := map[int]int{} // tasks the workers received, by depth
	l := testCluster(t, 14, func(cfg *LocalConfig) {
		cfg.Worker.DistributeAbove = 8
		cfg.Worker.MaxDepth = 2
		cfg.Worker.AcquireTimeout = 2 * time.Second
		cfg.Worker.OnTask = func(ti TaskInfo) { mu.Lock(); received[ti.Depth]++; mu.Unlock() }
	})
	c := testClient(t, l.Addr(), nil)
	rep := multiplyChecked(t, c, ctxFor(t, 30*time.Second), 29, 64, 64, 64)
	assert.False(t, rep.Local)
	var forwarded, tasks, deepest int64
	// A try that was late and lost to its backup (on a loaded machine) may
	// still be computing: wait until every task received was answered.
	require.Eventually(t, func() bool {
		forwarded, tasks, deepest = 0, 0, 0
		for _, w := range l.Workers {
			s := w.Stats()
			forwarded += s.Forwarded
			tasks += s.Tasks
			deepest = max(deepest, s.DeepestHop)
		}
		mu.Lock()
		defer mu.Unlock()
		return tasks == int64(received[1]+received[2])
	}, 20*time.Second, 5*time.Millisecond, "every task received at depth 1 or 2 was answered")
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, received, 2, "tasks only at depths 1 and 2: %v", received)
	assert.Equal(t, int64(2), deepest, "no task goes below MaxDepth")
	assert.Positive(t, forwarded, "at least one product went one level deeper")
	// Each product reached a worker, and each forwarded one sent its seven
	// products one level deeper; a late try raced by a backup adds a task.
	assert.LessOrEqual(t, forwarded, int64(received[1]))
	assert.GreaterOrEqual(t, received[1], 7)
	assert.GreaterOrEqual(t, int64(received[2]), 7*forwarded)
	if rep.TimedOut == 0 && rep.Redispatched == 0 {
		assert.Equal(t, 7, received[1], "no backups: one task per product")
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	cc := DefaultCoordinatorConfig()
	cc.SweepInterval = -1
	_, err := NewCoordinator(cc)
	assert.ErrorContains(t, err, "CoordinatorConfig.SweepInterval")
	cc = DefaultCoordinatorConfig()
	cc.Registry.LeaseTTL = -1
	_, err = NewCoordinator(cc)
	assert.ErrorContains(t, err, "CoordinatorConfig.Registry.LeaseTTL")
	cc = DefaultCoordinatorConfig()
	cc.Limits.MaxDim = -1
	_, err = NewCoordinator(cc)
	assert.ErrorContains(t, err, "CoordinatorConfig.Limits.MaxDim")

	wc := DefaultWorkerConfig("")
	wc.Cutoff = -1
	_, err = NewWorker(wc)
	assert.ErrorContains(t, err, "WorkerConfig.Cutoff")
	wc = DefaultWorkerConfig("")
	wc.DistributeAbove = 10
	_, err = NewWorker(wc)
	assert.ErrorContains(t, err, "WorkerConfig.DistributeAbove needs WorkerConfig.Coordinator")

	_, err = NewClient(DefaultClientConfig(""))
	assert.ErrorContains(t, err, "ClientConfig.Coordinator")
	ccfg := DefaultClientConfig("x:1")
	ccfg.AcquireTimeout = -1
	_, err = NewClient(ccfg)
	assert.ErrorContains(t, err, "ClientConfig.AcquireTimeout")

	_, err = StartLocal(context.Background(), LocalConfig{Workers: -1})
	assert.ErrorContains(t, err, "LocalConfig.Workers")
}

// TestZeroConfigMeansDefault: a zero field means its default, as in
// net/http, so a zero config (plus what is required) is the default one.
func TestZeroConfigMeansDefault(t *testing.T) {
	assert.Equal(t, DefaultLimits(), Limits{}.withDefaults())
	assert.Equal(t, DefaultRegistryConfig(), RegistryConfig{}.withDefaults())
	assert.Equal(t, DefaultCoordinatorConfig(), CoordinatorConfig{}.withDefaults())
	assert.Equal(t, DefaultClientConfig("x:1"), ClientConfig{Coordinator: "x:1"}.withDefaults())
	local := DefaultLocalConfig()
	local.Coordinator, local.Worker = CoordinatorConfig{}, WorkerConfig{} // the components fill their own
	assert.Equal(t, local, LocalConfig{}.withDefaults())
	assert.Equal(t, DefaultWorkerConfig("x:1"), WorkerConfig{Coordinator: "x:1"}.withDefaults())
	// A nested config that is partly set keeps what is set and takes the rest.
	co := CoordinatorConfig{Limits: Limits{MaxDim: 9}}.withDefaults()
	assert.Equal(t, 9, co.Limits.MaxDim)
	assert.Equal(t, DefaultLimits().MaxElements, co.Limits.MaxElements)
	// A field set stays as set; a longer lease raises the default maximum.
	assert.Equal(t, time.Hour, RegistryConfig{LeaseTTL: time.Hour}.withDefaults().MaxLeaseTTL)
	assert.Equal(t, 7*time.Millisecond, CoordinatorConfig{SweepInterval: 7 * time.Millisecond}.withDefaults().SweepInterval)
}

func TestCompareAgainstGonum(t *testing.T) {
	l := testCluster(t, 7, nil)
	rng := rand.New(rand.NewPCG(31, 32))
	a, b := RandomDense(rng, 50, 40), RandomDense(rng, 40, 30)
	cmp, err := Compare(ctxFor(t, 20*time.Second), testClient(t, l.Addr(), nil), a, b)
	require.NoError(t, err)
	assert.False(t, cmp.Report.Local)
	assert.Positive(t, cmp.Distributed)
	assert.Positive(t, cmp.Gonum)
	assert.Positive(t, cmp.Ratio())
	assert.InDelta(t, 1e-9*40*maxAbs(a)*maxAbs(b), cmp.Bound, 1e-20)
	assert.LessOrEqual(t, cmp.MaxAbsDiff, cmp.Bound)

	_, err = Compare(context.Background(), testClient(t, l.Addr(), nil), a, a)
	assert.ErrorIs(t, err, ErrShape)
}

func TestWorkerRegistersAgainAfterBeingDropped(t *testing.T) {
	l := testCluster(t, 1, nil)
	reg := l.Coordinator.Registry()
	w := l.Workers[0]
	require.True(t, w.Registered())
	require.True(t, reg.Remove(w.Addr())) // e.g. the coordinator thought it silent
	// Its next heartbeat is refused; it reconnects and registers again.
	require.Eventually(t, func() bool {
		s := reg.Snapshot()
		return len(s) == 1 && s[0].Addr == w.Addr() && w.Registered()
	}, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, 1, reg.Stats().Removed)
}

// TestProductBombIsRefusedAndWorkerKeepsServing is the attack of issue 17:
// A 65536×1 times B 1×65536 is 1 MiB on the wire but a 32 GiB product. A
// worker with the default limits refuses it before allocating the product
// and answers the next task on the same connection.
func TestProductBombIsRefusedAndWorkerKeepsServing(t *testing.T) {
	w := startWorker(t, nil)

	conn, err := net.Dial("tcp", w.Addr())
	require.NoError(t, err)
	defer conn.Close()
	bomb := &TaskMsg{ID: 1, Depth: 1, A: mat.NewDense(1<<16, 1, nil), B: mat.NewDense(1, 1<<16, nil)}
	raw := encode(t, bomb)
	require.Less(t, len(raw), 2<<20, "the bomb is small on the wire")
	m := rawCall(t, conn, raw)
	require.IsType(t, &ErrorMsg{}, m)
	text := m.(*ErrorMsg).Text
	assert.Contains(t, text, ErrTooLarge.Error())
	assert.Contains(t, text, "the product of 65536×1 by 1×65536 is 65536×65536 = 4294967296 elements (32.0 GiB)")

	rng := rand.New(rand.NewPCG(41, 42))
	a, b := randDense(rng, 6, 5), randDense(rng, 5, 4)
	m = rawCall(t, conn, encode(t, &TaskMsg{ID: 3, Depth: 1, A: a, B: b}))
	require.IsType(t, &ResultMsg{}, m, "the worker survived and still multiplies on the same connection")
	requireProduct(t, a, b, m.(*ResultMsg).C)
	assert.Equal(t, WorkerStats{Tasks: 1, Errors: 1, DeepestHop: 1}, w.Stats())
}

func TestDecoderBoundsTheProduct(t *testing.T) {
	lim := Limits{MaxDim: 64, MaxElements: 1024, MaxControl: 256}
	// 64×2 by 2×64: each operand 128 elements, the product 4096.
	in := append(frame(MsgTask, taskBody(64, 2, 2, 64, 8*128)), encode(t, &OKMsg{})...)
	dec := NewDecoder(bytes.NewReader(in), lim)
	_, err := dec.Decode()
	require.ErrorIs(t, err, ErrTooLarge)
	assert.ErrorContains(t, err, "64×64 = 4096 elements (32.0 KiB), over the limit of 1024")
	require.True(t, dec.InSync())
	m, err := dec.Decode()
	require.NoError(t, err)
	assert.Equal(t, &OKMsg{}, m)

	// 33×1 by 1×31 is 1023 elements, inside a limit of 1023, but Strassen
	// pads the product to 34×32 = 1088.
	lim.MaxElements = 1023
	_, err = NewDecoder(bytes.NewReader(frame(MsgTask, taskBody(33, 1, 1, 31, 8*31))), lim).Decode()
	require.ErrorIs(t, err, ErrTooLarge)
	assert.ErrorContains(t, err, "the product padded for Strassen is 34×32 = 1088 elements")
}

func TestClientKeepsBlocksTheWorkersWouldRefuseLocal(t *testing.T) {
	c := testClient(t, "127.0.0.1:1", func(cfg *ClientConfig) {
		cfg.Limits = Limits{MaxDim: 64, MaxElements: 100, MaxControl: 1024}
	})
	rep := multiplyChecked(t, c, context.Background(), 43, 24, 8, 24) // 12×12 blocks: 144 elements
	assert.True(t, rep.Local)
	assert.Contains(t, rep.Reason, "blocks too large for the workers")
}

// startStoppedPeer registers a peer that behaves like a worker process
// stopped with SIGSTOP: the kernel completes its connections (they wait in
// the listen backlog), but nothing ever reads a byte or answers, and it
// sends no more heartbeats.
func startStoppedPeer(t *testing.T, coordinator string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	reg, err := net.Dial("tcp", coordinator)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close(); _ = reg.Close() })
	assert.Equal(t, &OKMsg{}, rawCall(t, reg, encode(t, &RegisterMsg{Addr: ln.Addr().String()})))
	return ln.Addr().String()
}

// TestStoppedWorkerMissesItsDeadline is the attack of issue 17: with one
// of seven workers stopped, the multiply used to wait forever. Its task now
// misses its deadline, goes to another worker, the stopped peer leaves the
// lease and the table, and the product is right.
func TestStoppedWorkerMissesItsDeadline(t *testing.T) {
	l := testCluster(t, 6, func(cfg *LocalConfig) {
		cfg.Coordinator.Registry.HeartbeatTimeout = time.Minute
		cfg.Worker.Cutoff = DefaultCutoff // gonum's speed, which the first deadline assumes
	})
	stopped := startStoppedPeer(t, l.Addr())
	c := testClient(t, l.Addr(), func(cfg *ClientConfig) {
		cfg.TaskTimeout = 300 * time.Millisecond
		// A product that falls back to this client is computed at gonum's
		// speed too: with testClient's cutoff of 8, a 300×300 block takes
		// minutes under -race.
		cfg.Cutoff = DefaultCutoff
	})
	rng := rand.New(rand.NewPCG(45, 46))
	// Large enough that the operands do not fit in the socket buffers of a
	// peer that never reads: the send itself must time out.
	a, b := randDense(rng, 600, 600), randDense(rng, 600, 600)
	start := time.Now()
	got, rep, err := c.MultiplyReport(ctxFor(t, 60*time.Second), a, b)
	require.NoError(t, err)
	requireProduct(t, a, b, got)
	assert.Less(t, time.Since(start), 30*time.Second)
	require.Contains(t, rep.Lease.Peers, stopped)
	// On a loaded machine a live worker may also pass its deadline and be
	// raced by a backup; the stopped one always does, and always loses.
	assert.GreaterOrEqual(t, rep.TimedOut, 1)
	assert.GreaterOrEqual(t, rep.Redispatched, 1)
	assert.Contains(t, rep.Dropped, stopped)
	reg := l.Coordinator.Registry()
	assert.GreaterOrEqual(t, reg.Stats().Dropped, 1)
	for _, p := range reg.Snapshot() {
		assert.NotEqual(t, stopped, p.Addr, "the stopped peer left the table")
	}
	// The next multiply is never granted the stopped peer (at most six
	// workers are left, or fewer while a dropped live one registers again).
	c2 := testClient(t, l.Addr(), func(cfg *ClientConfig) { cfg.AcquireTimeout = 100 * time.Millisecond })
	small := randDense(rng, 16, 16)
	_, rep, err = c2.MultiplyReport(ctxFor(t, 30*time.Second), small, small)
	require.NoError(t, err)
	assert.True(t, rep.Local, "granted %v", rep.Lease.Peers)
}

// TestMultiplyReturnsItsContextsError: a multiply whose context ends while
// its tasks run returns the context's error, not that of the tries it
// aborted (their connections closed under them).
func TestMultiplyReturnsItsContextsError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	var received atomic.Int32
	l := testCluster(t, 7, func(cfg *LocalConfig) {
		cfg.Worker.OnTask = func(TaskInfo) {
			if received.Add(1) == 7 {
				cancel() // every product is on a worker
			}
			<-release
		}
	})
	t.Cleanup(func() { close(release) }) // before the cluster's Close
	c := testClient(t, l.Addr(), func(cfg *ClientConfig) { cfg.TaskTimeout = time.Minute })
	rng := rand.New(rand.NewPCG(51, 52))
	a := randDense(rng, 16, 16)
	_, err := c.Multiply(ctx, a, a)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, err.Error(), "closed network connection")
}

// TestLateWorkersAreRacedNotAbandoned: when every deadline is far too
// short (every worker takes 100 ms, the deadline is about 1 ms), each late
// try is raced by a backup and the product still comes back, right, from
// whichever answers first (here, the client's own computation).
func TestLateWorkersAreRacedNotAbandoned(t *testing.T) {
	l := testCluster(t, 7, func(cfg *LocalConfig) {
		cfg.Worker.OnTask = func(TaskInfo) { time.Sleep(100 * time.Millisecond) }
	})
	c := testClient(t, l.Addr(), func(cfg *ClientConfig) { cfg.TaskTimeout = time.Millisecond })
	rep := multiplyChecked(t, c, ctxFor(t, 30*time.Second), 49, 16, 16, 16)
	assert.GreaterOrEqual(t, rep.TimedOut, 7, "every product's first try was late")
	assert.GreaterOrEqual(t, rep.Redispatched, 7)
}

func TestTaskDeadlineFollowsMeasuredSpeed(t *testing.T) {
	c := testClient(t, "127.0.0.1:1", func(cfg *ClientConfig) { cfg.TaskTimeout = time.Second })
	// Unmeasured, with no worker measured: a prior from this machine.
	prior := c.taskDeadline("w1:1", 100, 100, 100)
	assert.Greater(t, prior, time.Second)
	// w1 did 2·100³ flop in 10 ms: 2e8 flop/s. A 200³ task is 1.6e7 flop,
	// 80 ms at that speed, and may take four times that above the floor.
	c.speeds.record("w1:1", flops(100, 100, 100), 10*time.Millisecond)
	assert.Equal(t, time.Second+320*time.Millisecond, c.taskDeadline("w1:1", 200, 200, 200))
	// A slower worker; an unmeasured one is assumed as slow as the slowest.
	c.speeds.record("w2:1", flops(100, 100, 100), 40*time.Millisecond)
	assert.Equal(t, time.Second+1280*time.Millisecond, c.taskDeadline("w3:1", 200, 200, 200))
	// Measurements are smoothed: 10 ms then 30 ms average to 20 ms.
	c.speeds.record("w1:1", flops(100, 100, 100), 30*time.Millisecond)
	assert.InDelta(t, float64(time.Second+4*80*time.Millisecond*3/2), float64(c.taskDeadline("w1:1", 200, 200, 200)), float64(time.Millisecond))
}

// startWorker runs a standalone worker for the test.
func startWorker(t *testing.T, edit func(*WorkerConfig)) *Worker {
	t.Helper()
	return serve(t, DefaultWorkerConfig(""), edit, NewWorker)
}

// requireClosedWithin reads from conn until the server closes it, failing
// when that takes longer than d.
func requireClosedWithin(t *testing.T, conn net.Conn, d time.Duration) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(d)))
	_, err := io.Copy(io.Discard, conn)
	if errors.Is(err, syscall.ECONNRESET) {
		// A server that closes a connection with bytes it has not read
		// (a stalled task's partial frame) resets it rather than sending FIN.
		err = nil
	}
	require.NoError(t, err, "the server closed the connection (EOF or reset) rather than our deadline passing")
}

func TestServersCapTheirConnections(t *testing.T) {
	w := startWorker(t, func(wc *WorkerConfig) { wc.MaxConns = 2 })
	co := startCoordinator(t, func(cc *CoordinatorConfig) { cc.MaxConns = 2 })
	for _, s := range []struct{ who, addr string }{{"worker", w.Addr()}, {"coordinator", co.Addr()}} {
		t.Run(s.who, func(t *testing.T) {
			var held []net.Conn
			for range 2 { // silent connections fill the table
				conn, err := net.Dial("tcp", s.addr)
				require.NoError(t, err)
				t.Cleanup(func() { _ = conn.Close() })
				held = append(held, conn)
			}
			require.Eventually(t, func() bool {
				conn, err := net.Dial("tcp", s.addr)
				if err != nil {
					return false
				}
				defer conn.Close()
				_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
				m, err := NewDecoder(conn, DefaultLimits()).Decode()
				e, ok := m.(*ErrorMsg)
				return err == nil && ok && strings.Contains(e.Text, s.who+" busy: 2 connections")
			}, 5*time.Second, 10*time.Millisecond, "the third connection is refused with a reason")
			// One leaves: a new connection is served again.
			require.NoError(t, held[0].Close())
			require.Eventually(t, func() bool {
				conn, err := net.Dial("tcp", s.addr)
				if err != nil {
					return false
				}
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
				if NewEncoder(conn).Encode(&OKMsg{}) != nil {
					return false
				}
				m, err := NewDecoder(conn, DefaultLimits()).Decode()
				e, ok := m.(*ErrorMsg)
				// Served: the server answers the frame itself (it accepts no ok frames).
				return err == nil && ok && !strings.Contains(e.Text, "busy")
			}, 5*time.Second, 10*time.Millisecond)
		})
	}
}

// TestWorkerClosesStalledTaskConnections: a client that announces a large
// task and then stops sending, or connects and says nothing, holds a
// worker's connection for at most IdleTimeout.
func TestWorkerClosesStalledTaskConnections(t *testing.T) {
	w := startWorker(t, func(wc *WorkerConfig) { wc.IdleTimeout = 200 * time.Millisecond })
	stalled, err := net.Dial("tcp", w.Addr())
	require.NoError(t, err)
	defer stalled.Close()
	_, err = stalled.Write(frame(MsgTask, taskBody(512, 512, 512, 512, 8*512*512))[:4096])
	require.NoError(t, err)
	silent, err := net.Dial("tcp", w.Addr())
	require.NoError(t, err)
	defer silent.Close()
	requireClosedWithin(t, stalled, 5*time.Second)
	requireClosedWithin(t, silent, 5*time.Second)
}

// TestMultiplyAcceptsAnyMatrix: views are sent in place, transposes and
// other mat.Matrix types are copied, and the product is gonum's.
func TestMultiplyAcceptsAnyMatrix(t *testing.T) {
	l := testCluster(t, 7, nil)
	c := testClient(t, l.Addr(), nil)
	rng := rand.New(rand.NewPCG(47, 48))
	big := randDense(rng, 60, 50)
	view := big.Slice(5, 45, 3, 33) // 40×30 with stride 50
	other := randDense(rng, 40, 30)
	sym := mat.NewSymDense(30, nil)
	for i := range 30 {
		for j := i; j < 30; j++ {
			sym.SetSym(i, j, rng.Float64())
		}
	}
	for _, tc := range []struct {
		name string
		a, b mat.Matrix
	}{
		{"view by transpose", view.T(), other},                    // 30×40 · 40×30
		{"dense by symmetric", other, sym},                        // 40×30 · 30×30
		{"transpose by view", mat.Transpose{Matrix: other}, view}, // 30×40 · 40×30
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rep, err := c.MultiplyReport(ctxFor(t, 20*time.Second), tc.a, tc.b)
			require.NoError(t, err)
			assert.False(t, rep.Local, rep.Reason)
			var want mat.Dense
			want.Mul(tc.a, tc.b)
			assert.LessOrEqual(t, MaxAbsDiff(got, &want), 1e-12)
			local, err := Strassen(tc.a, tc.b, 4)
			require.NoError(t, err)
			assert.LessOrEqual(t, MaxAbsDiff(local, &want), 1e-12)
		})
	}
	_, err := c.Multiply(context.Background(), nil, other)
	assert.ErrorIs(t, err, ErrShape)
	_, err = Strassen((*mat.Dense)(nil), other, 4)
	assert.ErrorIs(t, err, ErrShape)
}
