// Command reno simulates TCP Tahoe, Reno, NewReno, SACK or CUBIC flows over a
// bottleneck link, prints each congestion-control state transition as it
// happens, then a summary, and draws cwnd and ssthresh over time.
//
//	go run ./examples/reno                                  # Reno, 10 Mb/s, 100 ms, 1% loss
//	go run ./examples/reno -variant cubic -loss 0.001 -duration 30s
//	go run ./examples/reno -flows 3 -loss 0 -buffer 30      # three flows share the link, each drawn
//	go run ./examples/reno -variant cubic,reno -flows 2 -loss 0 -buffer 250 -bw 20 -sack  # shares, Jain's index
//	go run ./examples/reno -drops 5001,7001,9001 -loss 0 -bytes 60000 -variant reno
//	go run ./examples/reno -round                           # the course's per-RTT round model
//	go run ./examples/reno -compare variants.png            # Reno, NewReno, SACK and CUBIC, same losses
//
// Flags are checked before anything runs: a bad value prints one line naming
// the flag and exits 2. Long runs show their progress on stderr; Ctrl-C stops
// the simulation and prints the summary of the time simulated so far.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/netlab-go/netlab/examples/internal/renoflag"
	"github.com/netlab-go/netlab/internal/cli"
	"github.com/netlab-go/netlab/reno"
	"github.com/netlab-go/netlab/reno/chart"
)

type options struct {
	variant, drops, chart, compare, trace, pattern string
	loss, bwMbps                                   float64
	rtt, duration, warmup, minRTO                  time.Duration
	buffer, mss, flows                             int
	bytes                                          int64
	seed                                           uint64
	round, delack, limited, sack, quiet            bool
}

// maxDuration bounds -duration: a day of simulated time at 1 Gb/s is about
// 10^10 events, hours of work.
const maxDuration = 24 * time.Hour

// compared are the variants -compare draws, one panel each.
var compared = []reno.Variant{reno.VariantReno, reno.VariantNewReno, reno.VariantSACK, reno.VariantCubic}

func main() {
	cmd := cli.New("reno", `usage: reno [flags]

Simulates TCP congestion control over one bottleneck link and draws the
congestion window.`)
	var o options
	fl := cmd.Flags
	fl.StringVar(&o.variant, "variant", "reno", "congestion control: "+renoflag.VariantNames()+
		"; a comma-separated list gives the flows their variants in turn (-variant cubic,reno -flows 2)")
	fl.Float64Var(&o.loss, "loss", 0.01, "probability that the link loses a data packet, in [0,1)")
	renoflag.PatternVar(fl, &o.pattern)
	fl.DurationVar(&o.rtt, "rtt", 100*time.Millisecond, "round-trip propagation delay")
	fl.Float64Var(&o.bwMbps, "bw", 10, "bottleneck bandwidth in Mb/s")
	fl.IntVar(&o.buffer, "buffer", 50, "drop-tail buffer in packets")
	fl.IntVar(&o.mss, "mss", 1000, "segment size in bytes")
	fl.IntVar(&o.flows, "flows", 1, "number of flows sharing the link (1-16)")
	fl.Int64Var(&o.bytes, "bytes", 0, "bytes each flow sends (0 = endless)")
	fl.StringVar(&o.drops, "drops", "", "comma-separated segments of flow 0 to drop once, e.g. 5001,7001")
	fl.DurationVar(&o.duration, "duration", 60*time.Second, "simulated time (at most 24h)")
	fl.DurationVar(&o.warmup, "warmup", 0, "leave this much out of the throughput figures")
	fl.DurationVar(&o.minRTO, "minrto", time.Second, "minimum retransmission timeout (RFC 6298: 1s)")
	fl.Uint64Var(&o.seed, "seed", 1, "random seed; the same seed gives the same run")
	fl.BoolVar(&o.delack, "delack", false, "receiver delays ACKs (one per two segments)")
	fl.BoolVar(&o.limited, "limited-transmit", false, "send new data on the first two duplicate ACKs (RFC 3042)")
	fl.BoolVar(&o.sack, "sack", false, "selective acknowledgments and RFC 6675 loss recovery for every flow")
	fl.BoolVar(&o.round, "round", false, "run the course's per-RTT round model instead of the packet simulator")
	fl.StringVar(&o.chart, "chart", "reno-cwnd.png", "cwnd chart to write (.png or .svg; empty for none)")
	fl.StringVar(&o.compare, "compare", "", "also run Reno, NewReno, SACK and CUBIC on the same losses and draw them to this chart")
	fl.StringVar(&o.trace, "trace", "", "write the full event trace as CSV to this file")
	fl.BoolVar(&o.quiet, "quiet", false, "do not print every state transition")
	cmd.Parse(os.Args[1:])
	cmd.NoArgs()
	cmd.Check(validate(o)...)

	ctx, stop := cmd.Context()
	defer stop()
	var err error
	if o.round {
		err = runRounds(o, os.Stdout)
	} else {
		err = runSim(ctx, o, os.Stdout, os.Stderr)
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "reno: interrupted: the summary above covers the time simulated so far")
		os.Exit(1)
	}
	cmd.Fail(err)
}

