package gossip_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inbox records what a member's OnMessage received.
type inbox struct {
	mu   sync.Mutex
	msgs []gossip.ClusterMessage
}

func (b *inbox) add(m gossip.ClusterMessage) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, m)
}

func (b *inbox) count(data []byte) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.msgs {
		if bytes.Equal(m.Data, data) {
			n++
		}
	}
	return n
}

type testCluster struct {
	members []*gossip.Cluster
	inboxes []*inbox
}

// localConfig is DefaultLocalConfig on net, with probes relaxed so that a
// CPU-starved test machine (the race detector, parallel packages) does not
// make members suspect each other; the failure-detection test restores the
// preset's timings.
func localConfig(net *gossiptest.MemNetwork) gossip.ClusterConfig {
	cfg := gossip.DefaultLocalConfig()
	cfg.Network = net
	cfg.ProbeTimeout = 400 * time.Millisecond
	cfg.TCPTimeout = 5 * time.Second
	return cfg
}

// newMember starts one member with its own inbox; it is closed at cleanup.
func newMember(t *testing.T, cfg gossip.ClusterConfig) (*gossip.Cluster, *inbox) {
	t.Helper()
	ib := &inbox{}
	if cfg.OnMessage == nil {
		cfg.OnMessage = ib.add
	}
	c, err := gossip.NewCluster(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c, ib
}

// startCluster starts n members on net, joins them through the first and
// waits until every member sees all n.
func startCluster(t *testing.T, net *gossiptest.MemNetwork, n int, mutate func(i int, c *gossip.ClusterConfig)) *testCluster {
	t.Helper()
	tc := &testCluster{}
	for i := range n {
		cfg := localConfig(net)
		cfg.Name = fmt.Sprintf("m%03d", i)
		if mutate != nil {
			mutate(i, &cfg)
		}
		c, ib := newMember(t, cfg)
		tc.members = append(tc.members, c)
		tc.inboxes = append(tc.inboxes, ib)
		if i > 0 {
			_, err := c.Join([]string{tc.members[0].Addr()})
			require.NoError(t, err)
		}
	}
	tc.waitMembers(t, tc.members, n, 20*time.Second)
	return tc
}

func (tc *testCluster) waitMembers(t *testing.T, members []*gossip.Cluster, want int, timeout time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, m := range members {
			if m.NumMembers() != want {
				return false
			}
		}
		return true
	}, timeout, 20*time.Millisecond, "every member should see %d members", want)
}

func (tc *testCluster) waitDelivered(t *testing.T, data []byte, skip int, timeout time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		for i, ib := range tc.inboxes {
			if i != skip && ib.count(data) == 0 {
				return false
			}
		}
		return true
	}, timeout, 10*time.Millisecond, "every member should receive %q", data)
}

func TestClusterJoinBroadcastAndEvents(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	tc := startCluster(t, net, 8, nil)
	names := []string{}
	for _, m := range tc.members[3].Members() {
		names = append(names, m.Name)
	}
	assert.Equal(t, []string{"m000", "m001", "m002", "m003", "m004", "m005", "m006", "m007"}, names)

	msg := []byte("hello, cluster")
	require.NoError(t, tc.members[2].Broadcast(msg))
	tc.waitDelivered(t, msg, 2, 5*time.Second)
	require.Eventually(t, func() bool { return tc.members[2].Stats().Queued == 0 }, 10*time.Second, 20*time.Millisecond)
	for i, ib := range tc.inboxes {
		want := 1
		if i == 2 {
			want = 0
		}
		assert.Equal(t, want, ib.count(msg), "member %d delivers once", i)
	}
	ib := tc.inboxes[5]
	ib.mu.Lock()
	assert.Equal(t, "m002", ib.msgs[0].From)
	assert.True(t, ib.msgs[0].Broadcast)
	ib.mu.Unlock()

	joins := map[string]bool{}
	for len(tc.members[0].Events()) > 0 {
		ev := <-tc.members[0].Events()
		if ev.Kind == gossip.EventJoin {
			joins[ev.Member.Name] = true
		}
	}
	assert.Len(t, joins, 8, "m000 saw every join, its own included")
}

