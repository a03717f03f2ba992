// Command gossip-sim simulates rumor spreading for N nodes and draws how
// coverage grows round by round, against the theory and mode against mode.
//
//	go run ./examples/gossip-sim                      # N=10,000, 20 seeds, PNGs in .
//	go run ./examples/gossip-sim -n 100000 -seeds 5 -loss 0.1 -out /tmp
//
// It writes gossip-theory.png (push, pull and push-pull against their
// mean-field predictions) and gossip-modes.png (push vs pull vs push-pull vs
// the course preset vs netlab's default), and prints a table of rounds to
// full coverage, messages per node and residue. Every flag is checked
// before any simulation starts; Ctrl-C or SIGTERM stops between runs, keeps
// the rows measured so far, says it was interrupted and exits 1.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/sim"
	"github.com/netlab-go/netlab/gossip/sim/chart"
	"github.com/netlab-go/netlab/internal/cli"
)

const synopsis = `usage: gossip-sim [-n N] [-seeds S] [-loss P] [-crashed F] [-out DIR]

Simulates rumor spreading among N nodes in rounds, push against pull against
push-pull, against the mean-field theory, and draws the coverage curves.`

// bytesPerNode is what the simulator holds per node (flags, rumor state and
// the coverage trace), rounded up.
const bytesPerNode = 96

func main() {
	cmd := cli.New("gossip-sim", synopsis)
	f := cmd.Flags
	n := f.Int("n", 10000, "number of nodes (2 to 10,000,000)")
	seeds := f.Int("seeds", 20, "runs per experiment, with seeds 1..seeds (1 to 10,000)")
	loss := f.Float64("loss", 0, "probability that a message is lost (0 to 0.99)")
	crashed := f.Float64("crashed", 0, "fraction of nodes crashed from the start (0 to 0.99)")
	out := f.String("out", ".", "folder for the PNG files (created if needed)")
	cmd.Parse(os.Args[1:])
	cmd.NoArgs()
	errs := []error{
		cli.IntRange("n", *n, 2, 10_000_000),
		cli.IntRange("seeds", *seeds, 1, 10_000),
		cli.FloatRange("loss", *loss, 0, 0.99),
		cli.FloatRange("crashed", *crashed, 0, 0.99),
	}
	if *n >= 2 && *n <= 10_000_000 {
		errs = append(errs, cli.Memory("n", uint64(*n)*bytesPerNode, fmt.Sprintf("simulating %d nodes", *n)))
	}
	errs = append(errs, cli.OutDir("out", *out))
	cmd.Check(errs...)

	ctx, stop := cmd.Context()
	defer stop()
	cmd.Fail(run(ctx, *n, *seeds, *loss, *crashed, *out))
}

type experiment struct {
	label  string
	cfg    sim.Config
	theory float64 // predicted rounds, 0 if none
}

func run(ctx context.Context, n, seeds int, loss, crashed float64, out string) error {
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
	progress := cli.NewProgress(os.Stderr, "simulating", int64(len(experiments)*seeds), "runs")
	for i, e := range experiments {
		start := time.Now()
		var runs []sim.Run
		for seed := 1; seed <= seeds; seed++ {
			if ctx.Err() != nil {
				progress.Done()
				fmt.Printf("\nsummary: %d of %d experiments done\n", i, len(experiments))
				return fmt.Errorf("interrupted during %q (run %d of %d); no charts written", e.label, seed, seeds)
			}
			run, err := sim.Simulate(e.cfg, uint64(seed))
			if err != nil {
				return fmt.Errorf("%s: %w", e.label, err)
			}
			runs = append(runs, run)
			progress.Add(1)
		}
		s := sim.Summarize(e.cfg, runs)
		results[e.label] = s
		theory := "-"
		if e.theory > 0 {
			theory = fmt.Sprintf("%.1f", e.theory)
		}
		fmt.Printf("%-20s %8s %8s %8s %7d/%-2d %10.1f %8.3f%%   (%v)\n", e.label, theory, rounds(s.Median()), rounds(s.Percentile(90)),
			s.FullRuns, seeds, s.MessagesPerNode, 100*s.Residue, time.Since(start).Round(time.Millisecond))
	}
	progress.Done()
	fmt.Println("\n(theory: the mean-field rounds to reach everyone, where one is known; median and p90: rounds until")
	fmt.Println("every live node knew, over the runs, '-' when more than that share of runs never got there;")
	fmt.Println("full runs: runs that reached every live node; residue: mean share of live nodes never informed.")
	fmt.Printf("A round is %v for the course preset and %v for netlab's default.)\n", gossip.CoursePreset().Interval, gossip.DefaultConfig().Interval)

	var theory []chart.Curve
	for _, p := range []struct {
		label string
		mode  gossip.Mode
		f     int
	}{{"push fanout 1", gossip.Push, 1}, {"push fanout 3", gossip.Push, 3}, {"pull fanout 1", gossip.Pull, 1}, {"push-pull fanout 1", gossip.PushPull, 1}} {
		measured := results[p.label].MeanCoverage()
		theory = append(theory,
			chart.Curve{Label: p.label + " (simulated)", Values: measured},
			chart.Curve{Label: p.label + " (mean-field theory)", Values: sim.MeanField(p.mode, n, p.f, len(measured)-1), Theory: true})
	}
	theoryPNG := filepath.Join(out, "gossip-theory.png")
	if err := chart.WriteCoverage(theoryPNG, fmt.Sprintf("Coverage per round vs theory, N=%d", n), theory, true); err != nil {
		return err
	}
	var modes []chart.Curve
	for _, label := range []string{"push fanout 1", "pull fanout 1", "push-pull fanout 1", "course preset", "netlab default"} {
		modes = append(modes, chart.Curve{Label: label, Values: results[label].MeanCoverage()})
	}
	modesPNG := filepath.Join(out, "gossip-modes.png")
	if err := chart.WriteCoverage(modesPNG, fmt.Sprintf("Push vs pull vs push-pull vs course preset, N=%d", n), modes, false); err != nil {
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
