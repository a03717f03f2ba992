package gossip_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/internal/lifecycletest"
)

// TestLifecycle walks the UDP transport, the rumor node, a cluster member
// and a whole three-member cluster through construct, run, use, stop and
// use after close (see internal/lifecycletest), from zero configs.
func TestLifecycle(t *testing.T) {
	transport := func(t *testing.T) lifecycletest.Component {
		u, err := gossip.NewUDP(gossip.UDPConfig{})
		require.NoError(t, err)
		use := func(ctx context.Context) error {
			if err := u.Send(u.LocalAddr(), []byte("x")); err != nil {
				return err
			}
			select {
			case p := <-u.Packets():
				if string(p.Data) != "x" {
					return fmt.Errorf("received %q", p.Data)
				}
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return lifecycletest.Component{Close: u.Close, ErrClosed: gossip.ErrClosed, Use: use}
	}
	node := func(t *testing.T) lifecycletest.Component {
		u, err := gossip.NewUDP(gossip.UDPConfig{})
		require.NoError(t, err)
		n, err := gossip.New(gossip.Config{}, u)
		require.NoError(t, err)
		use := func(context.Context) error {
			id, err := n.Publish([]byte("rumor"))
			if err == nil && !n.Known(id) {
				err = errors.New("the node does not know its own rumor")
			}
			return err
		}
		return lifecycletest.Component{Run: n.Run, Ready: func() bool { return gossip.NodeRunning(n) },
			Close: n.Close, ErrClosed: gossip.ErrClosed, Use: use}
	}
	member := func(t *testing.T) lifecycletest.Component {
		c, err := gossip.NewCluster(gossip.ClusterConfig{})
		require.NoError(t, err)
		use := func(context.Context) error { return c.Broadcast([]byte("news")) }
		return lifecycletest.Component{Run: c.Run, Ready: func() bool { return gossip.ClusterRunning(c) },
			Close: c.Close, ErrClosed: gossip.ErrClosed, Use: use}
	}
	lifecycletest.Check(t, []lifecycletest.Case{
		{Name: "UDPTransport", Stop: lifecycletest.Close, New: transport},
		{Name: "Node", New: node},
		{Name: "Cluster", New: member},
		{Name: "System", Stop: lifecycletest.Cancel, New: system},
	})
}

// system is three members on loopback sharing one context: the whole
// cluster stops at once, and no member may wait out a timeout saying
// goodbye to the others, which are stopping too.
func system(t *testing.T) lifecycletest.Component {
	var got atomic.Int64
	var members []*gossip.Cluster
	for range 3 {
		c, err := gossip.NewCluster(gossip.ClusterConfig{
			OnMessage: func(gossip.ClusterMessage) { got.Add(1) },
		})
		require.NoError(t, err)
		if len(members) > 0 {
			_, err = c.Join([]string{members[0].Addr()})
			require.NoError(t, err)
		}
		members = append(members, c)
	}
	var runs []func(context.Context) error
	for _, c := range members {
		runs = append(runs, c.Run)
	}
	ready := func() bool {
		for _, c := range members {
			if c.NumMembers() != len(members) {
				return false
			}
		}
		return true
	}
	use := func(ctx context.Context) error {
		if err := members[0].Broadcast([]byte("news")); err != nil {
			return err
		}
		for got.Load() < int64(len(members)-1) {
			select {
			case <-ctx.Done():
				return fmt.Errorf("the broadcast reached %d of %d members: %w", got.Load(), len(members)-1, ctx.Err())
			case <-time.After(5 * time.Millisecond):
			}
		}
		return nil
	}
	return lifecycletest.Component{Run: lifecycletest.Together(runs...), Ready: ready, ErrClosed: gossip.ErrClosed, Use: use}
}

// TestZeroConfigMeansDefault: a zero field takes its default (the
// exceptions are documented on each config), and a field that is set is
// kept.
func TestZeroConfigMeansDefault(t *testing.T) {
	u, err := gossip.NewUDP(gossip.UDPConfig{})
	require.NoError(t, err)
	assert.Equal(t, gossip.DefaultUDPConfig(), gossip.UDPConfigOf(u))

	n, err := gossip.New(gossip.Config{Fanout: 5}, u)
	require.NoError(t, err)
	want := gossip.DefaultConfig()
	want.Fanout, want.AntiEntropy, want.Seed = 5, 0, 0
	assert.Equal(t, want, gossip.NodeConfigOf(n))
	require.NoError(t, n.Close())

	c, err := gossip.NewCluster(gossip.ClusterConfig{MaxQueue: 7})
	require.NoError(t, err)
	wantC := gossip.DefaultLocalConfig()
	wantC.MaxQueue, wantC.Relay, wantC.IndirectChecks = 7, false, 0
	wantC.JoinRetryMin, wantC.JoinRetryMax = 0, 0 // zero: 100 ms and 30 s
	assert.Equal(t, wantC, gossip.ClusterConfigOf(c))
	require.NoError(t, c.Close())
}
