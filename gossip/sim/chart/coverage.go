// Package chart draws the pictures of package sim: coverage per round of a
// rumor, measured against the mean-field theory. It is apart from sim so
// that a program that only simulates does not carry a plotting stack
// (gonum.org/v1/plot and its fonts).
package chart

import (
	"fmt"

	"github.com/netlab-go/netlab/internal/plotkit"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Curve is one line of a coverage plot: Values[r] is the fraction informed
// after round r.
type Curve struct {
	Label  string
	Values []float64
	// Theory draws the curve dashed, for predictions next to measurements.
	Theory bool
}

// WriteCoverage draws coverage per round for the curves and writes a PNG
// or SVG, by the file's extension, to path. With pairs, curves 2i and 2i+1
// (a measurement and its theory) share a colour; otherwise each curve gets
// its own.
func WriteCoverage(path, title string, curves []Curve, pairs bool) error {
	if err := plotkit.CheckExt(path); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	p := plotkit.New(title, "round", "fraction of live nodes informed")
	p.Y.Min, p.Y.Max = 0, 1.02
	p.X.Min = 0
	p.X.Tick.Marker = plotkit.CountTicks{}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(8)
	p.Legend.YOffs = vg.Points(-8)
	p.Add(plotter.NewGrid())
	for i, c := range curves {
		pts := make(plotter.XYs, len(c.Values))
		for r, v := range c.Values {
			pts[r] = plotter.XY{X: float64(r), Y: v}
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("chart: curve %q: %w", c.Label, err)
		}
		ci := i
		if pairs {
			ci = i / 2
		}
		line.Color = plotkit.Color(ci)
		line.Width = vg.Points(1.5)
		if c.Theory {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			line.Width = vg.Points(1)
		}
		p.Add(line)
		p.Legend.Add(c.Label, line)
	}
	p.Legend.ThumbnailWidth = vg.Points(24)
	p.Legend.Padding = vg.Points(2)
	if err := plotkit.Save(p, 18*vg.Centimeter, 11*vg.Centimeter, path); err != nil {
		return fmt.Errorf("chart: write %s: %w", path, err)
	}
	return nil
}
