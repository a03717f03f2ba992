// Command reno simulates TCP Tahoe, Reno or NewReno flows over a bottleneck
// link, prints each congestion-control state transition as it happens, then
// a summary, and draws cwnd and ssthresh over time.
//
//	go run ./examples/reno                                  # Reno, 10 Mb/s, 100 ms, 1% loss
//	go run ./examples/reno -variant newreno -loss 0.02 -duration 30s
//	go run ./examples/reno -flows 3 -loss 0 -buffer 30      # three flows share the link
//	go run ./examples/reno -drops 5001,7001,9001 -loss 0 -bytes 60000 -variant reno
//	go run ./examples/reno -round                           # the course's per-RTT round model
//	go run ./examples/reno -compare variants.png            # Tahoe, Reno and NewReno on one chart
//
// Invalid parameters exit with status 2 and a message naming the field.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/netlab-go/netlab/reno"
)

type options struct {
	variant, drops, chart, compare, trace, pattern string
	loss, bwMbps                                   float64
	rtt, duration, warmup, minRTO                  time.Duration
	buffer, mss, flows                             int
	bytes                                          int64
	seed                                           uint64
	round, delack, limited, quiet                  bool
}

func main() {
	var o options
	flag.StringVar(&o.variant, "variant", "reno", "congestion control: tahoe, reno or newreno")
	flag.Float64Var(&o.loss, "loss", 0.01, "probability that the link loses a data packet, in [0,1)")
	flag.StringVar(&o.pattern, "pattern", "random", "how loss is applied: random (Bernoulli) or periodic (one in 1/loss)")
	flag.DurationVar(&o.rtt, "rtt", 100*time.Millisecond, "round-trip propagation delay")
	flag.Float64Var(&o.bwMbps, "bw", 10, "bottleneck bandwidth in Mb/s")
	flag.IntVar(&o.buffer, "buffer", 50, "drop-tail buffer in packets")
	flag.IntVar(&o.mss, "mss", 1000, "segment size in bytes")
	flag.IntVar(&o.flows, "flows", 1, "number of flows sharing the link")
	flag.Int64Var(&o.bytes, "bytes", 0, "bytes each flow sends (0 = endless)")
	flag.StringVar(&o.drops, "drops", "", "comma-separated segments of flow 0 to drop once, e.g. 5001,7001")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "simulated time")
	flag.DurationVar(&o.warmup, "warmup", 0, "leave this much out of the throughput figures")
	flag.DurationVar(&o.minRTO, "minrto", time.Second, "minimum retransmission timeout (RFC 6298: 1s)")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed; the same seed gives the same run")
	flag.BoolVar(&o.delack, "delack", false, "receiver delays ACKs (one per two segments)")
	flag.BoolVar(&o.limited, "limited-transmit", false, "send new data on the first two duplicate ACKs (RFC 3042)")
	flag.BoolVar(&o.round, "round", false, "run the course's per-RTT round model instead of the packet simulator")
	flag.StringVar(&o.chart, "chart", "reno-cwnd.png", "cwnd chart to write (.png or .svg; empty for none)")
	flag.StringVar(&o.compare, "compare", "", "also run all three variants and write their cwnd to this chart")
	flag.StringVar(&o.trace, "trace", "", "write the full event trace as CSV to this file")
	flag.BoolVar(&o.quiet, "quiet", false, "do not print every state transition")
	flag.Parse()

	var err error
	if o.round {
		err = runRounds(o, os.Stdout)
	} else {
		err = runSim(o, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, reno.ErrInvalidConfig) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func buildConfig(o options) (reno.Config, error) {
	cfg := reno.DefaultConfig()
	v, err := reno.ParseVariant(o.variant)
	if err != nil {
		return cfg, fmt.Errorf("reno: -variant: %w", err)
	}
	cfg.Link.Bandwidth = o.bwMbps * 1e6
	cfg.Link.Delay = o.rtt / 2
	cfg.Link.Buffer = o.buffer
	cfg.Link.Loss = o.loss
	switch o.pattern {
	case "random":
		cfg.Link.Pattern = reno.LossBernoulli
	case "periodic":
		cfg.Link.Pattern = reno.LossPeriodic
	default:
		return cfg, fmt.Errorf("reno: %w: -pattern must be random or periodic, got %q", reno.ErrInvalidConfig, o.pattern)
	}
	if o.flows < 1 {
		return cfg, fmt.Errorf("reno: %w: -flows must be >= 1, got %d", reno.ErrInvalidConfig, o.flows)
	}
	cfg.Flows = nil
	for i := 0; i < o.flows; i++ {
		f := reno.FlowConfig{Variant: v, MSS: o.mss, Bytes: o.bytes, DelayedAck: o.delack, LimitedTransmit: o.limited}
		f.Start = time.Duration(i) * 200 * time.Millisecond
		cfg.Flows = append(cfg.Flows, f)
	}
	for _, s := range strings.Split(o.drops, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		seq, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return cfg, fmt.Errorf("reno: %w: -drops: %q is not a sequence number", reno.ErrInvalidConfig, s)
		}
		cfg.Link.Drops = append(cfg.Link.Drops, reno.Drop{Seq: seq})
	}
	cfg.Duration = o.duration
	cfg.Warmup = o.warmup
	cfg.RTO.Min = o.minRTO
	cfg.Seed = o.seed
	return cfg, cfg.Validate()
}

