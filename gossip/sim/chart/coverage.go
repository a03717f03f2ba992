// Package chart draws the pictures of package sim: coverage per round of a
// rumor, measured against the mean-field theory, as small multiples (one
// panel per mode, on the same axes) so that modes whose curves coincide
// are still each seen. It is apart from sim so
// that a program that only simulates does not carry a plotting stack
// (gonum.org/v1/plot and its fonts).
package chart

import (
	"fmt"
	"image/color"
	"strings"

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

// Size of the picture [WriteCoverage] draws.
const (
	Width  = 24 * vg.Centimeter
	Height = 10 * vg.Centimeter
)

// glyphs and dashes tell the groups apart beside their colours: group i gets
// the i-th of each.
var (
	glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}}
	dashes = [][]vg.Length{
		{vg.Points(6), vg.Points(3)},
		{vg.Points(2), vg.Points(2)},
		{vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)},
		{vg.Points(4), vg.Points(4)},
	}
)

// Figure is a coverage chart: one panel per group of curves (per pair of a
// measurement and its theory, or a single panel for curves that are not
// paired), side by side with the same axes, so that curves of different
// modes that run on top of each other are each seen whole.
type Figure struct {
	// Title states what the whole picture shows.
	Title string
	// Panels are the plots, left to right; each panel's legend lists its
	// curves, and [Figure.Save] puts it in a corner of the panel that
	// covers no curve.
	Panels []*plot.Plot
	series [][]plotter.XYs  // per panel, for placing its legend
	added  [][]plot.Plotter // per panel, for the tests
}

// Coverage returns the figure [WriteCoverage] draws, for callers that want to
// change it (or check it) before saving it with [Figure.Save]. Measured
// curves are solid lines with a marker at every round; theory curves are
// dashed. When the labels of a panel's curves share a first part ("push
// fanout 1 (simulated)", "push fanout 1 (theory)"), it becomes the panel's
// title and the legend keeps the rest.
func Coverage(title string, curves []Curve, pairs bool) (*Figure, error) {
	f := &Figure{Title: title}
	groups := [][]Curve{curves}
	if pairs {
		groups = nil
		for i := 0; i < len(curves); i += 2 {
			groups = append(groups, curves[i:min(i+2, len(curves))])
		}
	}
	rounds := 1
	for _, c := range curves {
		rounds = max(rounds, len(c.Values)-1)
	}
	for g, group := range groups {
		prefix := ""
		if pairs {
			prefix = commonPrefix(group)
		}
		p := plotkit.New(prefix, "round", "")
		if g == 0 {
			p.Y.Label.Text = "fraction of live nodes informed"
		}
		p.X.Min, p.X.Max = 0, float64(rounds)
		p.Y.Min, p.Y.Max = 0, 1.02
		p.X.Tick.Marker = plotkit.CountTicks{}
		p.Y.Tick.Marker = plotkit.DecimalTicks{}
		p.Add(plotter.NewGrid())
		var series []plotter.XYs
		var added []plot.Plotter
		for k, c := range group {
			ci := g
			if !pairs {
				ci = k
			}
			pts := make(plotter.XYs, len(c.Values))
			for r, v := range c.Values {
				pts[r] = plotter.XY{X: float64(r), Y: v}
			}
			series = append(series, pts)
			label := legendLabel(c.Label, prefix)
			line, err := plotter.NewLine(pts)
			if err != nil {
				return nil, fmt.Errorf("chart: curve %q: %w", c.Label, err)
			}
			line.Color = plotkit.Color(ci)
			if c.Theory {
				line.Dashes = dashes[ci%len(dashes)]
				line.Width = vg.Points(1.2)
				p.Add(line)
				added = append(added, line)
				p.Legend.Add(label, line)
				continue
			}
			line.Width = vg.Points(1.5)
			marks, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, fmt.Errorf("chart: curve %q: %w", c.Label, err)
			}
			marks.GlyphStyle = draw.GlyphStyle{Color: plotkit.Color(ci), Radius: vg.Points(2.5), Shape: glyphs[ci%len(glyphs)]}
			p.Add(line, marks)
			added = append(added, line, marks)
			p.Legend.Add(label, line, marks)
		}
		p.Legend.ThumbnailWidth = vg.Points(24)
		p.Legend.Padding = vg.Points(2)
		f.Panels = append(f.Panels, p)
		f.series = append(f.series, series)
		f.added = append(f.added, added)
	}
	return f, nil
}

