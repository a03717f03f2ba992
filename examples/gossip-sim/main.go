// Command gossip-sim simulates rumor spreading for N nodes and draws how
// coverage grows round by round, against the theory and mode against mode.
//
//	go run ./examples/gossip-sim                      # N=10,000, 20 seeds, PNGs in .
//	go run ./examples/gossip-sim -n 100000 -seeds 5 -loss 0.1 -out /tmp
//
// It writes gossip-theory.png (push, pull and push-pull against their
// mean-field predictions) and gossip-modes.png (push vs pull vs push-pull vs
// the course preset vs netlab's default), and prints a table of rounds to
// full coverage, messages per node and residue.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/sim"
)

func main() {
	n := flag.Int("n", 10000, "number of nodes (up to 100,000 and beyond)")
	seeds := flag.Int("seeds", 20, "runs per experiment, with seeds 1..seeds")
	loss := flag.Float64("loss", 0, "probability that a message is lost")
	crashed := flag.Float64("crashed", 0, "fraction of nodes crashed from the start")
	out := flag.String("out", ".", "folder for the PNG files")
	flag.Parse()
	if err := run(*n, *seeds, *loss, *crashed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gossip-sim:", err)
		os.Exit(1)
	}
}

type experiment struct {
	label  string
	cfg    sim.Config
	theory float64 // predicted rounds, 0 if none
}

func run(n, seeds int, loss, crashed float64, out string) error {
	never := gossip.AfterRounds(1 << 15) // spread until everyone knows
	mk := func(mode gossip.Mode, f int) sim.Config {
		return sim.Config{N: n, Mode: mode, Fanout: f, Stop: never, MaxRounds: 300, Loss: loss, Crashed: crashed}
	}
	course := sim.FromGossip(gossip.CoursePreset(), n)
	def := sim.FromGossip(gossip.DefaultConfig(), n)
	for _, c := range []*sim.Config{&course, &def} {
		c.Loss, c.Crashed, c.MaxRounds = loss, crashed, 300
	}
	experiments := []experiment{
		{"push fanout 1", mk(gossip.Push, 1), sim.PushRounds(n, 1)},
		{"push fanout 3", mk(gossip.Push, 3), sim.PushRounds(n, 3)},
		{"pull fanout 1", mk(gossip.Pull, 1), 0},
		{"push-pull fanout 1", mk(gossip.PushPull, 1), sim.PushPullRounds(n)},
		{"course preset", course, 0},
		{"netlab default", def, 0},
	}
	fmt.Printf("simulating N=%d, %d seeds each, loss %.0f%%, crashed %.0f%%\n\n", n, seeds, 100*loss, 100*crashed)
	fmt.Printf("%-20s %8s %8s %8s %10s %10s %9s\n", "experiment", "theory", "median", "p90", "full runs", "msgs/node", "residue")
	results := map[string]sim.Summary{}
	for _, e := range experiments {
		start := time.Now()
		s, err := sim.SimulateSeeds(e.cfg, seeds)
		if err != nil {
			return fmt.Errorf("%s: %w", e.label, err)
		}
		results[e.label] = s
		theory := "-"
		if e.theory > 0 {
			theory = fmt.Sprintf("%.1f", e.theory)
		}
		fmt.Printf("%-20s %8s %8s %8s %7d/%-2d %10.1f %8.3f%%   (%v)\n", e.label, theory, rounds(s.Median()), rounds(s.Percentile(90)),
			s.FullRuns, seeds, s.MessagesPerNode, 100*s.Residue, time.Since(start).Round(time.Millisecond))
	}
	fmt.Println("\n(rounds: '-' means some runs never reached every live node; course preset rounds are 1 s, netlab default 100 ms)")

	var theory []sim.Curve
	for _, p := range []struct {
		label string
		mode  gossip.Mode
		f     int
	}{{"push fanout 1", gossip.Push, 1}, {"push fanout 3", gossip.Push, 3}, {"pull fanout 1", gossip.Pull, 1}, {"push-pull fanout 1", gossip.PushPull, 1}} {
		measured := results[p.label].MeanCoverage()
		theory = append(theory,
			sim.Curve{Label: p.label + " (simulated)", Values: measured},
			sim.Curve{Label: p.label + " (mean-field theory)", Values: sim.MeanField(p.mode, n, p.f, len(measured)-1), Theory: true})
	}
	theoryPNG := filepath.Join(out, "gossip-theory.png")
	if err := sim.WriteCoveragePlot(theoryPNG, fmt.Sprintf("Coverage per round vs theory, N=%d", n), theory, true); err != nil {
		return err
	}
	var modes []sim.Curve
	for _, label := range []string{"push fanout 1", "pull fanout 1", "push-pull fanout 1", "course preset", "netlab default"} {
		modes = append(modes, sim.Curve{Label: label, Values: results[label].MeanCoverage()})
	}
	modesPNG := filepath.Join(out, "gossip-modes.png")
	if err := sim.WriteCoveragePlot(modesPNG, fmt.Sprintf("Push vs pull vs push-pull vs course preset, N=%d", n), modes, false); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s\nwrote %s\n", theoryPNG, modesPNG)
	return nil
}

func rounds(r int) string {
	if r < 0 {
		return "-"
	}
	return fmt.Sprint(r)
}
