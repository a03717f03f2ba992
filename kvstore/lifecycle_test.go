package kvstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/netlab-go/netlab/internal/lifecycletest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stopping a whole in-process store at once is quick: no replica waits out
// TCPTimeout for goodbyes that the others, stopping too, cannot answer.
func TestReplicasStoppingTogetherReturnQuickly(t *testing.T) {
	for _, udp := range []bool{false, true} {
		name := map[bool]string{false: "memnet", true: "loopback"}[udp]
		t.Run(name, func(t *testing.T) {
			var network *gossiptest.MemNetwork
			if !udp {
				var err error
				network, err = gossiptest.NewMemNetwork(gossiptest.DefaultMemConfig())
				require.NoError(t, err)
				defer network.Close()
			}
			ctx, cancel := context.WithCancel(context.Background())
			var rs []*Replica
			for _, n := range []string{"A", "B", "C"} {
				ccfg := gossip.DefaultLocalConfig()
				ccfg.Network = network
				ccfg.TCPTimeout = 5 * time.Second
				r, err := NewReplica(DefaultConfig(n), ccfg)
				require.NoError(t, err)
				if len(rs) > 0 {
					_, err = r.Join([]string{rs[0].Cluster.Addr()})
					require.NoError(t, err)
				}
				rs = append(rs, r)
			}
			var wg sync.WaitGroup
			for _, r := range rs {
				wg.Go(func() { assert.NoError(t, r.Run(ctx)) })
			}
			wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer wcancel()
			for _, r := range rs {
				require.NoError(t, r.WaitMembers(wctx, 3))
			}
			start := time.Now()
			cancel()
			wg.Wait()
			took := time.Since(start)
			t.Logf("three replicas stopped together in %v", took)
			assert.Less(t, took, 2*time.Second, "stopping waited for goodbyes (TCPTimeout is 5 s)")
		})
	}
}

func TestReplicaCloseIsIdempotentWaitsAndThenRefuses(t *testing.T) {
	network, err := gossiptest.NewMemNetwork(gossiptest.DefaultMemConfig())
	require.NoError(t, err)
	defer network.Close()
	newReplica := func(name string) *Replica {
		ccfg := gossip.DefaultLocalConfig()
		ccfg.Network = network
		r, err := NewReplica(DefaultConfig(name), ccfg)
		require.NoError(t, err)
		return r
	}
	checkClosed := func(r *Replica) {
		t.Helper()
		_, err := r.Put("k", []byte("v"))
		assert.ErrorIs(t, err, ErrClosed, "Put")
		_, err = r.Delete("k")
		assert.ErrorIs(t, err, ErrClosed, "Delete")
		_, err = r.Get("k")
		assert.ErrorIs(t, err, ErrClosed, "Get")
		_, err = r.List("")
		assert.ErrorIs(t, err, ErrClosed, "List")
		_, err = r.PutAcked(context.Background(), "k", nil, 1)
		assert.ErrorIs(t, err, ErrClosed, "PutAcked")
		_, ok := <-r.Watch(context.Background(), "")
		assert.False(t, ok, "Watch after Close gives a closed channel")
		assert.ErrorIs(t, r.Run(context.Background()), ErrClosed, "Run")
		assert.NoError(t, r.Close(), "a second Close")
	}

	// Never run: Close closes.
	idle := newReplica("idle")
	_, err = idle.Put("k", []byte("v"))
	require.NoError(t, err)
	require.NoError(t, idle.Close())
	checkClosed(idle)

	// Running: Close stops Run and waits for it.
	r := newReplica("running")
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(context.Background()) }()
	require.Eventually(t, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.running }, 5*time.Second, time.Millisecond)
	_, err = r.Put("k", []byte("v"))
	require.NoError(t, err)
	require.NoError(t, r.Close())
	r.mu.Lock()
	runDone := r.runDone
	r.mu.Unlock()
	select {
	case <-runDone:
	default:
		t.Fatal("Close returned before Run had stopped")
	}
	select { // Run has stopped; its goroutine hands the result over next
	case err := <-runErr:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	checkClosed(r)

	// Run ended by its context: the replica is closed too.
	r2 := newReplica("ctx")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { runErr <- r2.Run(ctx) }()
	require.Eventually(t, func() bool { r2.mu.Lock(); defer r2.mu.Unlock(); return r2.running }, 5*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-runErr)
	_, err = r2.Put("k", nil)
	assert.ErrorIs(t, err, ErrClosed)
	require.NoError(t, r2.Close())
	checkClosed(r2)
}

