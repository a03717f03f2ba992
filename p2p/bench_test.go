package p2p

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"
)

// benchNet is an overlay for benchmarks, started once per benchmark.
type benchNet struct {
	seeds []*Seed
	peers []*Peer
	stops []context.CancelFunc
	run   runner
}

// startBenchNet starts 3 seeds and n peers, one after another; tune adjusts
// each peer's Config and may keep self, which holds the peer's address once
// it is bound.
func startBenchNet(b *testing.B, n int, tune func(c *Config, self *netip.AddrPort)) *benchNet {
	b.Helper()
	bn := &benchNet{}
	for range 3 {
		s, err := NewSeed(DefaultSeedConfig())
		if err != nil {
			b.Fatal(err)
		}
		bn.seeds = append(bn.seeds, s)
		bn.run.start(s.Run)
	}
	for i := range n {
		cfg := DefaultConfig()
		cfg.Seeds = seedAddrs(bn.seeds...)
		cfg.ID = i
		cfg.GossipCount = 0
		cfg.Sample = 8
		cfg.Rand = rand.New(rand.NewPCG(uint64(i), 11))
		self := new(netip.AddrPort)
		tune(&cfg, self)
		p, err := NewPeer(cfg)
		if err != nil {
			b.Fatal(err)
		}
		*self = p.Addr()
		bn.stops = append(bn.stops, bn.run.start(p.Run))
		select {
		case <-p.Joined():
		case <-time.After(30 * time.Second):
			b.Fatalf("peer %d did not join", i)
		}
		bn.peers = append(bn.peers, p)
	}
	return bn
}

// deliveries counts, per message, how many times each peer delivered it.
type deliveries struct {
	mu   sync.Mutex
	seen map[MessageKey]map[netip.AddrPort]int
}

func (d *deliveries) hook(self *netip.AddrPort) func(Message, netip.AddrPort) {
	return func(m Message, _ netip.AddrPort) {
		d.mu.Lock()
		defer d.mu.Unlock()
		k := KeyOf(m)
		if d.seen[k] == nil {
			d.seen[k] = map[netip.AddrPort]int{}
		}
		d.seen[k][*self]++
	}
}

func (d *deliveries) of(m Message) (peers, extra int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.seen[KeyOf(m)] {
		peers++
		extra += c - 1
	}
	return peers, extra
}

// BenchmarkFlood500 floods one gossip message from a random peer through 500
// peers on loopback and times how long until every other connected peer has
// delivered it; the target is 2 s, with each peer delivering it exactly once.
func BenchmarkFlood500(b *testing.B) {
	const n = 500
	d := &deliveries{seen: map[MessageKey]map[netip.AddrPort]int{}}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	bn := startBenchNet(b, n, func(c *Config, self *netip.AddrPort) {
		c.OnGossip = d.hook(self)
		c.LivenessInterval = 2 * time.Second
		c.RefreshInterval = 10 * time.Second
	})
	defer bn.run.stopAll()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	gPerPeer := float64(runtime.NumGoroutine()-g0) / n
	memPerPeer := float64(after.HeapAlloc-before.HeapAlloc) / n
	if comps := Snapshot(bn.peers).Components(); comps != 1 {
		b.Logf("overlay has %d components", comps)
	}

	rnd := rand.New(rand.NewPCG(1, 2))
	var worst time.Duration
	var dupTotal, missed int
	sent0 := totalDuplicates(bn.peers)
	b.ResetTimer()
	for range b.N {
		origin := bn.peers[rnd.IntN(n)]
		start := time.Now()
		m := origin.Publish()
		deadline := start.Add(2 * time.Second)
		var got, extra int
		for {
			got, extra = d.of(m)
			if got == n-1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
		took := time.Since(start)
		worst = max(worst, took)
		dupTotal += extra
		missed += n - 1 - got
	}
	b.StopTimer()
	dupSends := float64(totalDuplicates(bn.peers)-sent0) / float64(b.N)
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	b.ReportMetric(float64(worst)/float64(2*time.Second), "worst/2s")
	b.ReportMetric(float64(missed), "peers-missed")
	b.ReportMetric(float64(dupTotal), "extra-deliveries")
	b.ReportMetric(dupSends/n, "dropped-dups/peer/msg")
	b.ReportMetric(memPerPeer/1024, "KiB/peer")
	b.ReportMetric(gPerPeer, "goroutines/peer")
	b.ReportMetric(float64(len(Snapshot(bn.peers).Edges))/n, "links/peer")
}

func totalDuplicates(peers []*Peer) int {
	t := 0
	for _, p := range peers {
		t += p.Stats().GossipDuplicates
	}
	return t
}

// BenchmarkFailureDetection kills one peer per iteration and times until
// every seed has removed it; the target is (LivenessFailures+1) liveness
// intervals.
func BenchmarkFailureDetection(b *testing.B) {
	const interval = 100 * time.Millisecond
	bn := startBenchNet(b, b.N+20, func(c *Config, _ *netip.AddrPort) {
		c.LivenessInterval = interval
		c.RefreshInterval = time.Second
	})
	defer bn.run.stopAll()
	bound := time.Duration(DefaultConfig().LivenessFailures+1) * interval
	rnd := rand.New(rand.NewPCG(3, 4))
	order := rnd.Perm(len(bn.peers))
	var worst, total time.Duration
	b.ResetTimer()
	for i := range b.N {
		v := order[i]
		addr := bn.peers[v].Addr()
		start := time.Now()
		bn.stops[v]()
		for inAnyRegistry(bn.seeds, addr) {
			if time.Since(start) > 20*bound {
				b.Fatalf("%v never removed", addr)
			}
			time.Sleep(time.Millisecond)
		}
		took := time.Since(start)
		worst, total = max(worst, took), total+took
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "mean-detect-ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-detect-ms")
	b.ReportMetric(float64(worst)/float64(bound), "worst/bound")
}
