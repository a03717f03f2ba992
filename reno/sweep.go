package reno

import (
	"cmp"
	"context"
	"time"
)

// SweepConfig describes a loss sweep: one simulation per loss probability,
// each compared with the [Mathis] and [PFTK] models.
type SweepConfig struct {
	// Base is the simulation to repeat; only its first flow is used and its
	// Link.Loss is replaced by each of Losses.
	Base    Config
	Losses  []float64   // loss probabilities, each in (0,1)
	Pattern LossPattern // how the loss is applied
	// Rounds also runs the course round model at each point.
	Rounds bool
	// T0 is [PFTK]'s retransmission timeout; 0 means Base.RTO.Min.
	T0 time.Duration
	// OnPoint, when set, is called after each point (for progress output).
	OnPoint func(i int, pt SweepPoint)
}

// SweepPoint is one loss probability's result. Throughputs are bits per
// second.
type SweepPoint struct {
	P         float64
	Simulated float64 // the simulated flow's throughput after the warm-up
	Mathis    float64
	PFTK      float64
	Rounds    float64 // the round model, when SweepConfig.Rounds is set
	// Model is the variant's own model: for CUBIC the RFC 9438 response
	// function ([CubicResponse]); for the [Reno] family the exact cycle model
	// ([RenoCycle]) under periodic loss and [PFTK] under random loss.
	Model float64
	// ModelName says which model Model is.
	ModelName string
	Timeouts  int64
	FastRecov int64
}

// DefaultSweepConfig sweeps p from 0.0005 to 0.1 for one [Reno] flow over a
// 100 Mb/s link with a 100 ms RTT and a buffer that never fills, so that
// only the random loss limits the flow, 200 simulated seconds a point.
func DefaultSweepConfig() SweepConfig {
	base := DefaultConfig()
	base.Link.Bandwidth = 100e6
	base.Link.Buffer = 10000
	base.Duration = 200 * time.Second
	base.Warmup = 20 * time.Second
	return SweepConfig{
		Base:    base,
		Losses:  []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1},
		Pattern: LossBernoulli,
		Rounds:  true,
	}
}

// Sweep runs the sweep. The models use the propagation RTT of the first flow
// (2*Delay + ExtraDelay) and b = 2 when it uses delayed ACKs.
func Sweep(ctx context.Context, cfg SweepConfig) ([]SweepPoint, error) {
	if len(cfg.Base.Flows) == 0 {
		return nil, invalid("SweepConfig.Base.Flows: need a flow")
	}
	if len(cfg.Losses) == 0 {
		return nil, invalid("SweepConfig.Losses: need at least one loss probability")
	}
	for i, p := range cfg.Losses {
		if !(p > 0 && p < 1) {
			return nil, invalid("SweepConfig.Losses[%d] must be in (0,1), got %v", i, p)
		}
	}
	flow := cfg.Base.Flows[0]
	rtt := 2*cfg.Base.Link.Delay + flow.ExtraDelay
	b := 1
	if flow.DelayedAck {
		b = 2
	}
	roundVariant := VariantReno
	if v, err := ParseVariant(string(flow.Variant)); err == nil {
		roundVariant = v
	}
	t0 := cfg.T0
	t0 = cmp.Or(t0, cfg.Base.RTO.Min)
	var out []SweepPoint
	for i, p := range cfg.Losses {
		run := cfg.Base
		run.Flows = []FlowConfig{flow}
		run.Link.Loss = p
		run.Link.Pattern = cfg.Pattern
		run.Link.Drops = nil
		run.OnEvent, run.TraceCSV, run.KeepTrace = nil, nil, false
		sim, err := New(run)
		if err != nil {
			return nil, err
		}
		res, err := sim.Run(ctx)
		if err != nil {
			return nil, err
		}
		f := res.Flows[0]
		pt := SweepPoint{
			P: p, Simulated: f.Throughput,
			Mathis:   Mathis(flow.MSS, rtt, p, b),
			PFTK:     PFTK(flow.MSS, rtt, p, b, t0, 0),
			Timeouts: f.Timeouts, FastRecov: f.FastRecoveries,
		}
		switch {
		case f.Variant == string(VariantCubic) || f.Variant == string(VariantCubic)+"+sack":
			pt.Model, pt.ModelName = CubicResponse(flow.MSS, rtt, p), "RFC 9438"
		case cfg.Pattern == LossPeriodic && b == 1:
			pt.Model, pt.ModelName = RenoCycle(flow.MSS, rtt, p), "cycle model"
		default:
			pt.Model, pt.ModelName = pt.PFTK, "PFTK"
		}
		if cfg.Rounds && rtt > 0 {
			rr, err := RunRounds(RoundConfig{
				Variant: roundVariant, Loss: p, RTT: rtt, MSS: flow.MSS,
				Rounds: max(1, int(run.Duration/rtt)), Seed: run.Seed,
			})
			if err != nil {
				return nil, err
			}
			pt.Rounds = rr.Throughput
		}
		out = append(out, pt)
		if cfg.OnPoint != nil {
			cfg.OnPoint(i, pt)
		}
	}
	return out, nil
}