func TestClusterRelayReachesEveryoneWhereSenderQueueAloneCannot(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	const n = 20
	tc := startCluster(t, net, n, func(i int, c *gossip.ClusterConfig) { c.Relay = false })
	msg := []byte("no relay")
	require.NoError(t, tc.members[0].Broadcast(msg))
	// The sender transmits RetransmitMult·⌈log10(N+1)⌉ = 4·2 = 8 times.
	// Wait until every copy has been handled somewhere (first copies and
	// duplicates, counted by the receivers) and delivered: the premise of
	// counting.
	copies := func() (handled uint64, relayed uint64) {
		for _, m := range tc.members[1:] {
			s := m.Stats()
			handled += s.BroadcastsReceived + s.Duplicates
			relayed += s.Relayed
		}
		return handled, relayed
	}
	received := func() (n uint64) {
		for _, m := range tc.members[1:] {
			n += m.Stats().BroadcastsReceived
		}
		return n
	}
	reachedNow := func() int {
		n := 0
		for _, ib := range tc.inboxes {
			n += ib.count(msg)
		}
		return n
	}
	require.Eventually(t, func() bool {
		h, _ := copies()
		return tc.members[0].Stats().Queued == 0 && h >= 8 && uint64(reachedNow()) == received()
	}, 10*time.Second, 10*time.Millisecond, "the sender's 8 transmissions never all arrived")
	handled, relayed := copies()
	t.Logf("copies handled %d after the wait", handled)
	assert.EqualValues(t, 8, handled, "exactly the sender's transmissions carried it")
	assert.Zero(t, relayed, "nobody relayed")
	reached := reachedNow()
	assert.LessOrEqual(t, reached, 8, "without relay only the sender's transmissions carry it")
	assert.Greater(t, reached, 0)
	for _, m := range tc.members { // free the CPU for the second cluster
		require.NoError(t, m.Close())
	}

	tc2 := startCluster(t, newMem(t, gossiptest.DefaultMemConfig()), n, nil)
	msg = []byte("relay")
	require.NoError(t, tc2.members[0].Broadcast(msg))
	tc2.waitDelivered(t, msg, 0, 10*time.Second)
}

func TestClusterBroadcastsSurviveTenPercentLoss(t *testing.T) {
	mcfg := gossiptest.DefaultMemConfig()
	mcfg.Loss = 0.1
	net := newMem(t, mcfg)
	tc := startCluster(t, net, 12, nil)
	var msgs [][]byte
	for i := range 10 {
		msg := []byte(fmt.Sprintf("lossy %d", i))
		msgs = append(msgs, msg)
		require.NoError(t, tc.members[i].Broadcast(msg))
	}
	for i, msg := range msgs {
		tc.waitDelivered(t, msg, i, 10*time.Second)
	}
	assert.Greater(t, net.Total().Lost, uint64(0))
}

func TestClusterLargeBroadcastGoesOverStreams(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	tc := startCluster(t, net, 6, nil)
	big := bytes.Repeat([]byte("0123456789"), 5000) // 50 kB, far above one UDP packet
	require.NoError(t, tc.members[1].Broadcast(big))
	tc.waitDelivered(t, big, 1, 10*time.Second)
	var fetched uint64
	for _, m := range tc.members {
		fetched += m.Stats().LargeFetched
	}
	assert.Equal(t, uint64(5), fetched, "each other member fetched the body once")
	assert.ErrorIs(t, tc.members[0].Broadcast(make([]byte, gossip.MaxBroadcast+1)), gossip.ErrTooLarge)
}

func TestClusterDetectsFailureAndAcceptsTheMemberBack(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	preset := gossip.DefaultLocalConfig()
	tc := startCluster(t, net, 5, func(i int, c *gossip.ClusterConfig) {
		c.ProbeInterval, c.ProbeTimeout = preset.ProbeInterval, preset.ProbeTimeout
	})
	for _, m := range tc.members {
		for len(m.Events()) > 0 {
			<-m.Events()
		}
	}
	victim := tc.members[4]
	start := time.Now()
	require.NoError(t, victim.Close()) // a crash: no leave message
	limit := gossip.ConfigOf(tc.members[0]).DetectionTime(5) + 2*time.Second
	tc.waitMembers(t, tc.members[:4], 4, limit)
	t.Logf("failure detected everywhere in %v (bound %v)", time.Since(start), limit)
	ev := <-tc.members[0].Events()
	assert.Equal(t, gossip.EventFail, ev.Kind)
	assert.Equal(t, "m004", ev.Member.Name)

	// The member restarts under the same name at a new address, which
	// memberlist accepts once DeadNodeReclaimTime has passed since the
	// death was declared.
	reclaim := gossip.ConfigOf(tc.members[0]).DeadNodeReclaimTime
	require.Eventually(t, func() bool { return time.Since(ev.At) > reclaim }, reclaim+5*time.Second, 10*time.Millisecond)
	cfg := localConfig(net)
	cfg.Name = "m004"
	back, _ := newMember(t, cfg)
	_, err := back.Join([]string{tc.members[0].Addr()})
	require.NoError(t, err)
	tc.waitMembers(t, append(tc.members[:4:4], back), 5, 15*time.Second)
}

