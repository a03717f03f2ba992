package chart

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netlab-go/netlab/amqpdemo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

var sample = []amqpdemo.TopicCount{{RoutingKey: "weather.uk.rain", Count: 24}, {RoutingKey: "stock.nyse.ibm", Count: 18}, {RoutingKey: "weather", Count: 5}}

func TestTopicsPlotModel(t *testing.T) {
	p, bars, err := topicsPlot("Messages per routing key", sample)
	require.NoError(t, err)
	assert.Equal(t, "Messages per routing key", p.Title.Text)
	assert.Equal(t, "routing key", p.X.Label.Text)
	assert.Equal(t, "messages", p.Y.Label.Text)

	// One bar per key, in the order given, labelled on the X axis.
	assert.Equal(t, plotter.Values{24, 18, 5}, bars.Values)
	var names []string
	for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		if tk.Label != "" {
			names = append(names, tk.Label)
		}
	}
	assert.Equal(t, []string{"weather.uk.rain", "stock.nyse.ibm", "weather"}, names)

	// The count axis has integral, labelled ticks only.
	ticks := p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max)
	require.NotEmpty(t, ticks)
	for _, tk := range ticks {
		assert.Equal(t, float64(int(tk.Value)), tk.Value, "tick %v is not a whole number", tk.Value)
		assert.NotContains(t, tk.Label, ".", "tick label %q", tk.Label)
	}
	assert.Equal(t, 0.0, ticks[0].Value, "the count axis starts at 0")
}

func TestIntegerTicksNeverFractional(t *testing.T) {
	for _, r := range [][2]float64{{0, 1.12}, {0, 3.4}, {0, 7}, {0, 11.2}, {0, 56}, {0, 1234}, {0, 2.5e6}, {0.3, 0.9}} {
		ticks := IntegerTicks{}.Ticks(r[0], r[1])
		assert.LessOrEqual(t, len(ticks), 7, "range %v", r)
		for _, tk := range ticks {
			assert.Equal(t, float64(int64(tk.Value)), tk.Value, "range %v", r)
			assert.GreaterOrEqual(t, tk.Value, r[0])
			assert.LessOrEqual(t, tk.Value, r[1])
		}
		if r[1]-r[0] >= 1 {
			assert.GreaterOrEqual(t, len(ticks), 2, "range %v gets at least two ticks", r)
		}
	}
	var _ plot.Ticker = IntegerTicks{}
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

// TestAmqpdemoDoesNotImportPlot keeps the concept package light.
func TestAmqpdemoDoesNotImportPlot(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/netlab-go/netlab/amqpdemo").Output()
	require.NoError(t, err)
	for _, dep := range strings.Fields(string(out)) {
		assert.False(t, strings.HasPrefix(dep, "gonum.org/v1/plot"), "amqpdemo imports %s", dep)
	}
}
