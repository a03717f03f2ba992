package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/netlab-go/netlab/internal/plotkit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgimg" // PNG
	_ "gonum.org/v1/plot/vg/vgsvg" // SVG
)

// Figure is a picture: a title, panels side by side, and one legend in a
// strip beneath them, where it covers no data. Its fields are the plot
// model that [Figure.Save] draws; tests read them.
type Figure struct {
	// Title states what the whole picture shows.
	Title string
	// Panels are drawn left to right.
	Panels []*plot.Plot
	// Widths are the panels' shares of the width (equal when nil).
	Widths []float64
	// Legend lists the legend's entries in the order shown.
	Legend []string
	// Width and Height are the size of the panels; the title and the legend
	// strip add their own height.
	Width, Height vg.Length

	legend plot.Legend
}

func newFigure(title string, w, h vg.Length) *Figure {
	f := &Figure{Title: title, Width: w, Height: h, legend: plot.NewLegend()}
	f.legend.Left, f.legend.Top = true, true
	f.legend.Padding = vg.Points(3)
	f.legend.TextStyle.Font.Size = vg.Points(10)
	return f
}

// entry adds a legend entry.
func (f *Figure) entry(name string, thumbs ...plot.Thumbnailer) {
	f.legend.Add(name, thumbs...)
	f.Legend = append(f.Legend, name)
}

// Save writes the figure to path, as PNG or SVG by the extension.
func (f *Figure) Save(path string) error {
	if err := plotkit.CheckExt(path); err != nil {
		return fmt.Errorf("capture/chart: %w", err)
	}
	const pad = 8 // points around the legend and the title
	titleStyle := text.Style{Font: font.From(plot.DefaultFont, 14), Handler: plot.DefaultTextHandler, XAlign: draw.XCenter}
	titleH := titleStyle.Rectangle(f.Title).Size().Y + vg.Points(2*pad)
	probe := draw.NewCanvas(nil, f.Width, f.Height)
	stripH := f.legend.Rectangle(probe).Size().Y + vg.Points(2*pad)
	if len(f.Legend) == 0 {
		stripH = 0
	}
	h := f.Height + titleH + stripH
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	c, err := draw.NewFormattedCanvas(f.Width, h, format)
	if err != nil {
		return fmt.Errorf("capture/chart: %s: %w", path, err)
	}
	dc := draw.New(c)
	dc.SetColor(plotkit.Palette[7])
	dc.FillText(titleStyle, vg.Point{X: f.Width / 2, Y: h - titleH + vg.Points(pad)}, f.Title)
	if stripH > 0 {
		strip := draw.Crop(dc, vg.Points(3*pad), 0, vg.Points(pad), -(h - stripH + vg.Points(pad)))
		f.legend.Draw(strip)
	}
	area := draw.Crop(dc, 0, 0, stripH, -titleH)
	widths := f.Widths
	if len(widths) != len(f.Panels) {
		widths = make([]float64, len(f.Panels))
		for i := range widths {
			widths[i] = 1
		}
	}
	var total float64
	for _, w := range widths {
		total += w
	}
	x := area.Min.X
	for i, p := range f.Panels {
		w := vg.Length(widths[i]/total) * (area.Max.X - area.Min.X)
		sub := area
		sub.Min.X, sub.Max.X = x+vg.Points(4), x+w-vg.Points(4)
		p.Draw(sub)
		x += w
	}
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("capture/chart: %w", err)
	}
	if _, err := c.WriteTo(out); err != nil {
		out.Close()
		return fmt.Errorf("capture/chart: %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("capture/chart: %w", err)
	}
	return nil
}
