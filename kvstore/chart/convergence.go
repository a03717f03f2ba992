// Package chart draws the pictures of package kvstore: how far replicas are
// from agreeing, over time, through a partition and its repair. It is apart
// from kvstore so that a program that only stores keys does not carry a
// plotting stack (gonum.org/v1/plot and its fonts).
package chart

import (
	"errors"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/internal/plotkit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Sample is the number of divergent keys (kvstore.Divergent) at a time
// since the start of the experiment.
type Sample struct {
	At        time.Duration
	Divergent int
}

// Mark is an event drawn as a vertical line, such as "partition" or
// "heal".
type Mark struct {
	At    time.Duration
	Label string
}

// Size is the size [WriteConvergence] draws at.
const (
	Width  = 18 * vg.Centimeter
	Height = 10 * vg.Centimeter
)

// Convergence returns the plot [WriteConvergence] draws: divergent keys
// against time, with the marks as labelled vertical lines and the legend
// beside the data area (where [plotkit.Save] puts it). Callers may change
// it before saving it.
func Convergence(title string, samples []Sample, marks []Mark) (*plot.Plot, error) {
	if len(samples) == 0 {
		return nil, errors.New("chart: no samples to draw")
	}
	p := plotkit.New(title, "time (s)", "keys the replicas disagree on")
	p.Y.Min = 0
	p.Y.Tick.Marker = plotkit.CountTicks{}
	p.X.Tick.Marker = plotkit.DecimalTicks{}
	p.Add(plotter.NewGrid())
	top := 1
	pts := make(plotter.XYs, len(samples))
	for i, s := range samples {
		pts[i] = plotter.XY{X: s.At.Seconds(), Y: float64(s.Divergent)}
		top = max(top, s.Divergent)
	}
	p.Y.Max = float64(top) * 1.08
	line, err := plotter.NewLine(pts)
	if err != nil {
		return nil, fmt.Errorf("chart: samples: %w", err)
	}
	line.Color = plotkit.Color(0)
	line.Width = vg.Points(1.5)
	p.Add(line)
	p.Legend.Add("divergent keys", line)
	for i, m := range marks {
		v, err := plotter.NewLine(plotter.XYs{{X: m.At.Seconds(), Y: 0}, {X: m.At.Seconds(), Y: p.Y.Max}})
		if err != nil {
			return nil, fmt.Errorf("chart: mark %q: %w", m.Label, err)
		}
		v.Color = plotkit.Color(i + 1)
		v.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(v)
		p.Legend.Add(fmt.Sprintf("%s (%.2f s)", m.Label, m.At.Seconds()), v)
	}
	return p, nil
}

// WriteConvergence draws [Convergence] and writes a PNG or SVG (by the
// file's extension) to path.
func WriteConvergence(path, title string, samples []Sample, marks []Mark) error {
	if err := plotkit.CheckExt(path); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	p, err := Convergence(title, samples, marks)
	if err != nil {
		return err
	}
	if err := plotkit.Save(p, Width, Height, path); err != nil {
		return fmt.Errorf("chart: write %s: %w", path, err)
	}
	return nil
}