// commonPrefix returns the words the labels of group start with, when
// every label has more after them.
func commonPrefix(group []Curve) string {
	if len(group) < 2 {
		return ""
	}
	words := strings.Fields(group[0].Label)
	n := len(words)
	for _, c := range group[1:] {
		w := strings.Fields(c.Label)
		k := 0
		for k < n && k < len(w)-1 && w[k] == words[k] {
			k++
		}
		n = k
	}
	if n >= len(words) {
		n = len(words) - 1
	}
	return strings.Join(words[:max(n, 0)], " ")
}

// legendLabel is label without the panel's prefix and the brackets around
// what is left: "push fanout 1 (theory)" in panel "push fanout 1" is
// "theory".
func legendLabel(label, prefix string) string {
	if prefix == "" {
		return label
	}
	rest := strings.TrimSpace(strings.TrimPrefix(label, prefix))
	if strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") {
		rest = rest[1 : len(rest)-1]
	}
	return rest
}

// Save writes the figure at [Width] × [Height] as PNG or SVG, by path's
// extension.
func (f *Figure) Save(path string) error {
	dc, c, err := plotkit.Canvas(path, Width, Height)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	f.draw(dc)
	if err := plotkit.WriteFile(c, path); err != nil {
		return fmt.Errorf("chart: write %s: %w", path, err)
	}
	return nil
}

// draw draws the figure on dc and returns each panel's data area and
// legend rectangle, and whether each legend found a corner free of data.
func (f *Figure) draw(dc draw.Canvas) (data, legends []vg.Rectangle, free []bool) {
	dc.Max.Y -= plotkit.Margin
	dc.Max.X -= plotkit.Margin
	if f.Title != "" {
		font := plot.DefaultFont
		font.Size = vg.Points(12)
		sty := draw.TextStyle{Color: color.Black, Font: font, XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
		dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y}, f.Title)
		dc.Max.Y -= sty.Rectangle(f.Title).Size().Y + vg.Points(6)
	}
	row := make([]*plot.Plot, len(f.Panels))
	copy(row, f.Panels)
	canvases := plot.Align([][]*plot.Plot{row}, draw.Tiles{Rows: 1, Cols: len(row), PadX: vg.Points(10)}, dc)
	for i, p := range f.Panels {
		own := p.Legend
		p.Legend = plot.NewLegend()
		p.Draw(canvases[0][i])
		p.Legend = own
		dataC := p.DataCanvas(canvases[0][i])
		r, ok := plotkit.LegendInside(p, dataC, own, f.series[i]...)
		if !ok { // every corner covers a curve: the top-left one, then
			lr := own.Rectangle(draw.Canvas{})
			r = vg.Rectangle{Min: vg.Point{X: dataC.Min.X, Y: dataC.Max.Y - (lr.Max.Y - lr.Min.Y)}, Max: vg.Point{X: dataC.Min.X + plotkit.LegendWidth(own), Y: dataC.Max.Y}}
		}
		plotkit.DrawLegendAt(own, dc, r)
		data, legends, free = append(data, dataC.Rectangle), append(legends, r), append(free, ok)
	}
	return data, legends, free
}

// WriteCoverage draws coverage per round for the curves and writes a PNG
// or SVG, by the file's extension, to path. With pairs, curves 2i and 2i+1
// (a measurement and its theory) share a colour and a panel; otherwise all
// curves share one panel, each in its own colour.
func WriteCoverage(path, title string, curves []Curve, pairs bool) error {
	if err := plotkit.CheckExt(path); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	f, err := Coverage(title, curves, pairs)
	if err != nil {
		return err
	}
	return f.Save(path)
}
