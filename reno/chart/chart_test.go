package chart

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/netlab-go/netlab/internal/plotkit"
	"github.com/netlab-go/netlab/reno"
)

func run(t *testing.T, cfg reno.Config) *reno.Result {
	t.Helper()
	cfg.KeepTrace = true
	sim, err := reno.New(cfg)
	require.NoError(t, err)
	res, err := sim.Run(context.Background())
	require.NoError(t, err)
	return res
}

// sameLoss is the loss pattern every variant gets: 3 segments of one window
// at 2 s, then 1% periodic loss, 10 Mb/s, 100 ms, 20 s.
func sameLoss(v reno.Variant) reno.Config {
	cfg := reno.DefaultConfig()
	cfg.Link.Loss = 0.01
	cfg.Link.Pattern = reno.LossPeriodic
	cfg.Flows[0].Variant = v
	cfg.Duration = 20 * time.Second
	return cfg
}

func legend(c *Chart) []string { return c.Entries }

func lines(c *Chart) int { return c.Lines }

func integralTicks(t *testing.T, c *Chart) {
	t.Helper()
	p := c.Plot
	ticks := p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max)
	require.NotEmpty(t, ticks)
	labelled := 0
	for _, tk := range ticks {
		if tk.Label == "" {
			continue
		}
		labelled++
		assert.Equal(t, math.Round(tk.Value), tk.Value, "count axis tick %q", tk.Label)
		assert.NotContains(t, tk.Label, ".", "count axis tick %q", tk.Label)
	}
	assert.GreaterOrEqual(t, labelled, 3)
}

func TestCwnd(t *testing.T) {
	res := run(t, sameLoss(reno.VariantNewReno))
	p, err := Cwnd(res.Trace, 0, 1000, "NewReno, 1% periodic loss")
	require.NoError(t, err)
	assert.Equal(t, "NewReno, 1% periodic loss", p.Plot.Title.Text)
	assert.Equal(t, "time (s)", p.Plot.X.Label.Text)
	assert.Equal(t, "cwnd (segments)", p.Plot.Y.Label.Text)
	assert.Equal(t, []string{"slow start", "congestion avoidance", "fast recovery", "cwnd", "ssthresh", "loss"}, legend(p))
	assert.Equal(t, 2, lines(p), "cwnd and ssthresh")
	assert.InDelta(t, 20, p.Plot.X.Max, 0.5)
	integralTicks(t, p)
	data, leg := plotkit.Layout(p.Plot, Width, Height)
	assert.Greater(t, leg.Max.Y-leg.Min.Y, vg.Length(0))
	assert.GreaterOrEqual(t, leg.Min.X, data.Max.X, "the legend does not cover the state shading")
	dir := t.TempDir()
	for _, name := range []string{"cwnd.png", "cwnd.svg"} {
		require.NoError(t, Save(p, filepath.Join(dir, name)))
		st, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Greater(t, st.Size(), int64(5000))
	}
	assert.ErrorContains(t, Save(p, filepath.Join(dir, "cwnd.jpg")), ".png or .svg")
	_, err = Cwnd(res.Trace, 3, 1000, "")
	assert.ErrorContains(t, err, "flow 3")
	_, err = Cwnd(res.Trace, 0, 0, "")
	assert.ErrorContains(t, err, "mss")
}

func TestFlowsLabelsEveryFlow(t *testing.T) {
	cfg := reno.DefaultConfig()
	cfg.Link.Buffer = 30
	cfg.Duration = 20 * time.Second
	cfg.Flows = []reno.FlowConfig{reno.DefaultFlow(reno.VariantReno), reno.DefaultFlow(reno.VariantCubic), reno.DefaultFlow(reno.VariantSACK)}
	res := run(t, cfg)
	names := []string{"flow 0 (reno)", "flow 1 (cubic)", "flow 2 (sack)"}
	p, err := Flows(res.Trace, names, 1000, "three flows")
	require.NoError(t, err)
	assert.Equal(t, names, legend(p))
	assert.Equal(t, 3, lines(p))
	integralTicks(t, p)
	// The title says a peak is cut exactly when it is.
	peak := 0.0
	for _, r := range res.Trace {
		peak = math.Max(peak, float64(r.Cwnd)/1000)
	}
	assert.Equal(t, peak > p.Plot.Y.Max, strings.Contains(p.Plot.Title.Text, "above the scale"),
		"peak %.0f, axis to %.0f, title %q", peak, p.Plot.Y.Max, p.Plot.Title.Text)
	_, err = Flows(res.Trace, append(names, "flow 3"), 1000, "")
	assert.ErrorContains(t, err, "flow 3")
}