func TestClusterLeaveIsNotAFailure(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	tc := startCluster(t, net, 3, nil)
	for len(tc.members[0].Events()) > 0 {
		<-tc.members[0].Events()
	}
	require.NoError(t, tc.members[2].Leave(time.Second))
	tc.waitMembers(t, tc.members[:2], 2, 10*time.Second)
	ev := <-tc.members[0].Events()
	assert.Equal(t, gossip.EventLeave, ev.Kind)
	assert.Zero(t, gossip.DeadCount(tc.members[0]), "a member that left is not retried")
}

func TestClusterPartitionHeals(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	// Gossip to the dead stops after 300 ms, so once the halves have given
	// each other up only the Cluster's reconnection can merge them.
	tc := startCluster(t, net, 5, func(i int, c *gossip.ClusterConfig) { c.GossipToTheDeadTime = 300 * time.Millisecond })
	addrs := make([]string, 5)
	for i, m := range tc.members {
		addrs[i] = m.Addr()
	}
	for len(tc.members[0].Events()) > 0 {
		<-tc.members[0].Events()
	}
	net.Partition(addrs[:2], addrs[2:])
	tc.waitMembers(t, tc.members[:2], 2, 20*time.Second)
	tc.waitMembers(t, tc.members[2:], 3, 20*time.Second)
	// The premise: the halves have given each other up. m000 saw the three
	// others fail, gossip to them has stopped (GossipToTheDeadTime has
	// passed since the last failure), and reconnection is being tried.
	var lastFail time.Time
	for range 3 {
		select {
		case ev := <-tc.members[0].Events():
			require.Equal(t, gossip.EventFail, ev.Kind, "%s", ev.Member.Name)
			lastFail = ev.At
		case <-time.After(10 * time.Second):
			t.Fatal("m000 did not report the other side's failures")
		}
	}
	toTheDead := gossip.ConfigOf(tc.members[0]).GossipToTheDeadTime
	require.Eventually(t, func() bool {
		return time.Since(lastFail) > toTheDead && tc.members[0].Stats().ReconnectAttempts > 0
	}, 20*time.Second, 10*time.Millisecond, "m000 never tried to reconnect across the partition")
	assert.Zero(t, tc.members[0].Stats().Reconnects, "no reconnection can succeed across a partition")

	net.Heal()
	start := time.Now()
	tc.waitMembers(t, tc.members, 5, 30*time.Second)
	t.Logf("one view again %v after healing", time.Since(start))
	var reconnects uint64
	for _, m := range tc.members {
		reconnects += m.Stats().Reconnects
	}
	assert.Positive(t, reconnects, "a reconnection (by any member) merged the halves")
}

func TestClusterEncryptionAndKeyRotation(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 32)
	net := newMem(t, gossiptest.DefaultMemConfig())
	tc := startCluster(t, net, 3, func(i int, c *gossip.ClusterConfig) { c.Keys = [][]byte{k1} })

	// Without the key, or with the wrong one, nobody joins.
	plain, _ := newMember(t, localConfig(net))
	_, err := plain.Join([]string{tc.members[0].Addr()})
	assert.Error(t, err)
	wrong := localConfig(net)
	wrong.Keys = [][]byte{k2}
	intruder, _ := newMember(t, wrong)
	_, err = intruder.Join([]string{tc.members[0].Addr()})
	assert.Error(t, err)

	// Nor can it inject a broadcast by writing packets straight at a member.
	fake := gossip.EncodeBroadcast(9, "intruder", []byte("forged"))
	for _, m := range tc.members {
		require.NoError(t, gossip.SendRaw(plain, memberAddress(m), fake))
		require.NoError(t, gossip.SendRaw(intruder, memberAddress(m), fake))
	}
	real := []byte("genuine")
	require.NoError(t, tc.members[0].Broadcast(real))
	tc.waitDelivered(t, real, 0, 5*time.Second)
	for _, ib := range tc.inboxes {
		assert.Zero(t, ib.count([]byte("forged")))
	}

	// Rotate: add k2 everywhere, use it everywhere, remove k1 everywhere.
	for _, m := range tc.members {
		require.NoError(t, m.AddKey(k2))
	}
	for _, m := range tc.members {
		require.NoError(t, m.UseKey(k2))
	}
	for _, m := range tc.members {
		require.NoError(t, m.RemoveKey(k1))
		assert.Equal(t, [][]byte{k2}, m.Keys())
	}
	rotated := []byte("after rotation")
	require.NoError(t, tc.members[1].Broadcast(rotated))
	tc.waitDelivered(t, rotated, 1, 5*time.Second)

	old := localConfig(net)
	old.Keys = [][]byte{k1}
	stale, _ := newMember(t, old)
	_, err = stale.Join([]string{tc.members[0].Addr()})
	assert.Error(t, err, "the retired key no longer gets in")
	fresh := localConfig(net)
	fresh.Keys = [][]byte{k2}
	newcomer, _ := newMember(t, fresh)
	_, err = newcomer.Join([]string{tc.members[0].Addr()})
	require.NoError(t, err)
	tc.waitMembers(t, append(tc.members[:3:3], newcomer), 4, 10*time.Second)

	assert.ErrorIs(t, plain.AddKey(k1), gossip.ErrNoEncryption)
}

