package main

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/netlab-go/netlab/p2p"
	"github.com/netlab-go/netlab/p2p/chart"
)

func runP2P(ctx context.Context, e *env) error {
	cfg := p2p.DefaultSimConfig()
	cfg.Peers, cfg.Kill = 60, 3
	cfg.Peer.GossipCount = 3
	e.Printf("starting %d seeds and %d peers on 127.0.0.1, intervals shortened 25x (liveness every %v)",
		cfg.Seeds, cfg.Peers, cfg.Peer.LivenessInterval)
	cfg.Progress = func(format string, a ...any) { e.Printf(format, a...) }
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := p2p.RunSim(ctx, cfg)
	if err != nil {
		return err
	}
	worst := time.Duration(0)
	for _, d := range res.Detected {
		worst = max(worst, d)
	}
	deg, err := chart.Degrees(res.Settled.Degrees(), res.KMin)
	if err != nil {
		return err
	}
	if err := deg.Save(e.Path("p2p-degrees.png")); err != nil {
		return err
	}
	dotPath := e.Path("p2p-overlay.dot")
	if err := res.Settled.SaveDOT(dotPath); err != nil {
		return err
	}
	overlay, err := chart.Overlay(res.Settled, 1, res.Killed, "killed once the overlay settled")
	if err != nil {
		return err
	}
	if err := overlay.Save(e.Path("p2p-overlay.png")); err != nil {
		return err
	}
	pts := res.Settled.Robustness(10, rand.New(rand.NewPCG(1, 2)))
	robust, err := chart.Robustness(pts)
	if err != nil {
		return err
	}
	if err := robust.Save(e.Path("p2p-robustness.png")); err != nil {
		return err
	}
	at := pts[4] // 20% removed
	e.Report("%d peers, %d links, power-law exponent %.2f (MLE, k >= %d; Kolmogorov-Smirnov distance to the fit %.3f)",
		len(res.Settled.Nodes), len(res.Settled.Edges), res.Alpha, res.KMin,
		p2p.PowerLawKS(res.Settled.Degrees(), res.KMin, res.Alpha))
	e.Report("%d killed peers removed from every seed in at most %v (bound %v)",
		len(res.Killed), worst.Round(time.Millisecond), res.Bound)
	if worst > res.Bound {
		e.Report("detection exceeded the bound: the machine is loaded or the intervals too short")
	}
	e.Report("20%% of peers removed: largest component %.0f%% at random, %.0f%% hubs first",
		100*at.Random, 100*at.Targeted)
	e.Report("%d first-time gossip deliveries; %d component(s) after the kills and replacements",
		res.Gossip, res.After.Components())
	return nil
}
