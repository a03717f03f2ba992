package sim_test

import (
	"fmt"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/sim"
)

// Push-pull with fanout 1 on 10,000 nodes, 20 seeds: Karp et al. predict
// log3 N + O(log log N) rounds.
func ExampleSimulateSeeds() {
	cfg := sim.DefaultConfig()
	s, _ := sim.SimulateSeeds(cfg, 20)
	fmt.Printf("theory %.1f rounds; simulated median %d, p90 %d; %d/20 runs reached all\n",
		sim.PushPullRounds(cfg.N), s.Median(), s.Percentile(90), s.FullRuns)
	// Output: theory 10.6 rounds; simulated median 12, p90 12; 20/20 runs reached all
}

// The course's settings (push, fanout 2, re-gossip with probability 0.5)
// leave about e^-m of the nodes uninformed, m being the messages per node,
// until anti-entropy runs.
func ExampleSimulate() {
	cfg := sim.FromGossip(gossip.CoursePreset(), 10000)
	cfg.AntiEntropyEvery = 0
	run, _ := sim.Simulate(cfg, 1)
	fmt.Printf("%.1f messages per node, residue %.1f%%\n", run.MessagesPerNode, 100*run.Residue)
	// Output: 3.9 messages per node, residue 1.9%
}