func TestNodeCloseWaitsForCallsInProgress(t *testing.T) {
	n, err := New(DefaultConfig("a"), nil)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				if _, err := n.Put(fmt.Sprint(w, "-", i), []byte("v")); err != nil {
					assert.ErrorIs(t, err, ErrClosed, "a write either succeeds or sees the node closed")
					return
				}
			}
		})
	}
	require.Eventually(t, func() bool { return n.Stats().Puts > 100 }, 5*time.Second, time.Millisecond)
	require.NoError(t, n.Close())
	wg.Wait()
	assert.NoError(t, n.Close())
}

// A closed node's API answers 503, not 500: the server is going away, the
// request was fine.
func TestHTTPOnAClosedNodeIs503(t *testing.T) {
	n, err := New(DefaultConfig("a"), nil)
	require.NoError(t, err)
	h := n.Handler()
	require.NoError(t, n.Close())
	for _, c := range []struct{ method, path string }{{"GET", "/kv/k"}, {"PUT", "/kv/k"}, {"DELETE", "/kv/k"}, {"GET", "/kv"}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, strings.NewReader("v")))
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "%s %s: %s", c.method, c.path, rec.Body)
		assert.Contains(t, rec.Body.String(), "closed")
	}
}

// TestLifecycle walks a Node, a Replica, the HTTP API and a whole
// three-replica store through construct, run, use, stop and use after
// close (see internal/lifecycletest), from zero configs plus a name.
func TestLifecycle(t *testing.T) {
	putGet := func(n *Node) func(context.Context) error {
		return func(context.Context) error {
			if _, err := n.Put("k", []byte("v")); err != nil {
				return err
			}
			e, err := n.Get("k")
			if err == nil && string(e.Value) != "v" {
				err = fmt.Errorf("got %q", e.Value)
			}
			return err
		}
	}
	node := func(t *testing.T) lifecycletest.Component {
		n, err := New(Config{Name: "a"}, nil)
		require.NoError(t, err)
		return lifecycletest.Component{Run: n.Run, Ready: func() bool { return n.running.Load() > 0 },
			Close: n.Close, ErrClosed: ErrClosed, Use: putGet(n)}
	}
	idleNode := func(t *testing.T) lifecycletest.Component {
		n, err := New(Config{Name: "a"}, nil)
		require.NoError(t, err)
		return lifecycletest.Component{Close: n.Close, ErrClosed: ErrClosed, Use: putGet(n)}
	}
	replica := func(t *testing.T) lifecycletest.Component {
		r, err := NewReplica(Config{Name: "r"}, gossip.ClusterConfig{})
		require.NoError(t, err)
		ready := func() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.running }
		return lifecycletest.Component{Run: r.Run, Ready: ready, Close: r.Close, ErrClosed: ErrClosed, Use: putGet(r.Node)}
	}
	server := func(t *testing.T) lifecycletest.Component {
		n, err := New(Config{Name: "a"}, nil)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, n.Close()) })
		_, err = n.Put("k", []byte("v"))
		require.NoError(t, err)
		s, err := NewHTTPServer(n, HTTPConfig{})
		require.NoError(t, err)
		use := func(ctx context.Context) error {
			tr := &http.Transport{DisableKeepAlives: true}
			defer tr.CloseIdleConnections()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/kv/k", nil)
			if err != nil {
				return err
			}
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s: %s", resp.Status, b)
			}
			return err
		}
		return lifecycletest.Component{Run: s.Run, Close: s.Close, ErrClosed: ErrClosed, Use: use, UseErr: syscall.ECONNREFUSED}
	}
	lifecycletest.Check(t, []lifecycletest.Case{
		{Name: "Node", New: node},
		{Name: "NodeWithoutRun", Stop: lifecycletest.Close, New: idleNode},
		{Name: "Replica", New: replica},
		{Name: "HTTPServer", New: server},
		{Name: "Store", Stop: lifecycletest.Cancel, New: store},
	})
}

