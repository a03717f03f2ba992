package kvstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
)

// startBenchReplicas starts replicas named names on loopback UDP (network
// nil) or on network, and stops them when the benchmark ends.
func startBenchReplicas(b *testing.B, names []string, network *gossip.MemNetwork, mutate func(*Config)) []*Replica {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	b.Cleanup(func() { cancel(); wg.Wait() })
	var rs []*Replica
	for _, name := range names {
		cfg := DefaultConfig(name)
		if mutate != nil {
			mutate(&cfg)
		}
		ccfg := gossip.DefaultLocalConfig()
		ccfg.Network = network
		r, err := NewReplica(cfg, ccfg)
		if err != nil {
			b.Fatal(err)
		}
		if len(rs) > 0 {
			if _, err := r.Join([]string{rs[0].Cluster.Addr()}); err != nil {
				b.Fatal(err)
			}
		}
		rs = append(rs, r)
		wg.Go(func() { _ = r.Run(ctx) })
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	for _, r := range rs {
		if err := r.WaitMembers(wctx, len(names)); err != nil {
			b.Fatal(err)
		}
	}
	return rs
}

// BenchmarkReplicationLatency: 5 replicas in one process on loopback UDP.
// Each iteration puts one key on a rotating replica and waits until the
// other four have applied it. Reports the p50 and p99 time until the last
// replica has it (run with -benchtime 1000x for 1,000 puts).
func BenchmarkReplicationLatency(b *testing.B) {
	rs := startBenchReplicas(b, []string{"A", "B", "C", "D", "E"}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watches := make([]<-chan Event, len(rs))
	for i, r := range rs {
		watches[i] = r.Watch(ctx, "")
	}
	value := make([]byte, 100)
	var lat []time.Duration
	i := 0
	for b.Loop() {
		w := i % len(rs)
		key := fmt.Sprintf("bench-%010d", i)
		start := time.Now()
		if _, err := rs[w].Put(key, value); err != nil {
			b.Fatal(err)
		}
		for _, ch := range watches {
			for ev := range ch {
				if ev.Entry.Key == key {
					break
				}
			}
		}
		lat = append(lat, time.Since(start))
		i++
	}
	b.StopTimer()
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	b.ReportMetric(float64(p(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p(0.99).Microseconds())/1000, "p99-ms")
}

// BenchmarkAntiEntropyCatchUp: 5 replicas on the in-memory network; E is
// partitioned away while A..D take 100,000 writes (16-byte keys, 100-byte
// values); then the partition heals. Reports how long E takes to converge
// (target ≤ 10 s) and the anti-entropy bytes E sent and received against
// the encoded size of the entries it missed (target ≤ 2×), for digest
// anti-entropy and, in the same run, for the course's full-state exchange.
// It also reports what a round costs once all replicas agree, which is
// where the two designs differ most.
func BenchmarkAntiEntropyCatchUp(b *testing.B) {
	for _, mode := range []struct {
		name string
		full bool
	}{{"digests", false}, {"full-state", true}} {
		b.Run(mode.name, func(b *testing.B) {
			for range b.N {
				catchUp(b, 100_000, mode.full)
			}
		})
	}
}

func catchUp(b *testing.B, writes int, full bool) {
	b.StopTimer()
	network, err := gossip.NewMemNetwork(gossip.DefaultMemConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer network.Close()
	rs := startBenchReplicas(b, []string{"A", "B", "C", "D", "E"}, network, func(c *Config) {
		c.AntiEntropyInterval = 500 * time.Millisecond
		c.FullStateExchange = full
	})
	e := rs[4]
	var others []string
	for _, r := range rs[:4] {
		others = append(others, r.Cluster.Addr())
	}
	network.Partition(others, []string{e.Cluster.Addr()})
	value := make([]byte, 100)
	for i := range writes {
		if _, err := rs[i%4].Put(fmt.Sprintf("k%015d", i), value); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for !(rs[1].InSyncWith(rs[0].Node) && rs[2].InSyncWith(rs[0].Node) && rs[3].InSyncWith(rs[0].Node)) {
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			b.Fatal("A..D never agreed among themselves")
		}
	}
	list, _ := rs[0].List("k")
	missing := len(appendEntries(nil, kindRepair, list))
	before := e.Stats()
	gossipBefore := e.Cluster.Stats().BroadcastsReceived

	b.StartTimer()
	healed := time.Now()
	network.Heal()
	for !e.InSyncWith(rs[0].Node) {
		if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
			b.Fatalf("E did not catch up: %v", err)
		}
	}
	took := time.Since(healed)
	b.StopTimer()

	after := e.Stats()
	viaGossip := e.Cluster.Stats().BroadcastsReceived - gossipBefore
	ae := (after.AntiEntropyBytesSent - before.AntiEntropyBytesSent) + (after.AntiEntropyBytesReceived - before.AntiEntropyBytesReceived)
	// What anti-entropy costs once everyone agrees: bytes sent per node per
	// round over a two-second window (a measurement window, not a wait).
	var sentBefore, rounds uint64
	for _, r := range rs {
		st := r.Stats()
		sentBefore += st.AntiEntropyBytesSent
		rounds += st.AntiEntropyRounds
	}
	time.Sleep(2 * time.Second)
	var sentAfter, roundsAfter uint64
	for _, r := range rs {
		st := r.Stats()
		sentAfter += st.AntiEntropyBytesSent
		roundsAfter += st.AntiEntropyRounds
	}
	if roundsAfter > rounds {
		b.ReportMetric(float64(sentAfter-sentBefore)/float64(roundsAfter-rounds), "in-sync-bytes/round")
	}
	b.ReportMetric(took.Seconds(), "catch-up-s")
	b.ReportMetric(float64(missing)/1e6, "missing-MB")
	b.ReportMetric(float64(ae)/1e6, "ae-MB")
	b.ReportMetric(float64(ae)/float64(missing), "ae/missing")
	// Writes the gossip layer itself re-delivered after the heal (its own
	// broadcast repair), which arrive outside kvstore's anti-entropy.
	b.ReportMetric(float64(viaGossip), "gossip-redelivered")
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
