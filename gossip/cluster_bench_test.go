package gossip_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
)

// memberlistLocalBaseline is memberlist's own DefaultLocalConfig timings
// without netlab's relay: the figures to beat.
func memberlistLocalBaseline(cfg gossip.ClusterConfig) gossip.ClusterConfig {
	cfg.ProbeInterval = time.Second
	cfg.ProbeTimeout = 200 * time.Millisecond
	cfg.IndirectChecks = 1
	cfg.SuspicionMult = 3
	cfg.SuspicionMaxTimeoutMult = 6
	cfg.GossipInterval = 100 * time.Millisecond
	cfg.GossipNodes = 3
	cfg.RetransmitMult = 2
	cfg.PushPullInterval = 15 * time.Second
	cfg.GossipToTheDeadTime = 15 * time.Second
	cfg.Relay = false
	return cfg
}

type clusterFigures struct {
	viewTime    time.Duration // joins finished → every member sees all
	joinTime    time.Duration
	reachP99    time.Duration // over broadcasts that reached everyone
	minReach    int
	fullReach   int // broadcasts that reached every other member
	broadcasts  int
	heapMiB     float64
	goroutines  int
	viewTimeout bool
	drops       uint64 // queue, inbox, outbox and transport drops, summed
}

// measureCluster starts n members, waits for full views, then sends
// broadcasts and measures reach; waitEach bounds the wait per broadcast.
func measureCluster(b *testing.B, n int, cfg gossip.ClusterConfig, broadcasts int, viewLimit, waitEach time.Duration) clusterFigures {
	b.Helper()
	var f clusterFigures
	start := time.Now()
	lc, err := gossiptest.StartLocal(n, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer lc.Close()
	f.joinTime = time.Since(start)
	progress("%d members joined in %v; waiting for full views", n, f.joinTime.Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), viewLimit)
	f.viewTime, err = lc.WaitViews(ctx, nil, n)
	cancel()
	progress("full views after %v (err %v)", f.viewTime.Round(time.Millisecond), err)
	if err != nil {
		f.viewTimeout = true
		b.Logf("views after %v: %v", viewLimit, lc.Views())
	}
	var took []time.Duration
	f.minReach = n
	for i := range broadcasts {
		ctx, cancel := context.WithTimeout(context.Background(), waitEach)
		reach, t, _ := lc.BroadcastAndWait(ctx, (i*37)%n, fmt.Appendf(nil, "bench broadcast %d", i))
		cancel()
		f.minReach = min(f.minReach, reach+1) // the sender knows it too
		if reach == n-1 {
			f.fullReach++
			took = append(took, t)
		}
		if i%10 == 9 {
			progress("%d broadcasts sent; %d reached everyone", i+1, f.fullReach)
		}
	}
	f.broadcasts = broadcasts
	if len(took) > 0 {
		slices.Sort(took)
		f.reachP99 = took[min(len(took)-1, (len(took)*99+99)/100-1)]
	}
	for _, m := range lc.Members {
		s := m.Stats()
		f.drops += s.QueueDrops + s.InboxDrops + s.OutboxDrops + s.TransportDrops
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f.heapMiB = float64(ms.HeapInuse) / (1 << 20)
	f.goroutines = runtime.NumGoroutine()
	return f
}

// progress tells the person running a long benchmark what it is doing.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "  [%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func (f clusterFigures) report(b *testing.B, n int) {
	f.log(b, n)
	b.ReportMetric(f.joinTime.Seconds(), "join-s")
	b.ReportMetric(f.viewTime.Seconds(), "full-views-s")
	b.ReportMetric(float64(f.minReach), "min-reach")
	b.ReportMetric(float64(f.fullReach)/float64(f.broadcasts), "full-reach-fraction")
	b.ReportMetric(f.reachP99.Seconds(), "reach-p99-s")
	b.ReportMetric(f.heapMiB, "heap-MiB")
	b.ReportMetric(float64(f.goroutines), "goroutines")
	b.ReportMetric(float64(f.drops), "drops")
}

