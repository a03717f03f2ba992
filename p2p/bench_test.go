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

// deliveries counts, per message, how many times each peer delivered it,
// and when the first delivery happened.
type deliveries struct {
	mu    sync.Mutex
	seen  map[MessageKey]map[netip.AddrPort]int
	first map[MessageKey]time.Time
}

func (d *deliveries) hook(self *netip.AddrPort) func(Message, netip.AddrPort) {
	return func(m Message, _ netip.AddrPort) {
		now := time.Now()
		d.mu.Lock()
		defer d.mu.Unlock()
		k := KeyOf(m)
		if d.seen[k] == nil {
			d.seen[k] = map[netip.AddrPort]int{}
			d.first[k] = now
		}
		d.seen[k][*self]++
	}
}

// firstAfter is how long after start the first peer delivered m.
func (d *deliveries) firstAfter(m Message, start time.Time) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.first[KeyOf(m)].Sub(start)
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
// peers on loopback and times how long until every peer reachable from the
// origin has delivered it, each exactly once. It waits as long as that takes
// (a minute at most, then it fails rather than report a capped figure), so
// the figures are measured, not clipped. The course's target, under 2 s,
// belongs to the docs; the metric beside it is the flood time over a
// baseline measured in the same flood: the hop count from the origin to the
// farthest peer times the first hop's latency (the time until the first
// neighbour delivered), i.e. how close the flood comes to one first-hop
// latency per hop. Starting 500 peers takes a while; -benchtime 3x is a
// short run.
func BenchmarkFlood500(b *testing.B) {
	const n = 500
	d := &deliveries{seen: map[MessageKey]map[netip.AddrPort]int{}, first: map[MessageKey]time.Time{}}
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
		b.Logf("overlay has %d components; each flood waits for the origin's", comps)
	}

	rnd := rand.New(rand.NewPCG(1, 2))
	var worst, total, hopTotal time.Duration
	var dupTotal, hopsTotal int
	sent0 := totalDuplicates(bn.peers)
	b.ResetTimer()
	for range b.N {
		origin := bn.peers[rnd.IntN(n)]
		b.StopTimer()
		snap := Snapshot(bn.peers)
		reach, hops := snap.reach(origin.Addr())
		b.StartTimer()
		start := time.Now()
		m := origin.Publish()
		for {
			got, _ := d.of(m)
			if got >= reach-1 {
				break
			}
			if time.Since(start) > time.Minute {
				b.Fatalf("after a minute %d of %d reachable peers delivered the message", got, reach-1)
			}
			time.Sleep(200 * time.Microsecond)
		}
		took := time.Since(start)
		_, extra := d.of(m)
		worst, total = max(worst, took), total+took
		dupTotal += extra
		hopsTotal += hops
		hopTotal += d.firstAfter(m, start)
	}
	b.StopTimer()
	dupSends := float64(totalDuplicates(bn.peers)-sent0) / float64(b.N)
	mean := total / time.Duration(b.N)
	b.ReportMetric(float64(mean.Microseconds())/1000, "mean-ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	b.ReportMetric(float64(hopsTotal)/float64(b.N), "hops")
	if hopTotal > 0 && hopsTotal > 0 {
		b.ReportMetric(float64(total)/(float64(hopTotal)/float64(b.N)*float64(hopsTotal)), "flood/(hops·first-hop)")
	}
	b.ReportMetric(float64(dupTotal), "extra-deliveries")
	b.ReportMetric(dupSends/n, "dropped-dups/peer/msg")
	b.ReportMetric(memPerPeer/1024, "KiB/peer")
	b.ReportMetric(gPerPeer, "goroutines/peer")
	b.ReportMetric(float64(len(Snapshot(bn.peers).Edges))/n, "links/peer")
}

// reach returns how many nodes are in from's component (from included) and
// the most hops from from to any of them (breadth-first search).
func (o Overlay) reach(from netip.AddrPort) (nodes, hops int) {
	adj := map[netip.AddrPort][]netip.AddrPort{}
	for _, e := range o.Edges {
		adj[e[0]] = append(adj[e[0]], e[1])
		adj[e[1]] = append(adj[e[1]], e[0])
	}
	dist := map[netip.AddrPort]int{from: 0}
	queue := []netip.AddrPort{from}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range adj[v] {
			if _, seen := dist[w]; !seen {
				dist[w] = dist[v] + 1
				hops = max(hops, dist[w])
				queue = append(queue, w)
			}
		}
	}
	return len(dist), hops
}

func totalDuplicates(peers []*Peer) int {
	t := 0
	for _, p := range peers {
		t += p.Stats().GossipDuplicates
	}
	return t
}

// BenchmarkFailureDetection kills one peer per iteration and times until
// every seed has removed it (neighbours' reports, each confirmed by the
// seeds' probe). The bound is computed in the run from the peers' own
// configuration, (LivenessFailures+1)·LivenessInterval, and the benchmark
// waits as long as removal takes (up to 20 bounds, then it fails) so that
// worst/bound is measured and may exceed 1.
func BenchmarkFailureDetection(b *testing.B) {
	const interval = 100 * time.Millisecond
	var used Config
	bn := startBenchNet(b, b.N+20, func(c *Config, _ *netip.AddrPort) {
		c.LivenessInterval = interval
		c.RefreshInterval = time.Second
		used = *c
	})
	defer bn.run.stopAll()
	bound := time.Duration(used.LivenessFailures+1) * used.LivenessInterval
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
				b.Fatalf("%v not removed after %v, 20 times the bound", addr, time.Since(start))
			}
			time.Sleep(time.Millisecond)
		}
		took := time.Since(start)
		worst, total = max(worst, took), total+took
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "mean-detect-ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-detect-ms")
	b.ReportMetric(float64(bound.Microseconds())/1000, "bound-ms")
	b.ReportMetric(float64(total)/float64(b.N)/float64(bound), "mean/bound")
	b.ReportMetric(float64(worst)/float64(bound), "worst/bound")
}