func TestVariantsSmallMultiples(t *testing.T) {
	var series []Series
	for _, v := range []reno.Variant{reno.VariantReno, reno.VariantNewReno, reno.VariantSACK, reno.VariantCubic} {
		series = append(series, Series{Name: string(v), Trace: run(t, sameLoss(v)).Trace, MSS: 1000})
	}
	f, err := Variants(series, "same loss pattern")
	require.NoError(t, err)
	require.Len(t, f.Panels, 4)
	for i, p := range f.Panels {
		assert.True(t, strings.HasPrefix(p.Plot.Title.Text, series[i].Name), "each panel is titled with its variant: %q", p.Plot.Title.Text)
		// The slow-start overshoot's brief peak is cut, and the title says so.
		assert.Contains(t, p.Plot.Title.Text, "segments above the scale")
		assert.Less(t, p.Plot.Y.Max, 100.0, "the axis fits the sawtooth (about 10-20 segments), not the peak")
		assert.Equal(t, f.Panels[0].Plot.X.Max, p.Plot.X.Max, "one time axis")
		assert.Equal(t, f.Panels[0].Plot.Y.Max, p.Plot.Y.Max, "one window axis")
		assert.Equal(t, "cwnd (segments)", p.Plot.Y.Label.Text)
		assert.Equal(t, 2, lines(p))
		integralTicks(t, p)
	}
	assert.Equal(t, "time (s)", f.Panels[3].Plot.X.Label.Text, "labelled once, at the bottom")
	assert.Contains(t, legend(f.Panels[0]), "fast recovery")
	assert.Empty(t, legend(f.Panels[1]))
	data, key := f.draw(draw.New(vgimg.New(Width, f.height())))
	require.Len(t, data, 4)
	assert.Greater(t, key.Max.Y-key.Min.Y, vg.Length(0), "the key is drawn")
	for i, d := range data {
		assert.GreaterOrEqual(t, key.Min.X, d.Max.X, "the key lies right of panel %d's data (and its shading)", i)
		assert.InDelta(t, float64(data[0].Max.X), float64(d.Max.X), 0.01, "the panels' time axes are aligned")
	}
	assert.InDelta(t, float64(data[0].Max.Y), float64(key.Max.Y), 0.01, "the key starts at the top panel's top")
	dir := t.TempDir()
	for _, name := range []string{"variants.png", "variants.svg"} {
		require.NoError(t, f.Save(filepath.Join(dir, name)))
		st, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Greater(t, st.Size(), int64(10000))
	}
	assert.Error(t, f.Save(filepath.Join(dir, "v.gif")))
	_, err = Variants(nil, "")
	assert.Error(t, err)
}

func TestThroughputAgainstModels(t *testing.T) {
	var sweeps []Sweep
	for _, v := range []reno.Variant{reno.VariantReno, reno.VariantSACK, reno.VariantCubic} {
		sc := reno.DefaultSweepConfig()
		sc.Base.Flows[0].Variant = v
		sc.Base.Duration = 60 * time.Second
		sc.Base.Warmup = 10 * time.Second
		sc.Losses = []float64{0.001, 0.01, 0.05}
		sc.Rounds = false
		pts, err := reno.Sweep(context.Background(), sc)
		require.NoError(t, err)
		sweeps = append(sweeps, Sweep{Variant: string(v), Points: pts, Model: pts[0].ModelName})
	}
	p, err := Throughput(sweeps, "throughput against loss")
	require.NoError(t, err)
	assert.Equal(t, []string{"reno simulated", "sack simulated", "cubic simulated", "reno, sack: PFTK", "cubic: RFC 9438"}, legend(p))
	assert.Equal(t, 2, p.Lines, "one model line per model")
	assert.Equal(t, 3, p.Marks, "one set of points per variant")
	assert.Equal(t, "loss probability p", p.Plot.X.Label.Text)
	assert.Equal(t, "throughput (b/s)", p.Plot.Y.Label.Text)
	assert.IsType(t, plot.LogScale{}, p.Plot.X.Scale)
	assert.IsType(t, plot.LogScale{}, p.Plot.Y.Scale)
	var decades []string
	for _, tk := range p.Plot.X.Tick.Marker.Ticks(p.Plot.X.Min, p.Plot.X.Max) {
		if tk.Label != "" {
			decades = append(decades, tk.Label)
		}
	}
	assert.Contains(t, decades, "0.01", "labelled decades on the p axis")
	assert.Contains(t, decades, "0.001")
	var ylabels []string
	for _, tk := range p.Plot.Y.Tick.Marker.Ticks(p.Plot.Y.Min, p.Plot.Y.Max) {
		if tk.Label != "" {
			ylabels = append(ylabels, tk.Label)
		}
	}
	assert.GreaterOrEqual(t, len(ylabels), 3, "at least three labelled values on the log y axis: %v", ylabels)
	for _, sw := range sweeps {
		for _, pt := range sw.Points {
			assert.GreaterOrEqual(t, pt.Simulated, p.Plot.Y.Min, "no point below the axis' lowest (labelled) value")
		}
	}
	assert.Equal(t, p.Plot.Y.Min, math.Pow(10, math.Round(math.Log10(p.Plot.Y.Min))), "the axis starts at a labelled decade")
	dataArea, legendArea := plotkit.Layout(p.Plot, Width, Height)
	assert.GreaterOrEqual(t, legendArea.Min.X, dataArea.Max.X, "the legend lies beside the data area")
	require.NoError(t, Save(p, filepath.Join(t.TempDir(), "sweep.png")))
	_, err = Throughput(nil, "")
	assert.Error(t, err)
}

func TestStateSpans(t *testing.T) {
	recs := []reno.Record{
		{Time: 0, State: reno.SlowStart}, {Time: time.Second, State: reno.SlowStart},
		{Time: 2 * time.Second, State: reno.FastRecovery}, {Time: 3 * time.Second, State: reno.CongestionAvoidance},
		{Time: 4 * time.Second, State: reno.CongestionAvoidance},
	}
	assert.Equal(t, []stateSpan{{0, 2, reno.SlowStart}, {2, 3, reno.FastRecovery}, {3, 4, reno.CongestionAvoidance}}, stateSpans(recs))
}
