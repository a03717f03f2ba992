// Command reno-sweep runs one Reno flow at a range of loss probabilities and
// draws the simulated throughput next to the Mathis and PFTK models and the
// course's round model.
//
//	go run ./examples/reno-sweep                       # writes reno-sweep.png
//	go run ./examples/reno-sweep -pattern periodic -out sweep.svg
//	go run ./examples/reno-sweep -variant newreno -duration 100s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/netlab-go/netlab/reno"
)

func main() {
	variant := flag.String("variant", "reno", "congestion control: tahoe, reno or newreno")
	losses := flag.String("losses", "0.0005,0.001,0.002,0.005,0.01,0.02,0.05,0.1", "comma-separated loss probabilities")
	pattern := flag.String("pattern", "random", "random (Bernoulli) or periodic (one in 1/p) loss")
	rtt := flag.Duration("rtt", 100*time.Millisecond, "round-trip propagation delay")
	duration := flag.Duration("duration", 200*time.Second, "simulated time per point")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "reno-sweep.png", "chart to write (.png or .svg)")
	flag.Parse()
	if err := run(*variant, *losses, *pattern, *rtt, *duration, *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, reno.ErrInvalidConfig) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(variant, losses, pattern string, rtt, duration time.Duration, seed uint64, out string) error {
	v, err := reno.ParseVariant(variant)
	if err != nil {
		return fmt.Errorf("reno-sweep: -variant: %w", err)
	}
	cfg := reno.DefaultSweepConfig()
	cfg.Base.Flows[0].Variant = v
	cfg.Base.Link.Delay = rtt / 2
	cfg.Base.Duration = duration
	cfg.Base.Warmup = duration / 10
	cfg.Base.Seed = seed
	switch pattern {
	case "random":
		cfg.Pattern = reno.LossBernoulli
	case "periodic":
		cfg.Pattern = reno.LossPeriodic
	default:
		return fmt.Errorf("reno-sweep: %w: -pattern must be random or periodic, got %q", reno.ErrInvalidConfig, pattern)
	}
	cfg.Losses = nil
	for _, s := range strings.Split(losses, ",") {
		p, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("reno-sweep: %w: -losses: %q is not a number", reno.ErrInvalidConfig, s)
		}
		cfg.Losses = append(cfg.Losses, p)
	}
	fmt.Printf("%s, RTT %v, %s loss, %v per point\n", v, rtt, pattern, duration)
	fmt.Printf("%-8s %12s %12s %12s %12s %9s\n", "p", "simulated", "Mathis", "PFTK", "round model", "timeouts")
	cfg.OnPoint = func(_ int, pt reno.SweepPoint) {
		fmt.Printf("%-8g %12s %12s %12s %12s %9d\n", pt.P, reno.Rate(pt.Simulated), reno.Rate(pt.Mathis),
			reno.Rate(pt.PFTK), reno.Rate(pt.Rounds), pt.Timeouts)
	}
	pts, err := reno.Sweep(context.Background(), cfg)
	if err != nil {
		return err
	}
	p, err := reno.SweepChart(pts, fmt.Sprintf("%s throughput vs loss (%s), RTT %v", v, pattern, rtt))
	if err != nil {
		return err
	}
	if err := reno.SaveChart(p, out); err != nil {
		return err
	}
	fmt.Printf("chart written to %s\n", out)
	return nil
}
