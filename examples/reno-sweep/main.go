// Command reno-sweep runs one flow of each chosen variant at a range of loss
// probabilities and draws the simulated throughput beside each variant's
// model on log-log axes: the exact cycle model (periodic loss) or PFTK
// (random loss) for the Reno family, RFC 9438's response function for CUBIC.
//
//	go run ./examples/reno-sweep                                  # writes reno-sweep.png
//	go run ./examples/reno-sweep -pattern periodic -out sweep.svg
//	go run ./examples/reno-sweep -variants reno,newreno,sack,cubic -duration 100s
//
// Flags are checked before anything runs (a bad value prints one line naming
// the flag and exits 2); the sweep shows its progress on stderr.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/netlab-go/netlab/examples/internal/renoflag"
	"github.com/netlab-go/netlab/internal/cli"
	"github.com/netlab-go/netlab/reno"
	"github.com/netlab-go/netlab/reno/chart"
)

type options struct {
	variants, losses, pattern, out string
	rtt, duration                  time.Duration
	seed                           uint64
}

func main() {
	cmd := cli.New("reno-sweep", `usage: reno-sweep [flags]

Sweeps the loss probability for each variant and draws throughput against p
beside each variant's model.`)
	var o options
	cmd.Flags.StringVar(&o.variants, "variants", "reno,cubic", "comma-separated variants to sweep")
	cmd.Flags.StringVar(&o.losses, "losses", "0.0005,0.001,0.002,0.005,0.01,0.02,0.05,0.1", "comma-separated loss probabilities, each in (0,1)")
	renoflag.PatternVar(cmd.Flags, &o.pattern)
	cmd.Flags.DurationVar(&o.rtt, "rtt", 100*time.Millisecond, "round-trip propagation delay")
	cmd.Flags.DurationVar(&o.duration, "duration", 200*time.Second, "simulated time per point (at most 1h)")
	cmd.Flags.Uint64Var(&o.seed, "seed", 1, "random seed")
	cmd.Flags.StringVar(&o.out, "out", "reno-sweep.png", "chart to write (.png or .svg)")
	cmd.Parse(os.Args[1:])
	cmd.NoArgs()
	_, verr := renoflag.Variants("variants", o.variants)
	_, lerr := parseLosses(o.losses)
	cmd.Check(verr, lerr,
		renoflag.CheckPattern(o.pattern),
		cli.DurationRange("rtt", o.rtt, time.Millisecond, 10*time.Second),
		cli.DurationRange("duration", o.duration, time.Second, time.Hour),
		cli.OutFile("out", o.out, ".png", ".svg"))
	ctx, stop := cmd.Context()
	defer stop()
	err := run(ctx, o)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "reno-sweep: interrupted: the points above are those completed")
		os.Exit(1)
	}
	cmd.Fail(err)
}

func parseLosses(s string) ([]float64, error) {
	return cli.List("losses", s, "comma-separated probabilities in (0,1)", func(f string) (float64, bool) {
		p, err := strconv.ParseFloat(f, 64)
		return p, err == nil && p > 0 && p < 1
	})
}

func run(ctx context.Context, o options) error {
	variants, _ := renoflag.Variants("variants", o.variants)
	losses, _ := parseLosses(o.losses)
	bar := cli.NewProgress(os.Stderr, "reno-sweep", int64(len(variants)*len(losses)), "points")
	defer bar.Done()
	var sweeps []chart.Sweep
	for _, v := range variants {
		cfg := reno.DefaultSweepConfig()
		cfg.Base.Flows[0].Variant = v
		cfg.Base.Link.Delay = o.rtt / 2
		cfg.Base.Duration = o.duration
		cfg.Base.Warmup = o.duration / 10
		cfg.Base.Seed = o.seed
		cfg.Rounds = false
		cfg.Pattern = renoflag.LossPattern(o.pattern)
		cfg.Losses = losses
		fmt.Printf("%s, RTT %v, %s loss, %v per point\n", v, o.rtt, o.pattern, o.duration)
		fmt.Printf("  %-8s %12s %12s %-12s %12s %9s\n", "p", "simulated", "model", "(which)", "Mathis", "timeouts")
		cfg.OnPoint = func(_ int, pt reno.SweepPoint) {
			fmt.Printf("  %-8g %12s %12s %-12s %12s %9d\n", pt.P, reno.Rate(pt.Simulated), reno.Rate(pt.Model), pt.ModelName,
				reno.Rate(pt.Mathis), pt.Timeouts)
			bar.Add(1)
		}
		pts, err := reno.Sweep(ctx, cfg)
		if err != nil {
			return err
		}
		sweeps = append(sweeps, chart.Sweep{Variant: string(v), Points: pts, Model: pts[0].ModelName})
	}
	c, err := chart.Throughput(sweeps, fmt.Sprintf("throughput against loss (%s), RTT %v: simulated beside each variant's model", o.pattern, o.rtt))
	if err != nil {
		return err
	}
	if err := chart.Save(c, o.out); err != nil {
		return err
	}
	fmt.Printf("chart written to %s\n", o.out)
	return nil
}
