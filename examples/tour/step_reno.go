package main

import (
	"context"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/reno"
)

func init() {
	register(step{order: 50, name: "reno", title: "TCP Tahoe, Reno and NewReno in a packet-level simulator, checked against Mathis and PFTK", run: runReno})
}

func runReno(ctx context.Context, e *env) error {
	// 1. A scripted loss of three segments in one window: Reno needs a
	//    timeout, NewReno repairs all three in one fast recovery.
	e.Printf("three segments lost in one window (5001, 7001, 9001), Reno vs NewReno:")
	for _, v := range []reno.Variant{reno.VariantReno, reno.VariantNewReno} {
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
	p, err := reno.CwndChart(res.Trace, 0, 1000, "Reno, 10 Mb/s, RTT 100 ms, 1% random loss")
	if err != nil {
		return err
	}
	if err := reno.SaveChart(p, e.Path("reno-cwnd.png")); err != nil {
		return err
	}
	e.Report("Reno at 1%% loss: goodput %s (Mathis predicts %s)", reno.Rate(f.Goodput),
		reno.Rate(reno.Mathis(1000, 100*time.Millisecond, 0.01, 1)))

	// 3. A loss sweep against the models.
	e.Printf("loss sweep (p from 0.001 to 0.1) against Mathis and PFTK ...")
	sc := reno.DefaultSweepConfig()
	sc.Losses = []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1}
	sc.Base.Duration = 120 * time.Second
	pts, err := reno.Sweep(ctx, sc)
	if err != nil {
		return err
	}
	for _, pt := range pts {
		e.Printf("  p=%-6g simulated %-12s Mathis %-12s PFTK %s", pt.P, reno.Rate(pt.Simulated), reno.Rate(pt.Mathis), reno.Rate(pt.PFTK))
	}
	sp, err := reno.SweepChart(pts, "Reno throughput vs loss: simulation, Mathis, PFTK, round model")
	if err != nil {
		return err
	}
	if err := reno.SaveChart(sp, e.Path("reno-sweep.png")); err != nil {
		return err
	}
	for _, pt := range pts {
		if pt.P == 0.05 {
			e.Report("p=0.05: simulated/PFTK = %.2f, simulated/Mathis = %.2f (timeouts dominate)", pt.Simulated/pt.PFTK, pt.Simulated/pt.Mathis)
		}
	}
	return nil
}

func simulate(ctx context.Context, cfg reno.Config) (*reno.Result, error) {
	sim, err := reno.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("reno: %w", err)
	}
	return sim.Run(ctx)
}