func memberAddress(c *gossip.Cluster) memberlist.Address {
	return memberlist.Address{Addr: c.Addr(), Name: c.Name()}
}

func TestClusterSendAndRequest(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	tc := startCluster(t, net, 3, func(i int, c *gossip.ClusterConfig) {
		c.OnRequest = func(from string, req []byte) ([]byte, error) {
			if string(req) == "fail" {
				return nil, errors.New("as asked")
			}
			return []byte(fmt.Sprintf("m%03d answers %s: %s", i, from, req)), nil
		}
	})
	require.NoError(t, tc.members[0].Send("m002", []byte("direct")))
	require.Eventually(t, func() bool { return tc.inboxes[2].count([]byte("direct")) == 1 }, 5*time.Second, 10*time.Millisecond)
	tc.inboxes[2].mu.Lock()
	assert.Equal(t, gossip.ClusterMessage{From: "m000", Data: []byte("direct")}, tc.inboxes[2].msgs[0])
	tc.inboxes[2].mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := tc.members[1].Request(ctx, "m002", []byte("ping"))
	require.NoError(t, err)
	assert.Equal(t, "m002 answers m001: ping", string(resp))

	_, err = tc.members[1].Request(ctx, "m002", []byte("fail"))
	assert.ErrorIs(t, err, gossip.ErrRemote)
	assert.ErrorContains(t, err, "as asked")

	_, err = tc.members[1].Request(ctx, "nobody", nil)
	assert.ErrorIs(t, err, gossip.ErrUnknownMember)
	assert.ErrorIs(t, tc.members[1].Send("nobody", nil), gossip.ErrUnknownMember)
}

type recordingState struct {
	mu     sync.Mutex
	local  string
	merged []string
}

func (s *recordingState) LocalState(join bool) []byte { return []byte(s.local) }
func (s *recordingState) MergeRemoteState(buf []byte, join bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.merged = append(s.merged, fmt.Sprintf("%s join=%v", buf, join))
}

func TestClusterExchangesFullStateThroughTheHooks(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	a := &recordingState{local: "state of a"}
	b := &recordingState{local: "state of b"}
	states := []*recordingState{a, b}
	startCluster(t, net, 2, func(i int, c *gossip.ClusterConfig) { c.State = states[i] })
	require.Eventually(t, func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.merged) > 0
	}, 5*time.Second, 10*time.Millisecond)
	a.mu.Lock()
	assert.Equal(t, "state of b join=true", a.merged[0])
	a.mu.Unlock()
	b.mu.Lock()
	assert.Contains(t, b.merged, "state of a join=true")
	b.mu.Unlock()
}

func TestClusterQueueIsBounded(t *testing.T) {
	for _, policy := range []gossip.DropPolicy{gossip.DropOldest, gossip.DropNewest} {
		net := newMem(t, gossiptest.DefaultMemConfig())
		cfg := localConfig(net)
		cfg.MaxQueue = 5
		cfg.QueueDrop = policy
		alone, _ := newMember(t, cfg) // nobody to send to: the queue only fills
		for i := range 20 {
			require.NoError(t, alone.Broadcast([]byte{byte(i)}))
		}
		s := alone.Stats()
		assert.Equal(t, 5, s.Queued)
		assert.Equal(t, uint64(15), s.QueueDrops)
	}
}

