package main

import (
	"context"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/reno"
	"github.com/netlab-go/netlab/reno/chart"
)

func runReno(ctx context.Context, e *env) error {
	// 1. A scripted loss of three segments in one window: Reno needs a
	//    timeout, NewReno repairs one per round trip, SACK all in one.
	e.Printf("three segments lost in one window (5001, 7001, 9001), Reno vs NewReno vs SACK:")
	for _, v := range []reno.Variant{reno.VariantReno, reno.VariantNewReno, reno.VariantSACK} {
		cfg := reno.DefaultConfig()
		cfg.Link.Bandwidth = 100e6
		cfg.Link.Drops = []reno.Drop{{Seq: 5001}, {Seq: 7001}, {Seq: 9001}}
		cfg.Flows[0].Variant = v
		cfg.Flows[0].Bytes = 30000
		res, err := simulate(ctx, cfg)
		if err != nil {
			return err
		}
		f := res.Flows[0]
		e.Printf("  %-8s done at %5.2fs, %d timeout(s), %d retransmissions", v, f.Completion.Seconds(), f.Timeouts, f.Retransmissions)
		e.Report("scripted 3 losses: %s finishes at %.2fs with %d timeout(s)", v, f.Completion.Seconds(), f.Timeouts)
	}

	// 2. One minute of Reno at 1% loss on a 10 Mb/s, 100 ms path: the
	//    sawtooth, with its transitions.
	cfg := reno.DefaultConfig()
	cfg.Link.Loss = 0.01
	cfg.KeepTrace = true
	res, err := simulate(ctx, cfg)
	if err != nil {
		return err
	}
	f := res.Flows[0]
	e.Printf("Reno, 60 s at 1%% loss: goodput %s, %d fast recoveries, %d timeouts", reno.Rate(f.Goodput), f.FastRecoveries, f.Timeouts)
	p, err := chart.Cwnd(res.Trace, 0, 1000, "Reno, 10 Mb/s, RTT 100 ms, 1% random loss")
	if err != nil {
		return err
	}
	if err := chart.Save(p, e.Path("reno-cwnd.png")); err != nil {
		return err
	}

	// 2b. The four variants on the same loss pattern, one panel each.
	var series []chart.Series
	for _, v := range []reno.Variant{reno.VariantReno, reno.VariantNewReno, reno.VariantSACK, reno.VariantCubic} {
		c := reno.DefaultConfig()
		c.Link.Loss = 0.005
		c.Link.Pattern = reno.LossPeriodic
		c.Duration = 30 * time.Second
		c.Flows[0].Variant = v
		c.KeepTrace = true
		r, err := simulate(ctx, c)
		if err != nil {
			return err
		}
		series = append(series, chart.Series{Name: fmt.Sprintf("%s: goodput %s", v, reno.Rate(r.Flows[0].Goodput)), Trace: r.Trace, MSS: 1000})
		e.Report("same losses (periodic 0.5%%), 30 s: %s goodput %s", v, reno.Rate(r.Flows[0].Goodput))
	}
	fig, err := chart.Variants(series, "cwnd of Reno, NewReno, SACK and CUBIC on the same loss pattern (periodic 0.5%, 10 Mb/s, 100 ms)")
	if err != nil {
		return err
	}
	if err := fig.Save(e.Path("reno-variants.png")); err != nil {
		return err
	}
	e.Report("Reno at 1%% loss: goodput %s (Mathis predicts %s)", reno.Rate(f.Goodput),
		reno.Rate(reno.Mathis(1000, 100*time.Millisecond, 0.01, 1)))

	// 3. A loss sweep of Reno and CUBIC against their models.
	e.Printf("loss sweep (p from 0.0005 to 0.1), Reno against PFTK and CUBIC against RFC 9438 ...")
	var sweeps []chart.Sweep
	for _, v := range []reno.Variant{reno.VariantReno, reno.VariantCubic} {
		sc := reno.DefaultSweepConfig()
		sc.Base.Flows[0].Variant = v
		sc.Losses = []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1}
		sc.Base.Duration = 120 * time.Second
		sc.Rounds = false
		pts, err := reno.Sweep(ctx, sc)
		if err != nil {
			return err
		}
		for _, pt := range pts {
			e.Printf("  %-6s p=%-6g simulated %-12s %s %s", v, pt.P, reno.Rate(pt.Simulated), pt.ModelName, reno.Rate(pt.Model))
			if pt.P == 0.01 {
				e.Report("%s at p=0.01: simulated/%s = %.2f", v, pt.ModelName, pt.Simulated/pt.Model)
			}
		}
		sweeps = append(sweeps, chart.Sweep{Variant: string(v), Points: pts, Model: pts[0].ModelName})
	}
	sp, err := chart.Throughput(sweeps, "throughput against random loss, RTT 100 ms: simulated beside each variant's model")
	if err != nil {
		return err
	}
	return chart.Save(sp, e.Path("reno-sweep.png"))
}

func simulate(ctx context.Context, cfg reno.Config) (*reno.Result, error) {
	sim, err := reno.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("reno: %w", err)
	}
	return sim.Run(ctx)
}
