package main

import (
	"context"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/reno"
)

// Point is one (loss, RTT) setting of the comparison.
type Point struct {
	Loss float64
	RTT  time.Duration
}

// Row is Linux and the simulator at one point for one congestion control.
type Row struct {
	CC        string
	Point     Point
	Linux     Result
	Simulated float64 // goodput, bits per second, mean over the seeds
	Ratio     float64 // Linux / simulated
}

// simulate runs the simulator as close to Linux's TCP as it goes: 1448-byte
// segments (1500-byte packets with timestamps), an initial window of 10
// segments, SACK, limited transmit, delayed ACKs counted per segment, whole-
// segment windows, a 200 ms minimum RTO, and for CUBIC HyStart. The link
// carries payload only, so its rate is the lab's scaled by 1448/1500.
func simulate(ctx context.Context, cc string, p Point, periodic bool, bw float64, buffer int, d, warmup time.Duration, seeds int) (float64, error) {
	const mss = 1448
	var sum float64
	for seed := 1; seed <= seeds; seed++ {
		cfg := reno.DefaultConfig()
		cfg.Link.Bandwidth = bw * mss / 1500
		cfg.Link.Delay = p.RTT / 2
		cfg.Link.Buffer = buffer
		cfg.Link.Loss = p.Loss
		if periodic {
			cfg.Link.Pattern = reno.LossPeriodic
		}
		cfg.Flows[0] = reno.FlowConfig{Variant: reno.VariantReno, MSS: mss, InitialWindow: 10 * mss,
			SACK: true, LimitedTransmit: true, DelayedAck: true, WholeSegments: true}
		if cc == "cubic" {
			cfg.Flows[0].Control = &reno.Cubic{HyStart: true}
		}
		cfg.RTO.Min = 200 * time.Millisecond
		cfg.DelayedAckTimeout = 40 * time.Millisecond
		cfg.Duration, cfg.Warmup = d, warmup
		cfg.Seed = uint64(seed)
		sim, err := reno.New(cfg)
		if err != nil {
			return 0, err
		}
		res, err := sim.Run(ctx)
		if err != nil {
			return 0, err
		}
		sum += res.Flows[0].Goodput
	}
	return sum / float64(seeds), nil
}

// Compare measures every point with every congestion control through the lab
// and the simulator. report, when set, is called after each row.
func Compare(ctx context.Context, l *Lab, ccs []string, points []Point, d, warmup time.Duration, report func(Row)) ([]Row, error) {
	var rows []Row
	for _, p := range points {
		for _, cc := range ccs {
			l.Loss, l.RTT = p.Loss, p.RTT
			lr, err := l.Transfer(ctx, cc, d, warmup)
			if err != nil {
				return rows, fmt.Errorf("%s at p=%g RTT=%v: %w", cc, p.Loss, p.RTT, err)
			}
			sim, err := simulate(ctx, cc, p, l.Periodic, l.Bandwidth, l.Buffer, 60*time.Second, 5*time.Second, 5)
			if err != nil {
				return rows, err
			}
			r := Row{CC: cc, Point: p, Linux: lr, Simulated: sim, Ratio: lr.Goodput / sim}
			rows = append(rows, r)
			if report != nil {
				report(r)
			}
		}
	}
	return rows, nil
}
