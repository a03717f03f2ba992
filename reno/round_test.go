package reno

import (
	"context"
	"os"
	"path/filepath"
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

func TestChartsAreWritten(t *testing.T) {
	dir := t.TempDir()
	cfg := scriptConfig(VariantNewReno, 200000, Drop{Seq: 5001}, Drop{Seq: 7001}, Drop{Seq: 60001})
	res, _ := runTrace(t, cfg)
	p, err := CwndChart(res.Trace, 0, 1000, "NewReno")
	require.NoError(t, err)
	for _, name := range []string{"cwnd.png", "cwnd.svg"} {
		path := filepath.Join(dir, name)
		require.NoError(t, SaveChart(p, path))
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Greater(t, st.Size(), int64(1000))
	}
	assert.Error(t, SaveChart(p, filepath.Join(dir, "cwnd.gif")))
	_, err = CwndChart(res.Trace, 3, 1000, "")
	assert.Error(t, err)

	var series []Series
	for _, v := range Variants {
		cfg.Flows[0].Variant = v
		r, _ := runTrace(t, cfg)
		series = append(series, Series{Name: string(v), Trace: r.Trace, MSS: 1000})
	}
	vp, err := VariantsChart(series, "variants")
	require.NoError(t, err)
	require.NoError(t, SaveChart(vp, filepath.Join(dir, "variants.png")))

	rr, err := RunRounds(DefaultRoundConfig())
	require.NoError(t, err)
	rp, err := CwndChart(rr.Trace, 0, 1000, "round model")
	require.NoError(t, err)
	require.NoError(t, SaveChart(rp, filepath.Join(dir, "rounds.png")))
}

func TestStateSpans(t *testing.T) {
	recs := []Record{
		{Time: 0, State: SlowStart}, {Time: time.Second, State: SlowStart},
		{Time: 2 * time.Second, State: FastRecovery}, {Time: 3 * time.Second, State: CongestionAvoidance},
		{Time: 4 * time.Second, State: CongestionAvoidance},
	}
	assert.Equal(t, []stateSpan{{0, 2, SlowStart}, {2, 3, FastRecovery}, {3, 4, CongestionAvoidance}}, stateSpans(recs))
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
	p, err := SweepChart(pts, "sweep")
	require.NoError(t, err)
	require.NoError(t, SaveChart(p, filepath.Join(t.TempDir(), "sweep.svg")))

	cfg.Losses = []float64{0}
	_, err = Sweep(context.Background(), cfg)
	assert.ErrorContains(t, err, "SweepConfig.Losses[0]")
}
