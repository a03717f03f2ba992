package plotkit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgimg" // PNG
	_ "gonum.org/v1/plot/vg/vgsvg" // SVG
)

// Figure is a picture of several panels: a title, the panels side by side,
// and one legend in a strip beneath them, where it covers no data. Its
// fields are the plot model that [Figure.Save] draws, so that tests can
// read them.
type Figure struct {
	// Title states what the whole picture shows.
	Title string
	// Panels are drawn left to right.
	Panels []*plot.Plot
	// Series is the number of data series drawn in each panel (counted by
	// [Figure.Add]).
	Series []int
	// Widths are the panels' shares of the width. Nil means equal shares
	// with the panels' axes aligned (plot.Align).
	Widths []float64
	// Legend lists the legend's entries in the order shown.
	Legend []string
	// Width and Height are the size of the panels; the title and the legend
	// strip add their own height.
	Width, Height vg.Length

	legend plot.Legend
}

// NewFigure returns an empty figure of panels w wide and h high.
func NewFigure(title string, w, h vg.Length) *Figure {
	f := &Figure{Title: title, Width: w, Height: h, legend: plot.NewLegend()}
	f.legend.Left, f.legend.Top = true, true
	f.legend.Padding = vg.Points(3)
	f.legend.TextStyle.Font.Size = vg.Points(10)
	return f
}

// Panel adds a panel and returns its index.
func (f *Figure) Panel(p *plot.Plot) int {
	f.Panels = append(f.Panels, p)
	f.Series = append(f.Series, 0)
	return len(f.Panels) - 1
}

// Add draws one data series, made of one or more plotters, on panel i.
func (f *Figure) Add(i int, ps ...plot.Plotter) {
	f.Panels[i].Add(ps...)
	f.Series[i]++
}

// Entry adds a legend entry.
func (f *Figure) Entry(name string, thumbs ...plot.Thumbnailer) {
	f.legend.Add(name, thumbs...)
	f.Legend = append(f.Legend, name)
}

// Save writes the figure to path, as PNG or SVG by the extension.
func (f *Figure) Save(path string) error {
	if err := CheckExt(path); err != nil {
		return err
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
		return fmt.Errorf("chart %s: %w", path, err)
	}
	dc := draw.New(c)
	dc.SetColor(Palette[7])
	dc.FillText(titleStyle, vg.Point{X: f.Width / 2, Y: h - titleH + vg.Points(pad)}, f.Title)
	if stripH > 0 {
		strip := draw.Crop(dc, vg.Points(3*pad), 0, vg.Points(pad), -(h - stripH + vg.Points(pad)))
		f.legend.Draw(strip)
	}
	f.drawPanels(draw.Crop(dc, 0, 0, stripH, -titleH))
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	if _, err := c.WriteTo(out); err != nil {
		out.Close()
		return fmt.Errorf("chart %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	return nil
}

func (f *Figure) drawPanels(area draw.Canvas) {
	if len(f.Widths) != len(f.Panels) {
		tiles := draw.Tiles{Rows: 1, Cols: len(f.Panels), PadX: vg.Points(12), PadTop: vg.Points(4), PadBottom: vg.Points(4),
			PadLeft: vg.Points(4), PadRight: vg.Points(8)}
		canvases := plot.Align([][]*plot.Plot{f.Panels}, tiles, area)
		for i, p := range f.Panels {
			p.Draw(canvases[0][i])
		}
		return
	}
	var total float64
	for _, w := range f.Widths {
		total += w
	}
	x := area.Min.X
	for i, p := range f.Panels {
		w := vg.Length(f.Widths[i]/total) * (area.Max.X - area.Min.X)
		sub := area
		sub.Min.X, sub.Max.X = x+vg.Points(4), x+w-vg.Points(4)
		p.Draw(sub)
		x += w
	}
}