// validate checks every flag before any work: the ranges, the files, and
// that the trace kept for a chart fits in memory.
func validate(o options) []error {
	errs := []error{
		checkVariants(o.variant, o.round),
		cli.FloatRange("loss", o.loss, 0, 0.999),
		renoflag.CheckPattern(o.pattern),
		cli.DurationRange("rtt", o.rtt, time.Microsecond, 10*time.Second),
		cli.FloatRange("bw", o.bwMbps, 0.001, 100000),
		cli.IntRange("buffer", o.buffer, 1, 10_000_000),
		cli.IntRange("mss", o.mss, 1, 65535),
		cli.IntRange("flows", o.flows, 1, 16),
		cli.DurationRange("duration", o.duration, time.Millisecond, maxDuration),
		cli.DurationRange("minrto", o.minRTO, time.Microsecond, time.Minute),
		parseDrops(o.drops),
		renoflag.Warmup(o.warmup, o.duration),
	}
	if o.bytes < 0 {
		errs = append(errs, fmt.Errorf("flag -bytes: value %d: want 0 (endless) or more", o.bytes))
	}
	if o.round && o.rtt > 0 && o.duration/o.rtt < 1 {
		errs = append(errs, fmt.Errorf("flag -duration: value %v: want at least one -rtt (%v) for the round model", o.duration, o.rtt))
	}
	if o.chart != "" {
		errs = append(errs, cli.OutFile("chart", o.chart, ".png", ".svg"))
	}
	if o.compare != "" {
		errs = append(errs, cli.OutFile("compare", o.compare, ".png", ".svg"))
	}
	if o.trace != "" {
		errs = append(errs, cli.OutFile("trace", o.trace, ".csv"))
	}
	if o.chart != "" || o.compare != "" {
		errs = append(errs, cli.Memory("duration", traceBytes(o), "the trace kept for the chart"))
	}
	return errs
}

// traceBytes estimates the memory of a kept trace: about two records (an ACK
// and a send-side event) per segment the link can carry, 100 bytes each.
func traceBytes(o options) uint64 {
	segs := o.bwMbps * 1e6 / 8 / float64(max(o.mss, 1)) * o.duration.Seconds()
	if o.compare != "" {
		segs *= float64(1 + len(compared))
	}
	return uint64(min(segs*2*100, 1<<62))
}

// checkVariants accepts one variant, or a list of them for the packet
// simulator (the round model takes one).
func checkVariants(s string, round bool) error {
	if round && strings.Contains(s, ",") {
		return fmt.Errorf("flag -variant: value %q: the round model takes one variant", s)
	}
	_, err := renoflag.Variants("variant", s)
	return err
}

func parseDrops(s string) error {
	_, err := drops(s)
	return err
}

func drops(s string) ([]reno.Drop, error) {
	var out []reno.Drop
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		seq, err := strconv.ParseInt(f, 10, 64)
		if err != nil || seq < 1 {
			return nil, fmt.Errorf("flag -drops: value %q: want comma-separated sequence numbers >= 1, such as 5001,7001", f)
		}
		out = append(out, reno.Drop{Seq: seq})
	}
	return out, nil
}

func buildConfig(o options) (reno.Config, error) {
	cfg := reno.DefaultConfig()
	vs, err := renoflag.Variants("variant", o.variant)
	if err != nil {
		return cfg, err
	}
	cfg.Link.Bandwidth = o.bwMbps * 1e6
	cfg.Link.Delay = o.rtt / 2
	cfg.Link.Buffer = o.buffer
	cfg.Link.Loss = o.loss
	cfg.Link.Pattern = renoflag.LossPattern(o.pattern)
	cfg.Flows = nil
	for i := 0; i < o.flows; i++ {
		f := reno.FlowConfig{Variant: vs[i%len(vs)], MSS: o.mss, Bytes: o.bytes, DelayedAck: o.delack, LimitedTransmit: o.limited, SACK: o.sack}
		f.Start = time.Duration(i) * 200 * time.Millisecond
		cfg.Flows = append(cfg.Flows, f)
	}
	if cfg.Link.Drops, err = drops(o.drops); err != nil {
		return cfg, err
	}
	cfg.Duration = o.duration
	cfg.Warmup = o.warmup
	cfg.RTO.Min = o.minRTO
	cfg.RTO.Initial = max(cfg.RTO.Initial, o.minRTO)
	cfg.Seed = o.seed
	return cfg, cfg.Validate()
}

