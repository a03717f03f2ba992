package matrix

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/fakeclock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestRegistry(t *testing.T, peers int) (*Registry, *fakeclock.Clock) {
	clk := fakeclock.New(time.Unix(1_000_000, 0))
	cfg := DefaultRegistryConfig()
	cfg.LeaseTTL = 10 * time.Second
	cfg.HeartbeatTimeout = 3 * time.Second
	cfg.Now = clk.Now
	r, err := NewRegistry(cfg)
	require.NoError(t, err)
	for i := range peers {
		require.NoError(t, r.Register(fmt.Sprintf("10.0.0.%d:7000", i+1)))
	}
	return r, clk
}

type acquired struct {
	who   string
	lease Lease
	err   error
}

// acquireAsync starts an Acquire and waits until it is queued.
func acquireAsync(t *testing.T, ctx context.Context, r *Registry, who string, n int, out chan<- acquired, statuses *[]Status, smu *sync.Mutex) {
	_, _, before := r.Counts()
	go func() {
		l, err := r.AcquireFor(ctx, Request{N: n, Holder: who, OnStatus: func(s Status) {
			if statuses != nil {
				smu.Lock()
				*statuses = append(*statuses, s)
				smu.Unlock()
			}
		}})
		out <- acquired{who, l, err}
	}()
	require.Eventually(t, func() bool {
		_, _, w := r.Counts()
		return w == before+1
	}, 5*time.Second, time.Millisecond, "%s never queued", who)
}

func TestRegistryFIFOAmongThreeClients(t *testing.T) {
	r, _ := newTestRegistry(t, 8)
	ctx := context.Background()
	first, err := r.AcquireFor(ctx, Request{N: 7, Holder: "c1"})
	require.NoError(t, err)
	assert.Len(t, first.Peers, 7)

	out := make(chan acquired, 3)
	var statuses []Status
	var smu sync.Mutex
	acquireAsync(t, ctx, r, "c2", 7, out, &statuses, &smu)
	acquireAsync(t, ctx, r, "c3", 7, out, nil, nil)
	acquireAsync(t, ctx, r, "c1", 7, out, nil, nil) // the first client comes back for more
	_, free, waiting := r.Counts()
	assert.Equal(t, 1, free)
	assert.Equal(t, 3, waiting)
	// c2 learns that it heads a queue of three. (Statuses replace unread
	// ones, and a grant may win the select over a pending status, so the
	// test waits for this one before any grant rather than assume it.)
	require.Eventually(t, func() bool {
		smu.Lock()
		defer smu.Unlock()
		return len(statuses) > 0 && statuses[len(statuses)-1] == Status{Position: 1, Waiting: 3, Free: 1, Peers: 8}
	}, 5*time.Second, time.Millisecond)

	var order []string
	release := first.ID
	for range 3 {
		require.NoError(t, r.Release(release))
		got := <-out
		require.NoError(t, got.err)
		assert.Len(t, got.lease.Peers, 7)
		assert.Equal(t, got.who, got.lease.Holder)
		order = append(order, got.who)
		release = got.lease.ID
	}
	assert.Equal(t, []string{"c2", "c3", "c1"}, order, "served in arrival order")
	assert.Equal(t, RegistryStats{Granted: 4, Released: 3}, r.Stats())
}

func TestRegistryLargeRequestIsNotStarvedBySmallOnes(t *testing.T) {
	r, _ := newTestRegistry(t, 8)
	ctx := context.Background()
	hold, err := r.Acquire(ctx, 2) // 6 free: not enough for 7
	require.NoError(t, err)
	out := make(chan acquired, 4)
	acquireAsync(t, ctx, r, "big", 7, out, nil, nil)
	acquireAsync(t, ctx, r, "small1", 1, out, nil, nil)
	acquireAsync(t, ctx, r, "small2", 1, out, nil, nil)
	// Six peers are free, yet the small requests wait behind the big one.
	_, free, waiting := r.Counts()
	assert.Equal(t, 6, free)
	assert.Equal(t, 3, waiting)
	select {
	case got := <-out:
		t.Fatalf("%s was served ahead of the head of the queue", got.who)
	default:
	}
	require.NoError(t, r.Release(hold.ID))
	// Two are served at once; lease IDs say in which order.
	x, y := <-out, <-out
	if x.lease.ID > y.lease.ID {
		x, y = y, x
	}
	big, small := x, y
	assert.Equal(t, "big", big.who)
	assert.Equal(t, "small1", small.who) // the eighth peer
	_, _, waiting = r.Counts()
	assert.Equal(t, 1, waiting)
	require.NoError(t, r.Release(big.lease.ID))
	assert.Equal(t, "small2", (<-out).who)
}

func TestRegistryCancelledWaiterLeavesQueue(t *testing.T) {
	r, _ := newTestRegistry(t, 7)
	hold, err := r.Acquire(context.Background(), 7)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan acquired, 2)
	acquireAsync(t, ctx, r, "gives up", 7, out, nil, nil)
	acquireAsync(t, context.Background(), r, "patient", 3, out, nil, nil)
	cancel()
	got := <-out
	assert.Equal(t, "gives up", got.who)
	assert.ErrorIs(t, got.err, context.Canceled)
	require.NoError(t, r.Release(hold.ID))
	assert.Equal(t, "patient", (<-out).who)
}