func (f clusterFigures) log(b *testing.B, n int) {
	b.Logf("n=%d joins %v, full views %v after (timeout %v), %d/%d broadcasts reached all, min reach %d, p99 %v, heap %.1f MiB, %d goroutines, %d drops",
		n, f.joinTime.Round(time.Millisecond), f.viewTime.Round(time.Millisecond), f.viewTimeout, f.fullReach, f.broadcasts, f.minReach, f.reachP99, f.heapMiB, f.goroutines, f.drops)
}

// BenchmarkCluster200 runs 200 members in one process on loopback UDP/TCP
// with DefaultLocalConfig and measures how long after the joins every
// member sees all 200, and how far and how fast 50 broadcasts reach (p99).
// The baseline, in the same run, is memberlist's own DefaultLocalConfig
// timings without relay (view-speedup = baseline full-view time / ours).
//
// It is slow: about 2 minutes on two cores, most of it the baseline, which
// may need more than a minute to reach full views. Run it alone with
// -benchtime 1x:
//
//	go test -run '^$' -bench 'Cluster200$' -benchtime 1x ./gossip
//
// BenchmarkCluster20 is the same measurement on 20 members, in about 30 s.
func BenchmarkCluster200(b *testing.B) { benchCluster(b, 200, 50, 5, 120*time.Second) }

// BenchmarkCluster20 is the short variant of BenchmarkCluster200: 20
// members and 20 broadcasts. It takes about 30 s, nearly all of it the
// baseline, whose full views wait for memberlist's 15 s push-pull (measured
// here: 21 s against 0.09 s with DefaultLocalConfig, under load).
func BenchmarkCluster20(b *testing.B) { benchCluster(b, 20, 20, 3, 60*time.Second) }

func benchCluster(b *testing.B, n, broadcasts, baseBroadcasts int, baseViewLimit time.Duration) {
	var ours, base clusterFigures
	for b.Loop() {
		ours = measureCluster(b, n, gossip.DefaultLocalConfig(), broadcasts, 60*time.Second, 5*time.Second)
		base = measureCluster(b, n, memberlistLocalBaseline(gossip.DefaultLocalConfig()), baseBroadcasts, baseViewLimit, 3*time.Second)
	}
	ours.report(b, n)
	b.Logf("baseline (memberlist DefaultLocalConfig timings, no relay):")
	base.log(b, n)
	b.ReportMetric(base.viewTime.Seconds(), "baseline-full-views-s")
	b.ReportMetric(float64(base.minReach), "baseline-min-reach")
	if ours.viewTime > 0 {
		b.ReportMetric(base.viewTime.Seconds()/ours.viewTime.Seconds(), "view-speedup")
	}
}

// BenchmarkClusterLoss runs 100 members on a MemNetwork that loses 10% of
// packets: every broadcast must still reach every live member.
func BenchmarkClusterLoss(b *testing.B) {
	const n = 100
	var f clusterFigures
	mcfg := gossiptest.DefaultMemConfig()
	mcfg.Loss = 0.1
	for b.Loop() {
		f = measureMemCluster(b, n, mcfg)
	}
	f.report(b, n)
}

// BenchmarkClusterMem200 is BenchmarkCluster200 on the in-memory transport.
func BenchmarkClusterMem200(b *testing.B) {
	const n = 200
	var f clusterFigures
	for b.Loop() {
		f = measureMemCluster(b, n, gossiptest.DefaultMemConfig())
	}
	f.report(b, n)
}

// measureMemCluster is measureCluster on a fresh in-memory network made
// with mcfg, closed when it returns.
func measureMemCluster(b *testing.B, n int, mcfg gossiptest.MemConfig) clusterFigures {
	net, err := gossiptest.NewMemNetwork(mcfg)
	if err != nil {
		b.Fatal(err)
	}
	defer net.Close()
	cfg := gossip.DefaultLocalConfig()
	cfg.Network = net
	return measureCluster(b, n, cfg, 50, 60*time.Second, 5*time.Second)
}
