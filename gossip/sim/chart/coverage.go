// Package chart draws the pictures of package sim: coverage per round of a
// rumor, measured against the mean-field theory. It is apart from sim so
// that a program that only simulates does not carry a plotting stack
// (gonum.org/v1/plot and its fonts).
package chart

import (
	"fmt"

	"github.com/netlab-go/netlab/internal/plotkit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Curve is one line of a coverage plot: Values[r] is the fraction informed
// after round r.
type Curve struct {
	Label  string
	Values []float64
	// Theory draws the curve dashed, for predictions next to measurements.
	Theory bool
}

// Size is the size WriteCoverage draws at.
const (
	Width  = 20 * vg.Centimeter
	Height = 11 * vg.Centimeter
)

// glyphs and dashes tell the modes apart where their lines overlap: pairs
// of curves (or single curves) get the i-th of each, beside their colour.
var (
	glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}}
	dashes = [][]vg.Length{
		{vg.Points(6), vg.Points(3)},
		{vg.Points(2), vg.Points(2)},
		{vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)},
		{vg.Points(4), vg.Points(4)},
	}
)

// Coverage returns the plot WriteCoverage draws, for callers that want to
// change it (or check it) before saving it with [plotkit.Save]. Measured
// curves are solid lines with a marker at every round (a different marker
// per colour, so that curves that run on top of each other stay apart);
// theory curves are dashed, with a different dash pattern per colour.
func Coverage(title string, curves []Curve, pairs bool) (*plot.Plot, error) {
	p, _, err := coverage(title, curves, pairs)
	return p, err
}

// coverage is Coverage that returns the series it added too, for the tests.
func coverage(title string, curves []Curve, pairs bool) (*plot.Plot, []plot.Plotter, error) {
	var added []plot.Plotter
	p := plotkit.New(title, "round", "fraction of live nodes informed")
	p.Y.Min, p.Y.Max = 0, 1.02
	p.X.Min = 0
	p.X.Tick.Marker = plotkit.CountTicks{}
	p.Y.Tick.Marker = plotkit.DecimalTicks{}
	p.Add(plotter.NewGrid())
	for i, c := range curves {
		pts := make(plotter.XYs, len(c.Values))
		for r, v := range c.Values {
			pts[r] = plotter.XY{X: float64(r), Y: v}
		}
		ci := i
		if pairs {
			ci = i / 2
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, nil, fmt.Errorf("chart: curve %q: %w", c.Label, err)
		}
		line.Color = plotkit.Color(ci)
		if c.Theory {
			line.Dashes = dashes[ci%len(dashes)]
			line.Width = vg.Points(1.2)
			p.Add(line)
			added = append(added, line)
			p.Legend.Add(c.Label, line)
			continue
		}
		line.Width = vg.Points(1.5)
		marks, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, nil, fmt.Errorf("chart: curve %q: %w", c.Label, err)
		}
		marks.GlyphStyle = draw.GlyphStyle{Color: plotkit.Color(ci), Radius: vg.Points(2.5), Shape: glyphs[ci%len(glyphs)]}
		p.Add(line, marks)
		added = append(added, line, marks)
		p.Legend.Add(c.Label, line, marks)
	}
	p.Legend.ThumbnailWidth = vg.Points(24)
	p.Legend.Padding = vg.Points(2)
	return p, added, nil
}

// WriteCoverage draws coverage per round for the curves and writes a PNG
// or SVG, by the file's extension, to path. With pairs, curves 2i and 2i+1
// (a measurement and its theory) share a colour; otherwise each curve gets
// its own. The legend stands beside the data area.
func WriteCoverage(path, title string, curves []Curve, pairs bool) error {
	if err := plotkit.CheckExt(path); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	p, err := Coverage(title, curves, pairs)
	if err != nil {
		return err
	}
	if err := plotkit.Save(p, Width, Height, path); err != nil {
		return fmt.Errorf("chart: write %s: %w", path, err)
	}
	return nil
}
