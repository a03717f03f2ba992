package chart

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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
		curves = append(curves, Curve{Label: m.name + " fanout 1 (simulated)", Values: cov},
			Curve{Label: m.name + " fanout 1 (theory)", Values: sim.MeanField(m.mode, 1000, 1, len(cov)-1), Theory: true})
	}
	f, err := Coverage("Coverage per round, N=1000", curves, true)
	require.NoError(t, err)
	require.Len(t, f.Panels, 3, "one panel per mode: no curve hides another")
	shapes, dash := map[string]bool{}, map[string]bool{}
	for i, p := range f.Panels {
		assert.Equal(t, []string{"push", "pull", "push-pull"}[i]+" fanout 1", p.Title.Text)
		assert.Equal(t, "round", p.X.Label.Text)
		assert.Equal(t, f.Panels[0].X.Max, p.X.Max, "one round axis")
		assert.Equal(t, f.Panels[0].Y.Max, p.Y.Max, "one fraction axis")
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
		lines, scatters := 0, 0
		for _, pl := range f.added[i] {
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
		assert.Equal(t, 2, lines, "measured and theory")
		assert.Equal(t, 1, scatters, "markers on the measured curve")
	}
	assert.Equal(t, "fraction of live nodes informed", f.Panels[0].Y.Label.Text)
	assert.Len(t, shapes, 3, "each mode has its own marker")
	assert.Len(t, dash, 3, "each theory curve has its own dash pattern")

	data, legends, free := f.draw(draw.New(vgimg.New(Width, Height)))
	for i := range f.Panels {
		assert.True(t, free[i], "panel %d's legend found a corner free of data", i)
		assert.True(t, contains(data[i], legends[i]), "panel %d's legend lies in its own data area", i)
		assert.Greater(t, legends[i].Max.X-legends[i].Min.X, vg.Length(0))
		if i > 0 {
			assert.InDelta(t, float64(data[0].Max.Y), float64(data[i].Max.Y), 0.01, "panels aligned")
		}
	}
	assert.Equal(t, "theory", legendLabel("push fanout 1 (theory)", "push fanout 1"))
}

func contains(outer, inner vg.Rectangle) bool {
	return inner.Min.X >= outer.Min.X && inner.Max.X <= outer.Max.X && inner.Min.Y >= outer.Min.Y && inner.Max.Y <= outer.Max.Y
}
