package reno

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundModelWithoutLossDoublesThenAddsOne(t *testing.T) {
	cfg := DefaultRoundConfig()
	cfg.Loss = 0
	cfg.InitialSsthresh = 8
	cfg.Rounds = 6
	res, err := RunRounds(cfg)
	require.NoError(t, err)
	var cw []float64
	for _, r := range res.Rounds {
		cw = append(cw, r.Cwnd)
		assert.Equal(t, r.Sent, r.Delivered)
	}
	assert.Equal(t, []float64{1, 2, 4, 8, 9, 10}, cw)
	// 34 packets of 1000 bytes in 0.6 s.
	assert.InDelta(t, 34*8000/0.6, res.Throughput, 1e-6)
	assert.Equal(t, CongestionAvoidance, res.Trace[len(res.Trace)-1].State)
}

func TestRoundModelLossRules(t *testing.T) {
	cfg := DefaultRoundConfig()
	cfg.Loss = 0.05
	cfg.Rounds = 3000
	for _, v := range []Variant{VariantReno, VariantTahoe} {
		cfg.Variant = v
		res, err := RunRounds(cfg)
		require.NoError(t, err)
		require.Greater(t, res.LossEvents, 10)
		require.Greater(t, res.Timeouts, 0, "the rules for timeouts must be exercised")
		for i := 1; i < len(res.Rounds); i++ {
			prev, cur := res.Rounds[i-1], res.Rounds[i]
			switch prev.Event {
			case EventFastRetransmit:
				assert.GreaterOrEqual(t, prev.Delivered, 3, "3 dup ACKs need 3 delivered packets in the round")
				half := max(prev.Cwnd/2, 2)
				assert.Equal(t, half, cur.Ssthresh)
				if v == VariantTahoe {
					assert.Equal(t, 1.0, cur.Cwnd)
				} else {
					assert.Equal(t, half, cur.Cwnd)
				}
			case EventTimeout:
				assert.Less(t, prev.Delivered, 3)
				assert.Equal(t, 1.0, cur.Cwnd)
				// A timeout halves too: ssthresh = max(cwnd/2, 2).
				assert.Equal(t, max(prev.Cwnd/2, 2), cur.Ssthresh)
			}
		}
		if v == VariantTahoe {
			assert.Zero(t, res.FastRecoveries)
		} else {
			assert.Equal(t, res.LossEvents-res.Timeouts, res.FastRecoveries)
		}
	}
}

func TestRoundModelIsDeterministicAndValidates(t *testing.T) {
	a, err := RunRounds(DefaultRoundConfig())
	require.NoError(t, err)
	b, err := RunRounds(DefaultRoundConfig())
	require.NoError(t, err)
	assert.Equal(t, a.Rounds, b.Rounds)

	for field, edit := range map[string]func(*RoundConfig){
		"RoundConfig.Loss":    func(c *RoundConfig) { c.Loss = 1 },
		"RoundConfig.MSS":     func(c *RoundConfig) { c.MSS = 0 },
		"RoundConfig.RTT":     func(c *RoundConfig) { c.RTT = 0 },
		"RoundConfig.Rounds":  func(c *RoundConfig) { c.Rounds = 0 },
		"RoundConfig.Variant": func(c *RoundConfig) { c.Variant = "bbr" },
	} {
		cfg := DefaultRoundConfig()
		edit(&cfg)
		_, err := RunRounds(cfg)
		assert.ErrorContains(t, err, field)
		assert.ErrorIs(t, err, ErrInvalidConfig)
	}
}

func TestSweep(t *testing.T) {
	cfg := DefaultSweepConfig()
	cfg.Base.Duration = 100 * time.Second
	cfg.Losses = []float64{0.001, 0.01, 0.05}
	var seen int
	cfg.OnPoint = func(int, SweepPoint) { seen++ }
	pts, err := Sweep(context.Background(), cfg)
	require.NoError(t, err)
	require.Len(t, pts, 3)
	assert.Equal(t, 3, seen)
	for i, pt := range pts {
		assert.InDelta(t, 1, pt.Simulated/pt.PFTK, 0.35, "p=%v", pt.P)
		assert.Greater(t, pt.Rounds, 0.0)
		if i > 0 {
			assert.Less(t, pt.Simulated, pts[i-1].Simulated, "more loss, less throughput")
		}
	}
	for _, pt := range pts {
		assert.Equal(t, "PFTK", pt.ModelName, "Reno under random loss")
		assert.Equal(t, pt.PFTK, pt.Model)
	}
	cfg.Base.Flows[0].Variant = VariantCubic
	cfg.Losses = []float64{0.001}
	pts, err = Sweep(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, "RFC 9438", pts[0].ModelName)
	assert.Equal(t, CubicResponse(1000, 100*time.Millisecond, 0.001), pts[0].Model)
	cfg.Base.Flows[0].Variant = VariantReno
	cfg.Pattern = LossPeriodic
	pts, err = Sweep(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, "cycle model", pts[0].ModelName)

	cfg.Losses = []float64{0}
	_, err = Sweep(context.Background(), cfg)
	assert.ErrorContains(t, err, "SweepConfig.Losses[0]")
}
