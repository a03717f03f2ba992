package kvstore

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
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
