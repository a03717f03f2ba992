package chart

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/netlab-go/netlab/amqpdemo"
	"github.com/netlab-go/netlab/internal/plotkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

var sample = []amqpdemo.TopicCount{{RoutingKey: "weather.uk.rain", Count: 24}, {RoutingKey: "stock.nyse.ibm", Count: 18}, {RoutingKey: "weather", Count: 5}}

func TestTopicsPlotModel(t *testing.T) {
	p, bars, err := topicsPlot("Messages per routing key", sample)
	require.NoError(t, err)
	assert.Equal(t, "Messages per routing key", p.Title.Text)
	assert.Equal(t, "routing key", p.X.Label.Text)
	assert.Equal(t, "messages", p.Y.Label.Text)
	// One series, so no legend; the title keeps off the image's top edge.
	data, legend := plotkit.Layout(p, 6*vg.Inch, 4*vg.Inch)
	assert.Zero(t, legend, "a single series needs no legend")
	assert.Less(t, data.Max.Y, 4*vg.Inch-plotkit.Margin-p.Title.TextStyle.Height(p.Title.Text), "a margin above the title")

	// One bar per key, in the order given, labelled on the X axis.
	assert.Equal(t, plotter.Values{24, 18, 5}, bars.Values)
	var names []string
	for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		if tk.Label != "" {
			names = append(names, tk.Label)
		}
	}
	assert.Equal(t, []string{"weather.uk.rain", "stock.nyse.ibm", "weather"}, names)

	// The count axis labels whole numbers only.
	var labels []string
	for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if tk.Label == "" {
			continue // a minor tick
		}
		labels = append(labels, tk.Label)
		assert.Equal(t, math.Round(tk.Value), tk.Value, "labelled tick %v is not a whole number", tk.Value)
		assert.Equal(t, strconv.Itoa(int(tk.Value)), tk.Label)
	}
	assert.Equal(t, []string{"0", "5", "10", "15", "20", "25"}, labels, "Y runs from 0 to 24 × 1.12")

	// A small count gets no fractional labels either (the tour's fault: 0.5, 1.5).
	small, _, err := topicsPlot("t", []amqpdemo.TopicCount{{RoutingKey: "a", Count: 1}, {RoutingKey: "b", Count: 2}})
	require.NoError(t, err)
	for _, tk := range small.Y.Tick.Marker.Ticks(small.Y.Min, small.Y.Max) {
		if tk.Label != "" {
			assert.Equal(t, math.Round(tk.Value), tk.Value, "labelled tick %v", tk.Value)
		}
	}
}

func TestWriteTopicsFiles(t *testing.T) {
	dir := t.TempDir()
	png, svg := filepath.Join(dir, "topics.png"), filepath.Join(dir, "topics.svg")
	require.NoError(t, WriteTopics(png, "t", sample))
	require.NoError(t, WriteTopics(svg, "t", sample))
	data, err := os.ReadFile(png)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")), "a PNG file")
	data, err = os.ReadFile(svg)
	require.NoError(t, err)
	assert.Contains(t, string(data), "<svg")
	assert.Contains(t, string(data), "stock.nyse.ibm")
	require.ErrorContains(t, WriteTopics(filepath.Join(dir, "topics.gif"), "t", sample), "neither .png nor .svg")
	require.ErrorContains(t, WriteTopics(png, "t", nil), "no messages")
}
