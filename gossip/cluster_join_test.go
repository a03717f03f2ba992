package gossip_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClusterSeedsRetryUntilTheSeedAppears(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	var logs testutil.SyncBuffer
	const seedAddr = "127.200.0.1:7946"
	cfgB := localConfig(net)
	cfgB.Name = "B"
	cfgB.Seeds = []string{seedAddr}
	cfgB.JoinRetryMin, cfgB.JoinRetryMax = 10*time.Millisecond, 50*time.Millisecond
	cfgB.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, _ := newMember(t, cfgB)

	// The premise: B tried, and failed, while A did not exist.
	require.Eventually(t, func() bool { return b.Stats().JoinAttempts >= 3 }, 10*time.Second, 5*time.Millisecond)
	assert.Zero(t, b.Stats().Joins)
	assert.Equal(t, 1, b.NumMembers())

	cfgA := localConfig(net)
	cfgA.Name = "A"
	cfgA.BindAddr, cfgA.BindPort = "127.200.0.1", 7946
	a, _ := newMember(t, cfgA)
	require.Equal(t, seedAddr, a.Addr())

	require.Eventually(t, func() bool { return a.NumMembers() == 2 && b.NumMembers() == 2 }, 10*time.Second, 5*time.Millisecond)
	assert.EqualValues(t, 1, b.Stats().Joins)
	out := logs.String()
	assert.Contains(t, out, `level=DEBUG msg="gossip: join failed; retrying"`)
	assert.Equal(t, 1, strings.Count(out, `level=INFO msg="gossip: joined the cluster"`), "one info line, on the first success")
}

// A member that finds itself alone (here: cut off until it declared
// everyone dead) tries its seeds again, without relying on the reconnection
// to failed members (switched off by a long ReconnectInterval).
func TestClusterSeedsRetriedWhenAlone(t *testing.T) {
	net := newMem(t, gossiptest.DefaultMemConfig())
	cfgA := localConfig(net)
	cfgA.Name, cfgA.ReconnectInterval = "A", time.Hour
	a, _ := newMember(t, cfgA)
	cfgB := localConfig(net)
	cfgB.Name, cfgB.ReconnectInterval = "B", time.Hour
	cfgB.Seeds = []string{a.Addr()}
	cfgB.JoinRetryMin, cfgB.JoinRetryMax = 10*time.Millisecond, 100*time.Millisecond
	b, _ := newMember(t, cfgB)
	require.Eventually(t, func() bool { return a.NumMembers() == 2 && b.NumMembers() == 2 }, 10*time.Second, 5*time.Millisecond)

	net.Partition([]string{a.Addr()}, []string{b.Addr()})
	// The premise: each side declared the other dead, and B is alone.
	require.Eventually(t, func() bool { return a.NumMembers() == 1 && b.NumMembers() == 1 }, 30*time.Second, 10*time.Millisecond)
	attempts := b.Stats().JoinAttempts
	require.Eventually(t, func() bool { return b.Stats().JoinAttempts > attempts }, 10*time.Second, 5*time.Millisecond,
		"B, alone, keeps trying its seed")

	net.Heal()
	require.Eventually(t, func() bool { return a.NumMembers() == 2 && b.NumMembers() == 2 }, 20*time.Second, 10*time.Millisecond)
	assert.Zero(t, a.Stats().ReconnectAttempts+b.Stats().ReconnectAttempts, "the seeds, not reconnection, healed it")
	assert.GreaterOrEqual(t, b.Stats().Joins, uint64(2))
}

func TestClusterSeedsValidated(t *testing.T) {
	cfg := gossip.DefaultLocalConfig()
	cfg.Seeds = []string{"no-port"}
	_, err := gossip.NewCluster(cfg)
	assert.ErrorContains(t, err, "ClusterConfig.Seeds[0]")
	cfg = gossip.DefaultLocalConfig()
	cfg.JoinRetryMin, cfg.JoinRetryMax = time.Second, time.Millisecond
	_, err = gossip.NewCluster(cfg)
	assert.ErrorContains(t, err, "JoinRetryMin")
}
