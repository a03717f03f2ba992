package chart

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlab-go/netlab/capture"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func analyzed(t *testing.T) *capture.Analyzer {
	t.Helper()
	var file bytes.Buffer
	_, err := capture.Generate(&file, capture.GenerateConfig{Hosts: 6, Frames: 2000, Seed: 5})
	require.NoError(t, err)
	r, err := capture.NewReader(&file, 0)
	require.NoError(t, err)
	a, err := capture.New(capture.DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, a.ReadFrom(context.Background(), r))
	return a
}

func TestHistogram(t *testing.T) {
	a := analyzed(t)
	p, err := HistogramPlot(a.Hierarchy().Totals(), 5)
	require.NoError(t, err)
	assert.Equal(t, "Frames per protocol", p.Title.Text)
	assert.Equal(t, "frames", p.Y.Label.Text)
	ticks := p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max)
	var labels []string
	for _, tk := range ticks {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	assert.Len(t, labels, 5, "one bar per protocol, at most topN")
	assert.Equal(t, "eth", labels[0], "the busiest first")

	dir := t.TempDir()
	require.NoError(t, SaveHistogram(filepath.Join(dir, "h.png"), a.Hierarchy().Totals(), 10, 400, 300))
	h, err := os.ReadFile(filepath.Join(dir, "h.png"))
	require.NoError(t, err)
	assert.Equal(t, []byte("\x89PNG"), h[:4])
	_, err = HistogramPlot(nil, 0)
	assert.Error(t, err)
}

func TestGraph(t *testing.T) {
	a := analyzed(t)
	g, err := a.Graph(capture.GraphConfig{TopN: 4, Seed: 1})
	require.NoError(t, err)
	p := GraphPlot(g)
	assert.Contains(t, p.Title.Text, "devices by MAC address")
	dir := t.TempDir()
	for _, name := range []string{"graph.png", "graph.svg"} {
		require.NoError(t, SaveGraph(g, filepath.Join(dir, name), 400, 300))
	}
	png, err := os.ReadFile(filepath.Join(dir, "graph.png"))
	require.NoError(t, err)
	assert.Equal(t, []byte("\x89PNG"), png[:4])
	svg, err := os.ReadFile(filepath.Join(dir, "graph.svg"))
	require.NoError(t, err)
	assert.Contains(t, string(svg), "<svg")
	assert.Contains(t, string(svg), g.Nodes[0].Label)
	assert.Error(t, SaveGraph(g, filepath.Join(dir, "no-such-dir", "g.png"), 400, 300))
}
