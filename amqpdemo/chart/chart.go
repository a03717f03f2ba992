// Package chart draws amqpdemo's pictures with gonum.org/v1/plot: a bar
// chart of how many messages arrived per routing key. It lives apart from
// amqpdemo so that a program that only sends and receives does not carry
// the plotting stack.
package chart

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/netlab-go/netlab/amqpdemo"
	"github.com/netlab-go/netlab/internal/plotkit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Topics returns the plot of topic frequencies: one bar per routing key in
// the order given, its count written above it, and a count axis whose ticks
// are whole numbers. It is [WriteTopics] without the file, for callers who
// want to change the plot before saving it.
func Topics(title string, topics []amqpdemo.TopicCount) (*plot.Plot, error) {
	p, _, err := topicsPlot(title, topics)
	return p, err
}

// topicsPlot builds the plot and returns its bars too, for the tests.
func topicsPlot(title string, topics []amqpdemo.TopicCount) (*plot.Plot, *plotter.BarChart, error) {
	if len(topics) == 0 {
		return nil, nil, fmt.Errorf("chart: no messages to draw")
	}
	p := plotkit.New(title, "routing key", "messages")
	values := make(plotter.Values, len(topics))
	names := make([]string, len(topics))
	for i, t := range topics {
		values[i] = float64(t.Count)
		names[i] = t.RoutingKey
	}
	bars, err := plotter.NewBarChart(values, vg.Points(28))
	if err != nil {
		return nil, nil, fmt.Errorf("chart: %w", err)
	}
	bars.Color = plotkit.Color(0)
	bars.LineStyle.Width = 0
	labels, err := countLabels(values)
	if err != nil {
		return nil, nil, fmt.Errorf("chart: %w", err)
	}
	p.Add(bars, labels)
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = math.Pi / 5
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.X.Min, p.X.Max = -0.6, float64(len(topics))-0.4
	p.Y.Min = 0
	p.Y.Max = maxValue(values) * 1.12
	p.Y.Tick.Marker = plotkit.CountTicks{} // whole numbers only
	return p, bars, nil
}

// WriteTopics draws [Topics] to path; the extension (.png or .svg) chooses
// the format.
func WriteTopics(path, title string, topics []amqpdemo.TopicCount) error {
	if err := plotkit.CheckExt(path); err != nil {
		return fmt.Errorf("chart: %s: extension %q is neither .png nor .svg", path, filepath.Ext(path))
	}
	p, err := Topics(title, topics)
	if err != nil {
		return fmt.Errorf("chart: %s: %w", path, err)
	}
	width := vg.Length(max(6, len(topics))) * 0.7 * vg.Inch
	if err := plotkit.Save(p, width, 4*vg.Inch, path); err != nil {
		return fmt.Errorf("chart: %s: %w", path, err)
	}
	return nil
}

// countLabels writes each bar's count just above it.
func countLabels(values plotter.Values) (*plotter.Labels, error) {
	xys := plotter.XYLabels{XYs: make(plotter.XYs, len(values)), Labels: make([]string, len(values))}
	for i, v := range values {
		xys.XYs[i] = plotter.XY{X: float64(i), Y: v}
		xys.Labels[i] = plotkit.Thousands(int64(v))
	}
	l, err := plotter.NewLabels(xys)
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign = draw.XCenter
	}
	l.Offset.Y = vg.Points(3)
	return l, nil
}

func maxValue(vs plotter.Values) float64 {
	m := 1.0
	for _, v := range vs {
		m = max(m, v)
	}
	return m
}
