package main

import (
	"context"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/netlab-go/netlab/gossip/sim"
	"github.com/netlab-go/netlab/gossip/sim/chart"
)

func runGossip(ctx context.Context, e *env) error {
	const n, seeds = 10000, 20 // as BenchmarkRoundsToFullCoverage, so the report agrees with gossip's doc
	e.Printf("simulating rumor spreading on %d nodes, %d seeds per mode ...", n, seeds)
	never := gossip.AfterRounds(1 << 15)
	var curves []chart.Curve
	for _, m := range []struct {
		label string
		mode  gossip.Mode
	}{{"push", gossip.Push}, {"pull", gossip.Pull}, {"push-pull", gossip.PushPull}} {
		s, err := sim.SimulateSeeds(sim.Config{N: n, Mode: m.mode, Fanout: 1, Stop: never, MaxRounds: 200}, seeds)
		if err != nil {
			return err
		}
		cov := s.MeanCoverage()
		curves = append(curves,
			chart.Curve{Label: m.label + " fanout 1 (simulated)", Values: cov},
			chart.Curve{Label: m.label + " fanout 1 (theory)", Values: sim.MeanField(m.mode, n, 1, len(cov)-1), Theory: true})
		e.Printf("  %-9s median %d rounds to reach all, %.1f messages per node", m.label, s.Median(), s.MessagesPerNode)
		if m.mode == gossip.PushPull {
			e.Report("push-pull fanout 1, N=%d: median %d rounds (Karp et al.: log3 N + O(log log N) = %.1f)", n, s.Median(), sim.PushPullRounds(n))
		}
	}
	png := e.Path("gossip-coverage.png")
	if err := chart.WriteCoverage(png, fmt.Sprintf("Coverage per round, N=%d", n), curves, true); err != nil {
		return err
	}
	course := sim.FromGossip(gossip.CoursePreset(), n)
	course.AntiEntropyEvery = 0
	cs, err := sim.SimulateSeeds(course, seeds)
	if err != nil {
		return err
	}
	def := sim.FromGossip(gossip.DefaultConfig(), n)
	def.AntiEntropyEvery = 0
	ds, err := sim.SimulateSeeds(def, seeds)
	if err != nil {
		return err
	}
	e.Report("uninformed until anti-entropy: course preset (push, fanout 2, coin 0.5) %.2f%%, netlab default (fanout 3, coin 0.8) %.4f%%", 100*cs.Residue, 100*ds.Residue)

	const members = 20
	e.Printf("starting %d cluster members (memberlist SWIM) on an in-memory network ...", members)
	network, err := gossiptest.NewMemNetwork(gossiptest.DefaultMemConfig())
	if err != nil {
		return err
	}
	defer network.Close()
	cfg := gossip.DefaultLocalConfig()
	cfg.Network = network
	lc, err := gossiptest.StartLocal(members, cfg)
	if err != nil {
		return err
	}
	defer lc.Close()
	took, err := lc.WaitViews(ctx, nil, members)
	if err != nil {
		return err
	}
	took = took.Round(time.Millisecond)
	e.Printf("  all %d see each other after %v", members, took)
	reach, bt, err := lc.BroadcastAndWait(ctx, 0, []byte("hello, everyone"))
	if err != nil {
		return err
	}
	bt = bt.Round(time.Millisecond)
	e.Printf("  a broadcast reached %d of %d in %v", reach, members-1, bt)
	e.Report("cluster of %d: full views %v after joins; broadcast reached %d/%d in %v", members, took, reach, members-1, bt)

	e.Printf("  killing 2 members ...")
	lc.Kill(members - 1)
	lc.Kill(members - 2)
	detect, err := lc.WaitViews(ctx, nil, members-2)
	if err != nil {
		return err
	}
	detect = detect.Round(time.Millisecond)
	e.Printf("  failures detected by every survivor after %v", detect)
	live := lc.Live()
	e.Printf("  partitioning %d | %d, then healing ...", len(live)/2, len(live)-len(live)/2)
	if err := lc.Partition(live[:len(live)/2], live[len(live)/2:]); err != nil {
		return err
	}
	if _, err := lc.WaitViews(ctx, live[:len(live)/2], len(live)/2); err != nil {
		return err
	}
	lc.Heal()
	heal, err := lc.WaitViews(ctx, nil, len(live))
	if err != nil {
		return err
	}
	heal = heal.Round(time.Millisecond)
	e.Printf("  one view again %v after the heal", heal)
	e.Report("2 crashed members detected in %v; a partition healed in %v", detect, heal)
	return nil
}