// progress shows how much simulated time has passed, on stderr.
func progress(cfg *reno.Config, stderr *os.File, label string) *cli.Progress {
	if stderr == nil {
		return nil
	}
	p := cli.NewProgress(stderr, label, int64(cfg.Duration/time.Millisecond), "ms simulated")
	cfg.Progress = func(d time.Duration) { p.Set(int64(d / time.Millisecond)) }
	return p
}

func runSim(ctx context.Context, o options, w io.Writer, stderr *os.File) error {
	cfg, err := buildConfig(o)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d %s flow(s), %s link, RTT %v, buffer %d packets, loss %g (%s), %v simulated\n",
		len(cfg.Flows), o.variant, reno.Rate(cfg.Link.Bandwidth), o.rtt, o.buffer, o.loss, o.pattern, o.duration)
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
	bar := progress(&cfg, stderr, "reno")
	res, runErr := run(ctx, cfg)
	if bar != nil {
		if res != nil {
			bar.Set(int64(res.Simulated / time.Millisecond))
		}
		bar.Done()
	}
	if res == nil {
		return runErr
	}
	if !o.quiet {
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, res.Summary.String())
	if runErr != nil {
		return runErr // interrupted: the summary covers what was simulated
	}
	if o.trace != "" {
		fmt.Fprintf(w, "trace written to %s\n", o.trace)
	}
	if o.chart != "" {
		if err := drawFlows(res, cfg, o); err != nil {
			return err
		}
		fmt.Fprintf(w, "cwnd chart written to %s\n", o.chart)
	}
	if o.compare != "" {
		return compare(ctx, cfg, o, w)
	}
	return nil
}

// drawFlows draws one flow with its states shaded, or every flow labelled.
func drawFlows(res *reno.Result, cfg reno.Config, o options) error {
	title := fmt.Sprintf("%s, %s, RTT %v, buffer %d, loss %g", o.variant, reno.Rate(cfg.Link.Bandwidth), o.rtt, o.buffer, o.loss)
	var c *chart.Chart
	var err error
	if len(cfg.Flows) == 1 {
		c, err = chart.Cwnd(res.Trace, 0, o.mss, title)
	} else {
		names := make([]string, len(res.Flows))
		for i, f := range res.Flows {
			names[i] = fmt.Sprintf("flow %d (%s)", i, f.Variant)
		}
		c, err = chart.Flows(res.Trace, names, o.mss, fmt.Sprintf("%d flows: ", len(names))+title)
	}
	if err != nil {
		return err
	}
	return chart.Save(c, o.chart)
}

func compare(ctx context.Context, cfg reno.Config, o options, w io.Writer) error {
	var series []chart.Series
	for _, v := range compared {
		c := cfg
		c.Flows = append([]reno.FlowConfig(nil), cfg.Flows[:1]...)
		c.Flows[0].Variant = v
		c.OnEvent, c.TraceCSV, c.KeepTrace, c.Progress = nil, nil, true, nil
		res, err := run(ctx, c)
		if err != nil {
			return err
		}
		f := res.Flows[0]
		fmt.Fprintf(w, "%-8s goodput %-12s timeouts %-3d fast recoveries %d\n", v, reno.Rate(f.Goodput), f.Timeouts, f.FastRecoveries)
		series = append(series, chart.Series{Name: fmt.Sprintf("%s: goodput %s, %d timeouts", v, reno.Rate(f.Goodput), f.Timeouts), Trace: res.Trace, MSS: o.mss})
	}
	fig, err := chart.Variants(series, fmt.Sprintf("cwnd on the same loss pattern (%s loss %g, seed %d)", o.pattern, o.loss, o.seed))
	if err != nil {
		return err
	}
	if err := fig.Save(o.compare); err != nil {
		return err
	}
	fmt.Fprintf(w, "variants chart written to %s\n", o.compare)
	return nil
}

func run(ctx context.Context, cfg reno.Config) (*reno.Result, error) {
	sim, err := reno.New(cfg)
	if err != nil {
		return nil, err
	}
	return sim.Run(ctx)
}

func runRounds(o options, w io.Writer) error {
	v, err := reno.ParseVariant(o.variant)
	if err != nil {
		return err
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
		c, err := chart.Cwnd(res.Trace, 0, o.mss, fmt.Sprintf("course round model: %s, loss %g", v, o.loss))
		if err != nil {
			return err
		}
		if err := chart.Save(c, o.chart); err != nil {
			return err
		}
		fmt.Fprintf(w, "cwnd chart written to %s\n", o.chart)
	}
	return nil
}
