package sim

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
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

var palette = []color.RGBA{
	{R: 0x1f, G: 0x77, B: 0xb4, A: 255}, {R: 0xd6, G: 0x27, B: 0x28, A: 255},
	{R: 0x2c, G: 0xa0, B: 0x2c, A: 255}, {R: 0x94, G: 0x67, B: 0xbd, A: 255},
	{R: 0xff, G: 0x7f, B: 0x0e, A: 255}, {R: 0x8c, G: 0x56, B: 0x4b, A: 255},
}

// WriteCoveragePlot draws coverage per round for the curves and writes a
// PNG (or SVG, PDF, by the file's extension) to path. Curves with the same
// index modulo the palette share a colour, so pair each measurement with
// its theory by listing them as measurement, theory, measurement, theory
// and setting pairs; with pairs false each curve gets its own colour.
func WriteCoveragePlot(path, title string, curves []Curve, pairs bool) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "round"
	p.Y.Label.Text = "fraction of live nodes informed"
	p.Y.Min, p.Y.Max = 0, 1.02
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(8)
	p.Legend.YOffs = vg.Points(-8)
	p.X.Min = 0
	p.X.Tick.Marker = roundTicks{}
	p.Add(plotter.NewGrid())
	for i, c := range curves {
		pts := make(plotter.XYs, len(c.Values))
		for r, v := range c.Values {
			pts[r] = plotter.XY{X: float64(r), Y: v}
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("sim: plot %q: %w", c.Label, err)
		}
		ci := i
		if pairs {
			ci = i / 2
		}
		line.Color = palette[ci%len(palette)]
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
	if err := p.Save(18*vg.Centimeter, 11*vg.Centimeter, path); err != nil {
		return fmt.Errorf("sim: write %s: %w", path, err)
	}
	return nil
}

// roundTicks labels the round axis with whole numbers.
type roundTicks struct{}

func (roundTicks) Ticks(min, max float64) []plot.Tick {
	step := 1.0
	for (max-min)/step > 12 {
		step *= 2
	}
	var ticks []plot.Tick
	for x := 0.0; x <= max; x += step {
		ticks = append(ticks, plot.Tick{Value: x, Label: fmt.Sprint(int(x))})
	}
	return ticks
}
