package sim

import (
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
)

// BenchmarkRoundsToFullCoverage measures, at N=10,000 over 20 seeds, the
// median and 90th percentile of rounds to full coverage for each mode and
// preset, next to the theory computed in the same run where one exists
// (median/theory), and the simulator's throughput in node-rounds per
// second. The package documentation's table and the figures in gossip's
// doc.go come from this benchmark:
//
//	go test -run '^$' -bench RoundsToFullCoverage -benchtime 1x ./gossip/sim
func BenchmarkRoundsToFullCoverage(b *testing.B) {
	for _, c := range []struct {
		name   string
		cfg    Config
		theory float64
	}{
		{"push-pull-f1", forever(gossip.PushPull, 10000, 1), PushPullRounds(10000)},
		{"push-f1", forever(gossip.Push, 10000, 1), PushRounds(10000, 1)},
		{"push-f3", forever(gossip.Push, 10000, 3), PushRounds(10000, 3)},
		{"pull-f1", forever(gossip.Pull, 10000, 1), 0},
		{"course-preset", FromGossip(gossip.CoursePreset(), 10000), 0},
		{"course-preset-loss10", withLoss(FromGossip(gossip.CoursePreset(), 10000), 0.1), 0},
		{"course-preset-no-ae", withoutAE(FromGossip(gossip.CoursePreset(), 10000)), 0},
		{"course-preset-loss10-no-ae", withoutAE(withLoss(FromGossip(gossip.CoursePreset(), 10000), 0.1)), 0},
		{"default", FromGossip(gossip.DefaultConfig(), 10000), 0},
		{"default-loss10", withLoss(FromGossip(gossip.DefaultConfig(), 10000), 0.1), 0},
		{"default-no-ae", withoutAE(FromGossip(gossip.DefaultConfig(), 10000)), 0},
		{"default-loss10-no-ae", withoutAE(withLoss(FromGossip(gossip.DefaultConfig(), 10000), 0.1)), 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			var s Summary
			var nodeRounds int64
			start := time.Now()
			for b.Loop() {
				var err error
				s, err = SimulateSeeds(c.cfg, 20)
				if err != nil {
					b.Fatal(err)
				}
				nodeRounds += s.NodeRounds
			}
			b.ReportMetric(float64(s.Median()), "median-rounds")
			b.ReportMetric(float64(s.Percentile(90)), "p90-rounds")
			if c.theory > 0 {
				b.ReportMetric(c.theory, "theory-rounds")
				b.ReportMetric(float64(s.Median())/c.theory, "median/theory")
			}
			b.ReportMetric(s.MessagesPerNode, "msgs/node")
			b.ReportMetric(100*s.Residue, "residue-%")
			b.ReportMetric(float64(nodeRounds)/time.Since(start).Seconds()/1e6, "M-node-rounds/s")
		})
	}
}

func withLoss(c Config, p float64) Config { c.Loss = p; return c }

// withoutAE switches anti-entropy off, to measure what rumor mongering
// alone leaves behind (the residue) and costs (messages per node).
func withoutAE(c Config) Config { c.AntiEntropyEvery = 0; return c }

// BenchmarkHundredThousandNodes times N=100,000 with push-pull, 10% loss,
// 5% crashed nodes and anti-entropy every 10 rounds, for at most 40 rounds
// (a run ends at full coverage). It reports the time of 40 rounds and the
// cost of a node-round against the same configuration at N=10,000 measured
// in the same run (per-node-round/10k-baseline): about 1 when the simulator
// scales linearly, more when 100,000 nodes fall out of the caches.
func BenchmarkHundredThousandNodes(b *testing.B) {
	cfg := forever(gossip.PushPull, 100000, 1)
	cfg.MaxRounds = 40
	cfg.Loss = 0.1
	cfg.Crashed = 0.05
	cfg.AntiEntropyEvery = 10
	perNodeRound := func(cfg Config, runs int) (float64, Run) {
		var run Run
		var nodeRounds int64
		start := time.Now()
		for seed := range uint64(runs) {
			var err error
			if run, err = Simulate(cfg, seed+1); err != nil {
				b.Fatal(err)
			}
			nodeRounds += int64(cfg.N) * int64(run.Rounds)
		}
		return float64(time.Since(start).Nanoseconds()) / float64(nodeRounds), run
	}
	small := cfg
	small.N = 10000
	base, _ := perNodeRound(small, 10)
	var run Run
	rounds := 0
	seed := uint64(0)
	b.ResetTimer()
	for b.Loop() {
		seed++
		var err error
		run, err = Simulate(cfg, seed)
		if err != nil {
			b.Fatal(err)
		}
		rounds += run.Rounds
	}
	b.StopTimer()
	per40 := b.Elapsed().Seconds() / float64(rounds) * 40
	big := b.Elapsed().Seconds() * 1e9 / (float64(cfg.N) * float64(rounds))
	b.ReportMetric(float64(run.FullAt), "rounds-to-full")
	b.ReportMetric(per40, "s/40-rounds")
	b.ReportMetric(big/base, "per-node-round/10k-baseline")
}
