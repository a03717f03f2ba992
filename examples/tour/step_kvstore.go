package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/netlab-go/netlab/kvstore"
	"github.com/netlab-go/netlab/kvstore/chart"
)

// kvCluster is replicas running until stop is called.
type kvCluster struct {
	replicas []*kvstore.Replica
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

func startKV(ctx context.Context, names []string, network *gossiptest.MemNetwork) (*kvCluster, error) {
	runCtx, cancel := context.WithCancel(ctx)
	kc := &kvCluster{cancel: cancel}
	for _, name := range names {
		cfg := kvstore.DefaultConfig(name)
		cfg.AntiEntropyInterval = 200 * time.Millisecond
		ccfg := gossip.DefaultLocalConfig()
		ccfg.Network = network
		r, err := kvstore.NewReplica(cfg, ccfg)
		if err != nil {
			kc.stop()
			return nil, err
		}
		if len(kc.replicas) > 0 {
			if _, err := r.Join([]string{kc.replicas[0].Cluster.Addr()}); err != nil {
				r.Close()
				kc.stop()
				return nil, err
			}
		}
		kc.replicas = append(kc.replicas, r)
		kc.wg.Go(func() { _ = r.Run(runCtx) })
	}
	for _, r := range kc.replicas {
		if err := r.WaitMembers(ctx, len(names)); err != nil {
			kc.stop()
			return nil, err
		}
	}
	return kc, nil
}

func (kc *kvCluster) stop() {
	kc.cancel()
	kc.wg.Wait()
}

func runKVStore(ctx context.Context, e *env) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	// 1. The course demo on loopback UDP.
	e.Printf("nodes A, B and C gossip over loopback UDP (memberlist, SWIM)")
	kc, err := startKV(ctx, []string{"A", "B", "C"}, nil)
	if err != nil {
		return err
	}
	watchB := kc.replicas[1].Watch(ctx, "")
	watchC := kc.replicas[2].Watch(ctx, "")
	start := time.Now()
	if _, err := kc.replicas[0].Put("temperature", []byte("25.5")); err != nil {
		kc.stop()
		return err
	}
	var took []time.Duration
	for _, ch := range []<-chan kvstore.Event{watchB, watchC} {
		select {
		case <-ch:
			took = append(took, time.Since(start))
		case <-ctx.Done():
			kc.stop()
			return fmt.Errorf("the write never reached every replica: %w", ctx.Err())
		}
	}
	v, _ := kc.replicas[2].Get("temperature")
	e.Printf("A: put temperature=25.5; B has it after %v, C after %v (reads %s there)",
		took[0].Round(time.Microsecond), took[1].Round(time.Microsecond), v.Value)
	kc.stop()
	e.Report("put on A visible on B and C after %v and %v", took[0].Round(time.Microsecond), took[1].Round(time.Microsecond))

	// 2. A partition with conflicting writes, healed.
	network, err := gossiptest.NewMemNetwork(gossiptest.DefaultMemConfig())
	if err != nil {
		return err
	}
	defer network.Close()
	names := []string{"A", "B", "C", "D", "E"}
	e.Printf("five replicas on an in-memory network; partition {A,B} | {C,D,E}")
	kc, err = startKV(ctx, names, network)
	if err != nil {
		return err
	}
	defer kc.stop()
	addr := func(i ...int) []string {
		var out []string
		for _, j := range i {
			out = append(out, kc.replicas[j].Cluster.Addr())
		}
		return out
	}
	var nodes []*kvstore.Node
	for _, r := range kc.replicas {
		nodes = append(nodes, r.Node)
	}
	// Sample how many keys the replicas disagree on, from the partition to
	// convergence.
	var samples []chart.Sample
	var sampleErr error
	sampling := make(chan struct{})
	var sampler sync.WaitGroup
	t0 := time.Now()
	sampler.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			stop := false
			select {
			case <-sampling:
				stop = true // one last sample: the converged state
			case <-t.C:
			}
			d, err := kvstore.Divergent(nodes...)
			if err != nil {
				sampleErr = err
				return
			}
			samples = append(samples, chart.Sample{At: time.Since(t0), Divergent: d})
			if stop {
				return
			}
		}
	})
	stopSampling := func() error {
		select {
		case <-sampling:
		default:
			close(sampling)
		}
		sampler.Wait()
		return sampleErr
	}
	defer stopSampling()

	network.Partition(addr(0, 1), addr(2, 3, 4))
	marks := []chart.Mark{{At: time.Since(t0), Label: "partition"}}
	// A write every 2 ms, so that the chart shows the divergence grow.
	pace := time.NewTicker(2 * time.Millisecond)
	for i := range 300 {
		r := kc.replicas[i%5]
		if _, err := r.Put(fmt.Sprintf("sensor-%02d", i%97), fmt.Appendf(nil, "%s reading %d", r.Name(), i)); err != nil {
			pace.Stop()
			return err
		}
		<-pace.C
	}
	pace.Stop()
	marks = append(marks, chart.Mark{At: time.Since(t0), Label: "last write"})
	// Let each side agree within itself: the divergence left is what only
	// the heal can repair.
	for !allInSync(kc.replicas[:2]) || !allInSync(kc.replicas[2:]) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("the sides did not agree within themselves: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	atHeal, err := kvstore.Divergent(nodes...)
	if err != nil {
		return err
	}
	a, _ := kc.replicas[0].Get("sensor-07")
	c, _ := kc.replicas[2].Get("sensor-07")
	e.Printf("while partitioned, sensor-07 is %q on A and %q on C; the replicas disagree on %d keys", a.Value, c.Value, atHeal)
	network.Heal()
	healed := time.Now()
	marks = append(marks, chart.Mark{At: healed.Sub(t0), Label: "heal"})
	for !allInSync(kc.replicas) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("replicas did not converge after the heal: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	converged := time.Since(healed)
	marks = append(marks, chart.Mark{At: time.Since(t0), Label: "converged"})
	if err := stopSampling(); err != nil {
		return err
	}
	png := e.Path("kvstore-convergence.png")
	if err := chart.WriteConvergence(png, "Five replicas: partition {A,B} | {C,D,E}, 300 writes, heal", samples, marks); err != nil {
		return err
	}
	w, _ := kc.replicas[0].Get("sensor-07")
	var aeBytes, merges uint64
	for _, r := range kc.replicas {
		aeBytes += r.Stats().AntiEntropyBytesSent
		merges += r.Stats().Merges
	}
	e.Printf("healed: all five agree after %v; sensor-07 = %q everywhere (the write with the newest HLC version, by %s)",
		converged.Round(time.Millisecond), w.Value, w.Origin())
	e.Report("partition {A,B}|{C,D,E}, 300 conflicting writes: %d keys divergent at the heal, converged %v after it, LWW winner everywhere (%s)", atHeal, converged.Round(time.Millisecond), png)
	e.Report("%d remote writes merged; anti-entropy sent %d bytes (gossip re-delivers missed broadcasts too)", merges, aeBytes)
	return nil
}

func allInSync(rs []*kvstore.Replica) bool {
	for _, r := range rs[1:] {
		if !r.InSyncWith(rs[0].Node) {
			return false
		}
	}
	return true
}