func runSim(o options, w io.Writer) error {
	cfg, err := buildConfig(o)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d %s flow(s), %s link, RTT %v, buffer %d packets, loss %g (%s), %v simulated\n",
		len(cfg.Flows), cfg.Flows[0].Variant, reno.Rate(cfg.Link.Bandwidth), o.rtt, o.buffer, o.loss, o.pattern, o.duration)
	narrator := reno.NewNarrator(w, cfg)
	if !o.quiet {
		fmt.Fprintln(w)
		cfg.OnEvent = narrator.Observe
	}
	cfg.KeepTrace = o.chart != ""
	if o.trace != "" {
		f, err := os.Create(o.trace)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.TraceCSV = f
	}
	res, err := run(cfg)
	if err != nil {
		return err
	}
	if !o.quiet {
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, res.Summary.String())
	if o.trace != "" {
		fmt.Fprintf(w, "trace written to %s\n", o.trace)
	}
	if o.chart != "" {
		title := fmt.Sprintf("%s, %s, RTT %v, buffer %d, loss %g", cfg.Flows[0].Variant, reno.Rate(cfg.Link.Bandwidth), o.rtt, o.buffer, o.loss)
		p, err := reno.CwndChart(res.Trace, 0, o.mss, title)
		if err != nil {
			return err
		}
		if err := reno.SaveChart(p, o.chart); err != nil {
			return err
		}
		fmt.Fprintf(w, "cwnd chart written to %s\n", o.chart)
	}
	if o.compare != "" {
		return compare(cfg, o, w)
	}
	return nil
}

func compare(cfg reno.Config, o options, w io.Writer) error {
	var series []reno.Series
	for _, v := range reno.Variants {
		c := cfg
		c.Flows = append([]reno.FlowConfig(nil), cfg.Flows[:1]...)
		c.Flows[0].Variant = v
		c.OnEvent, c.TraceCSV, c.KeepTrace = nil, nil, true
		res, err := run(c)
		if err != nil {
			return err
		}
		f := res.Flows[0]
		fmt.Fprintf(w, "%-8s goodput %-12s timeouts %-3d fast recoveries %d\n", v, reno.Rate(f.Goodput), f.Timeouts, f.FastRecoveries)
		series = append(series, reno.Series{Name: string(v), Trace: res.Trace, MSS: o.mss})
	}
	p, err := reno.VariantsChart(series, fmt.Sprintf("Tahoe, Reno and NewReno: loss %g, seed %d", o.loss, o.seed))
	if err != nil {
		return err
	}
	if err := reno.SaveChart(p, o.compare); err != nil {
		return err
	}
	fmt.Fprintf(w, "variants chart written to %s\n", o.compare)
	return nil
}

func run(cfg reno.Config) (*reno.Result, error) {
	sim, err := reno.New(cfg)
	if err != nil {
		return nil, err
	}
	return sim.Run(context.Background())
}

func runRounds(o options, w io.Writer) error {
	v, err := reno.ParseVariant(o.variant)
	if err != nil {
		return fmt.Errorf("reno: -variant: %w", err)
	}
	if o.rtt <= 0 {
		return fmt.Errorf("reno: %w: -rtt must be > 0, got %v", reno.ErrInvalidConfig, o.rtt)
	}
	rc := reno.RoundConfig{Variant: v, Loss: o.loss, RTT: o.rtt, MSS: o.mss, Rounds: int(o.duration / o.rtt), Seed: o.seed}
	res, err := reno.RunRounds(rc)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "course round model: %s, loss %g per packet, %d rounds of %v\n\n", v, o.loss, rc.Rounds, o.rtt)
	if !o.quiet {
		n := reno.NewNarrator(w, reno.Config{Flows: []reno.FlowConfig{{MSS: o.mss}}})
		for _, r := range res.Trace {
			n.Observe(r)
		}
	}
	fmt.Fprintf(w, "\nthroughput %s, loss events %d (fast recoveries %d, timeouts %d)\n",
		reno.Rate(res.Throughput), res.LossEvents, res.FastRecoveries, res.Timeouts)
	fmt.Fprintf(w, "Mathis predicts %s for the same loss and RTT\n", reno.Rate(reno.Mathis(o.mss, o.rtt, o.loss, 1)))
	if o.chart != "" {
		p, err := reno.CwndChart(res.Trace, 0, o.mss, fmt.Sprintf("course round model: %s, loss %g", v, o.loss))
		if err != nil {
			return err
		}
		if err := reno.SaveChart(p, o.chart); err != nil {
			return err
		}
		fmt.Fprintf(w, "cwnd chart written to %s\n", o.chart)
	}
	return nil
}