func TestClusterCountsMalformedMessages(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	tc := startCluster(t, net, 2, nil)
	outsider, _ := newMember(t, localConfig(net))
	for _, junk := range [][]byte{{}, []byte("junk"), {gossip.ClusterMsgVersion, 'B'}} {
		require.NoError(t, gossip.SendRaw(outsider, memberAddress(tc.members[0]), junk))
	}
	require.Eventually(t, func() bool { return tc.members[0].Stats().Malformed == 3 }, 5*time.Second, 10*time.Millisecond)
	msg := []byte("still fine")
	require.NoError(t, tc.members[1].Broadcast(msg))
	tc.waitDelivered(t, msg, 1, 5*time.Second)
}

func TestClusterOverLoopbackSockets(t *testing.T) {
	var members []*gossip.Cluster
	var inboxes []*inbox
	for range 3 {
		c, ib := newMember(t, gossip.DefaultLocalConfig())
		members = append(members, c)
		inboxes = append(inboxes, ib)
	}
	assert.Contains(t, members[0].Addr(), "127.0.0.1:")
	for _, m := range members[1:] {
		_, err := m.Join([]string{members[0].Addr()})
		require.NoError(t, err)
	}
	tc := &testCluster{members: members, inboxes: inboxes}
	tc.waitMembers(t, members, 3, 10*time.Second)
	msg := []byte("over real UDP")
	require.NoError(t, members[0].Broadcast(msg))
	tc.waitDelivered(t, msg, 0, 5*time.Second)
}

func TestClusterRunLeavesAndCloses(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	tc := startCluster(t, net, 2, nil)
	for len(tc.members[0].Events()) > 0 {
		<-tc.members[0].Events()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- tc.members[1].Run(ctx) }()
	cancel()
	require.NoError(t, <-done)
	tc.waitMembers(t, tc.members[:1], 1, 5*time.Second)
	// Run's bounded wait still lets the leave through: a leave, not a failure.
	select {
	case ev := <-tc.members[0].Events():
		assert.Equal(t, gossip.EventLeave, ev.Kind, "%s", ev.Member.Name)
	case <-time.After(5 * time.Second):
		t.Fatal("no membership event for the member that ran and stopped")
	}
	assert.ErrorIs(t, tc.members[1].Broadcast([]byte("x")), gossip.ErrClusterClosed)
	assert.ErrorIs(t, tc.members[1].Broadcast([]byte("x")), gossip.ErrClosed, "one sentinel for every closed component")
	assert.NoError(t, tc.members[1].Close(), "Close after Run is a no-op")
	_, err := tc.members[1].Join([]string{tc.members[0].Addr()})
	assert.ErrorIs(t, err, gossip.ErrClusterClosed)
}

func TestClusterConfigValidation(t *testing.T) {
	for field, mutate := range map[string]func(*gossip.ClusterConfig){
		"ClusterConfig.ProbeInterval": func(c *gossip.ClusterConfig) { c.ProbeInterval = -1 },
		"ClusterConfig.ProbeTimeout":  func(c *gossip.ClusterConfig) { c.ProbeTimeout = time.Hour },
		"ClusterConfig.GossipNodes":   func(c *gossip.ClusterConfig) { c.GossipNodes = -1 },
		"ClusterConfig.MaxQueue":      func(c *gossip.ClusterConfig) { c.MaxQueue = -1 },
		"ClusterConfig.QueueDrop":     func(c *gossip.ClusterConfig) { c.QueueDrop = 9 },
		"ClusterConfig.LargeMessage":  func(c *gossip.ClusterConfig) { c.LargeMessage = 1300 },
		"ClusterConfig.Keys[0]":       func(c *gossip.ClusterConfig) { c.Keys = [][]byte{{1, 2, 3}} },
		"ClusterConfig.Meta":          func(c *gossip.ClusterConfig) { c.Meta = make([]byte, 600) },
		"ClusterConfig.Name":          func(c *gossip.ClusterConfig) { c.Name = string(make([]byte, 300)) },
	} {
		cfg := gossip.DefaultLocalConfig()
		mutate(&cfg)
		_, err := gossip.NewCluster(cfg)
		assert.ErrorContains(t, err, field)
	}
	assert.Greater(t, gossip.DefaultLANConfig().SuspicionTimeout(200), gossip.DefaultLocalConfig().SuspicionTimeout(200))
}

// A nil *MemNetwork in ClusterConfig.Network means sockets, as it did when
// the field had that type: the member binds loopback and says so in Addr.
func TestClusterNilNetworkPointerMeansSockets(t *testing.T) {
	var network *gossiptest.MemNetwork
	cfg := gossip.DefaultLocalConfig()
	cfg.Network = network
	c, _ := newMember(t, cfg)
	assert.Contains(t, c.Addr(), "127.0.0.1:")
	assert.NotEqual(t, "127.0.0.1:7946", c.Addr(), "port 0 picked a free port")
}