func TestRegistryLeaseExpiryReclaimsPeers(t *testing.T) {
	r, clk := newTestRegistry(t, 7)
	l, err := r.AcquireFor(context.Background(), Request{N: 7, Holder: "vanished", TTL: 2 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, clk.Now().Add(2*time.Second), l.Expires)
	snap := r.Snapshot()
	require.Len(t, snap, 7)
	assert.Equal(t, PeerLeased, snap[0].State)
	assert.Equal(t, "vanished", snap[0].Holder)

	out := make(chan acquired, 1)
	acquireAsync(t, context.Background(), r, "next", 7, out, nil, nil)
	clk.Advance(1900 * time.Millisecond)
	for i := range 7 { // peers keep heartbeating
		require.NoError(t, r.Heartbeat(fmt.Sprintf("10.0.0.%d:7000", i+1)))
	}
	assert.Empty(t, r.Sweep().Expired)
	clk.Advance(100 * time.Millisecond)
	assert.Equal(t, []uint64{l.ID}, r.Sweep().Expired)
	got := <-out
	assert.Equal(t, "next", got.who)
	assert.ErrorIs(t, r.Release(l.ID), ErrUnknownLease, "an expired lease cannot be released")
	_, err = r.Renew(l.ID, 0)
	assert.ErrorIs(t, err, ErrUnknownLease)
	assert.Equal(t, 1, r.Stats().Expired)
}

func TestRegistryRenewPostponesExpiry(t *testing.T) {
	r, clk := newTestRegistry(t, 1)
	l, err := r.AcquireFor(context.Background(), Request{N: 1, TTL: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute, l.TTL, "capped at MaxLeaseTTL")
	clk.Advance(4 * time.Minute)
	l, err = r.Renew(l.ID, 0)
	require.NoError(t, err)
	assert.Equal(t, clk.Now().Add(5*time.Minute), l.Expires)
	clk.Advance(4 * time.Minute)
	require.NoError(t, r.Heartbeat("10.0.0.1:7000"))
	assert.Empty(t, r.Sweep().Expired)
}

func TestRegistryRemovesSilentPeers(t *testing.T) {
	r, clk := newTestRegistry(t, 3)
	clk.Advance(2 * time.Second)
	require.NoError(t, r.Heartbeat("10.0.0.2:7000"))
	clk.Advance(1500 * time.Millisecond)
	res := r.Sweep()
	assert.Equal(t, []string{"10.0.0.1:7000", "10.0.0.3:7000"}, res.Removed)
	n, _, _ := r.Counts()
	assert.Equal(t, 1, n)
	assert.ErrorIs(t, r.Heartbeat("10.0.0.1:7000"), ErrUnknownPeer)
	assert.True(t, r.Remove("10.0.0.2:7000"))
	assert.False(t, r.Remove("10.0.0.2:7000"))
}

func TestRegistryRemovedLeasedPeerDoesNotComeBackFree(t *testing.T) {
	r, _ := newTestRegistry(t, 2)
	l, err := r.Acquire(context.Background(), 2)
	require.NoError(t, err)
	assert.True(t, r.Remove(l.Peers[0]))
	require.NoError(t, r.Release(l.ID))
	n, free, _ := r.Counts()
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, free)
}

func TestRegistryStaleSessionCannotRemoveNewRegistration(t *testing.T) {
	r, _ := newTestRegistry(t, 0)
	old, err := r.register("w:1")
	require.NoError(t, err)
	_, err = r.register("w:1") // the worker reconnected
	require.NoError(t, err)
	assert.False(t, r.removeIf("w:1", old))
	assert.ErrorIs(t, r.heartbeat("w:1", old), ErrUnknownPeer)
	n, _, _ := r.Counts()
	assert.Equal(t, 1, n)
}

func TestRegistryConcurrentUse(t *testing.T) {
	// Many goroutines acquiring, releasing, registering and sweeping at once:
	// the race detector checks the single lock.
	r, _ := newTestRegistry(t, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	served := make([]int, 6)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				l, err := r.AcquireFor(ctx, Request{N: 1 + g%4, Holder: fmt.Sprint(g)})
				if !assert.NoError(t, err) {
					return
				}
				served[g]++
				assert.NoError(t, r.Release(l.ID))
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 200 {
			_ = r.Register(fmt.Sprintf("extra:%d", i%3))
			r.Sweep()
			_ = r.Snapshot()
		}
	}()
	wg.Wait()
	for g, n := range served {
		assert.Equal(t, 30, n, "goroutine %d starved", g)
	}
}

func TestRegistryConfigErrorsNameTheField(t *testing.T) {
	cfg := DefaultRegistryConfig()
	cfg.LeaseTTL = -1
	_, err := NewRegistry(cfg)
	assert.ErrorContains(t, err, "RegistryConfig.LeaseTTL")
	cfg = DefaultRegistryConfig()
	cfg.HeartbeatTimeout = -1
	_, err = NewRegistry(cfg)
	assert.ErrorContains(t, err, "RegistryConfig.HeartbeatTimeout")
	r, _ := newTestRegistry(t, 1)
	_, err = r.Acquire(context.Background(), 0)
	assert.ErrorContains(t, err, "N 0")
	assert.Error(t, r.Register(""))
}