// store is three replicas on loopback sharing one context: the whole store
// stops at once, and no replica waits out a timeout saying goodbye.
func store(t *testing.T) lifecycletest.Component {
	var rs []*Replica
	for _, name := range []string{"A", "B", "C"} {
		r, err := NewReplica(Config{Name: name}, gossip.ClusterConfig{})
		require.NoError(t, err)
		if len(rs) > 0 {
			_, err = r.Join([]string{rs[0].Cluster.Addr()})
			require.NoError(t, err)
		}
		rs = append(rs, r)
	}
	var runs []func(context.Context) error
	for _, r := range rs {
		runs = append(runs, r.Run)
	}
	ready := func() bool {
		for _, r := range rs {
			if r.Cluster.NumMembers() != len(rs) {
				return false
			}
		}
		return true
	}
	use := func(ctx context.Context) error {
		if _, err := rs[0].Put("k", []byte("v")); err != nil {
			return err
		}
		for _, r := range rs[1:] {
			for {
				e, err := r.Get("k")
				if err == nil && string(e.Value) == "v" {
					break
				}
				if err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("the write did not reach %s: %w", r.Name(), ctx.Err())
				case <-time.After(5 * time.Millisecond):
				}
			}
		}
		return nil
	}
	return lifecycletest.Component{Run: lifecycletest.Together(runs...), Ready: ready, ErrClosed: ErrClosed, Use: use}
}

// TestZeroConfigMeansDefault: a zero field takes the value of
// DefaultConfig or DefaultHTTPConfig, and a field that is set is kept.
func TestZeroConfigMeansDefault(t *testing.T) {
	n, err := New(Config{Name: "a", Buckets: 64}, nil)
	require.NoError(t, err)
	got := n.cfg
	assert.NotNil(t, got.Store)
	assert.NotNil(t, got.Now)
	assert.NotNil(t, got.Rand)
	got.Store, got.Now, got.Rand = nil, nil, nil
	want := DefaultConfig("a")
	want.Buckets = 64
	assert.Equal(t, want, got)
	require.NoError(t, n.Close())

	assert.Equal(t, DefaultHTTPConfig(), HTTPConfig{}.withDefaults())

	c := Config{Name: "b", Limits: Limits{MaxKey: 10}}.withDefaults()
	assert.Equal(t, 10, c.Limits.MaxKey, "a limit that is set is kept")
	assert.Equal(t, DefaultConfig("b").Limits.MaxValue, c.Limits.MaxValue, "the others take their defaults")
}

// TestHTTPServerCloseWithoutRunFreesThePort: a server that never ran
// releases its port on Close (http.Server alone would not: it closes only
// the listeners Serve was given).
func TestHTTPServerCloseWithoutRunFreesThePort(t *testing.T) {
	n, err := New(Config{Name: "a"}, nil)
	require.NoError(t, err)
	defer n.Close()
	s, err := NewHTTPServer(n, HTTPConfig{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	ln, err := net.Listen("tcp", s.Addr().String())
	require.NoError(t, err, "the port is still bound")
	require.NoError(t, ln.Close())
	require.ErrorIs(t, s.Run(context.Background()), ErrClosed)
}
