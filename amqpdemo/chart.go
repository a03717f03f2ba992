package amqpdemo

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WriteTopicChart draws a bar chart of topic frequencies, one bar per routing
// key in the order given, to path. The extension chooses the format: .png or
// .svg.
func WriteTopicChart(path, title string, topics []TopicCount) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".png" && ext != ".svg" {
		return fmt.Errorf("amqpdemo: chart %s: extension %q is neither .png nor .svg", path, ext)
	}
	if len(topics) == 0 {
		return fmt.Errorf("amqpdemo: chart %s: no messages to draw", path)
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "messages"
	p.X.Label.Text = "routing key"
	values := make(plotter.Values, len(topics))
	names := make([]string, len(topics))
	for i, t := range topics {
		values[i] = float64(t.Count)
		names[i] = t.RoutingKey
	}
	bars, err := plotter.NewBarChart(values, vg.Points(28))
	if err != nil {
		return fmt.Errorf("amqpdemo: chart %s: %w", path, err)
	}
	bars.Color = color.RGBA{R: 0x3b, G: 0x75, B: 0xaf, A: 0xff}
	bars.LineStyle.Width = 0
	labels, err := countLabels(values)
	if err != nil {
		return fmt.Errorf("amqpdemo: chart %s: %w", path, err)
	}
	p.Add(bars, labels)
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = math.Pi / 5
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.X.Min, p.X.Max = -0.6, float64(len(topics))-0.4
	p.Y.Min = 0
	p.Y.Max = maxValue(values) * 1.12
	width := vg.Length(max(6, len(topics))) * 0.7 * vg.Inch
	if err := p.Save(width, 4*vg.Inch, path); err != nil {
		return fmt.Errorf("amqpdemo: chart %s: %w", path, err)
	}
	return nil
}

// countLabels writes each bar's count just above it.
func countLabels(values plotter.Values) (*plotter.Labels, error) {
	xys := plotter.XYLabels{XYs: make(plotter.XYs, len(values)), Labels: make([]string, len(values))}
	for i, v := range values {
		xys.XYs[i] = plotter.XY{X: float64(i), Y: v}
		xys.Labels[i] = fmt.Sprint(v)
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
