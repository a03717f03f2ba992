package chart

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"fmt"
	"math"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/sim"
	"github.com/netlab-go/netlab/internal/plotkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/plotter"
)

func TestWriteCoverage(t *testing.T) {
	cfg := sim.Config{N: 1000, Mode: gossip.PushPull, Fanout: 1, Stop: gossip.AfterRounds(1 << 15), MaxRounds: 100}
	s, err := sim.SimulateSeeds(cfg, 3)
	require.NoError(t, err)
	dir := t.TempDir()
	for _, name := range []string{"coverage.png", "coverage.svg"} {
		path := filepath.Join(dir, name)
		require.NoError(t, WriteCoverage(path, "push-pull", []Curve{
			{Label: "simulated", Values: s.MeanCoverage()},
			{Label: "theory", Values: sim.MeanField(gossip.PushPull, 1000, 1, 20), Theory: true},
		}, true))
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		if filepath.Ext(name) == ".png" {
			assert.True(t, bytes.HasPrefix(b, []byte("\x89PNG")), "a PNG file")
		} else {
			assert.Contains(t, string(b[:min(len(b), 200)]), "<svg")
		}
	}
	assert.Error(t, WriteCoverage(filepath.Join(dir, "x.unknown"), "t", nil, false))
}

func TestCoverageModel(t *testing.T) {
	var curves []Curve
	for _, m := range []struct {
		name string
		mode gossip.Mode
	}{{"push", gossip.Push}, {"pull", gossip.Pull}, {"push-pull", gossip.PushPull}} {
		s, err := sim.SimulateSeeds(sim.Config{N: 1000, Mode: m.mode, Fanout: 1, Stop: gossip.AfterRounds(1 << 15), MaxRounds: 100}, 2)
		require.NoError(t, err)
		cov := s.MeanCoverage()
		curves = append(curves, Curve{Label: m.name + " (simulated)", Values: cov},
			Curve{Label: m.name + " (theory)", Values: sim.MeanField(m.mode, 1000, 1, len(cov)-1), Theory: true})
	}
	p, added, err := coverage("Coverage per round, N=1000", curves, true)
	require.NoError(t, err)
	assert.Equal(t, "round", p.X.Label.Text)
	assert.Equal(t, "fraction of live nodes informed", p.Y.Label.Text)
	var ylabels []string
	for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if tk.Label != "" {
			ylabels = append(ylabels, tk.Label)
		}
	}
	assert.Equal(t, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}, ylabels)
	for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		if tk.Label != "" {
			assert.Equal(t, math.Round(tk.Value), tk.Value, "rounds are whole numbers")
		}
	}
	// Six curves: the measured ones are a line and a marker series each.
	lines, scatters := 0, 0
	shapes := map[string]bool{}
	dash := map[string]bool{}
	for _, pl := range added {
		switch v := pl.(type) {
		case *plotter.Line:
			lines++
			if len(v.Dashes) > 0 {
				dash[fmt.Sprint(v.Dashes)] = true
			}
		case *plotter.Scatter:
			scatters++
			shapes[fmt.Sprintf("%T", v.GlyphStyle.Shape)] = true
		}
	}
	assert.Equal(t, 6, lines)
	assert.Equal(t, 3, scatters)
	assert.Len(t, shapes, 3, "each mode has its own marker")
	assert.Len(t, dash, 3, "each theory curve has its own dash pattern")
	data, legend := plotkit.Layout(p, Width, Height)
	assert.Greater(t, legend.Max.X, legend.Min.X, "a legend")
	assert.GreaterOrEqual(t, legend.Min.X, data.Max.X, "the legend covers no data")
}
