package sim

import (
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
)

// BenchmarkRoundsToFullCoverage reproduces the figures at N=10,000
// over 20 seeds: the median rounds to full coverage of push-pull fanout 1
// (target ≤ 12) and push fanout 3 (target ≤ 11), next to the theory, and
// the simulator's throughput in node-rounds per second (target ≥ 5 M).
func BenchmarkRoundsToFullCoverage(b *testing.B) {
	for _, c := range []struct {
		name   string
		cfg    Config
		theory float64
		target float64
	}{
		{"push-pull-f1", forever(gossip.PushPull, 10000, 1), PushPullRounds(10000), 12},
		{"push-f3", forever(gossip.Push, 10000, 3), PushRounds(10000, 3), 11},
		{"pull-f1", forever(gossip.Pull, 10000, 1), 0, 0},
		{"course-preset", FromGossip(gossip.CoursePreset(), 10000), 0, 0},
		{"default", FromGossip(gossip.DefaultConfig(), 10000), 0, 0},
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
				b.ReportMetric(float64(s.Median())/c.target, "median/target")
			}
			b.ReportMetric(s.MessagesPerNode, "msgs/node")
			b.ReportMetric(100*s.Residue, "residue-%")
			b.ReportMetric(float64(nodeRounds)/time.Since(start).Seconds()/1e6, "M-node-rounds/s")
		})
	}
}

// BenchmarkHundredThousandNodes times N=100,000 (target: 40 rounds in
// under 10 s) with push-pull, 10% loss, 5% crashed nodes and anti-entropy
// every 10 rounds. A run ends at full coverage, so the figure is the time
// per simulated round scaled to 40 rounds.
func BenchmarkHundredThousandNodes(b *testing.B) {
	cfg := forever(gossip.PushPull, 100000, 1)
	cfg.MaxRounds = 40
	cfg.Loss = 0.1
	cfg.Crashed = 0.05
	cfg.AntiEntropyEvery = 10
	var run Run
	rounds := 0
	seed := uint64(0)
	for b.Loop() {
		seed++
		var err error
		run, err = Simulate(cfg, seed)
		if err != nil {
			b.Fatal(err)
		}
		rounds += run.Rounds
	}
	per40 := b.Elapsed().Seconds() / float64(rounds) * 40
	b.ReportMetric(float64(run.FullAt), "rounds-to-full")
	b.ReportMetric(per40, "s/40-rounds")
	b.ReportMetric(per40/10, "ratio-to-10s-target")
}
