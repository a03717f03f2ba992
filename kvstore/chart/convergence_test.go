package chart

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/plotkit"
	"gonum.org/v1/plot/vg"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteConvergence(t *testing.T) {
	samples := []Sample{{0, 0}, {100 * time.Millisecond, 40}, {200 * time.Millisecond, 80}, {300 * time.Millisecond, 80}, {500 * time.Millisecond, 3}, {600 * time.Millisecond, 0}}
	marks := []Mark{{0, "partition"}, {300 * time.Millisecond, "heal"}}
	dir := t.TempDir()
	png := filepath.Join(dir, "c.png")
	require.NoError(t, WriteConvergence(png, "convergence", samples, marks))
	b, err := os.ReadFile(png)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, []byte("\x89PNG")))
	svg := filepath.Join(dir, "c.svg")
	require.NoError(t, WriteConvergence(svg, "convergence", samples, marks))
	b, err = os.ReadFile(svg)
	require.NoError(t, err)
	assert.Contains(t, string(b), "heal (0.30 s)", "each mark is labelled with its time")
	assert.Error(t, WriteConvergence(filepath.Join(dir, "c.jpg"), "t", samples, nil))
	assert.Error(t, WriteConvergence(filepath.Join(dir, "d.png"), "t", nil, nil))
}

func TestConvergenceModel(t *testing.T) {
	samples := []Sample{{0, 0}, {100 * time.Millisecond, 40}, {1100 * time.Millisecond, 80}, {1150 * time.Millisecond, 0}}
	marks := []Mark{{0, "partition"}, {time.Second, "heal"}, {1150 * time.Millisecond, "converged"}}
	p, err := Convergence("Divergent keys through a partition", samples, marks)
	require.NoError(t, err)
	assert.Equal(t, "time (s)", p.X.Label.Text)
	assert.Equal(t, "keys the replicas disagree on", p.Y.Label.Text)
	assert.Equal(t, 0.0, p.Y.Min)
	assert.GreaterOrEqual(t, p.Y.Max, 80.0)
	n := 0
	for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if tk.Label != "" {
			n++
			assert.Equal(t, math.Round(tk.Value), tk.Value, "counts are whole numbers")
		}
	}
	assert.GreaterOrEqual(t, n, 3)
	data, legend := plotkit.Layout(p, Width, Height)
	assert.Greater(t, legend.Max.Y-legend.Min.Y, vg.Length(0), "a legend for the curve and the marks")
	assert.GreaterOrEqual(t, legend.Min.X, data.Max.X, "the legend covers neither the marks nor the curve's last drop")
	_, err = Convergence("t", nil, nil)
	assert.Error(t, err)
}
