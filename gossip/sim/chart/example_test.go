package chart_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/sim"
	"github.com/netlab-go/netlab/gossip/sim/chart"
)

// Push-pull on 1,000 nodes, simulated over five seeds, against the
// mean-field theory.
func ExampleWriteCoverage() {
	dir, _ := os.MkdirTemp("", "simchart")
	defer os.RemoveAll(dir)
	cfg := sim.Config{N: 1000, Mode: gossip.PushPull, Fanout: 1, Stop: gossip.AfterRounds(1000), MaxRounds: 100}
	s, _ := sim.SimulateSeeds(cfg, 5)
	measured := s.MeanCoverage()
	err := chart.WriteCoverage(filepath.Join(dir, "coverage.svg"), "Push-pull, N=1000", []chart.Curve{
		{Label: "simulated", Values: measured},
		{Label: "mean-field theory", Values: sim.MeanField(gossip.PushPull, 1000, 1, len(measured)-1), Theory: true},
	}, true)
	fmt.Println(err)
	// Output: <nil>
}
