// Package chart draws capture's pictures with gonum/plot: the protocol
// histogram (frames per protocol) and the device graph. It is apart from
// package capture so that a program that only counts packets does not
// carry a plotting stack.
package chart

import (
	"fmt"
	"image/color"
	"math"

	"github.com/netlab-go/netlab/capture"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// SaveGraph renders a device graph to a PNG or SVG file (by the name's
// extension).
func SaveGraph(g *capture.DeviceGraph, path string, width, height vg.Length) error {
	return save(GraphPlot(g), path, width, height)
}

// GraphPlot is the device graph as a plot: nodes placed by the layout,
// edges as wide as their weight (log scale), labelled with their protocol.
func GraphPlot(g *capture.DeviceGraph) *plot.Plot {
	p := plot.New()
	title := "devices by MAC address"
	if g.Kind != capture.ConvEth {
		title = "devices by IP address"
	}
	unit := "frames"
	if g.ByBytes {
		unit = "bytes"
	}
	p.Title.Text = fmt.Sprintf("%s; edges: %s, labelled with the dominant protocol", title, unit)
	p.HideAxes()
	p.Add(graphPlotter{g})
	return p
}

type graphPlotter struct{ g *capture.DeviceGraph }

func (gp graphPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	g := gp.g
	trX, trY := plt.Transforms(&c)
	var maxW uint64 = 1
	for _, e := range g.Edges {
		maxW = max(maxW, e.Weight(g.ByBytes))
	}
	small := draw.TextStyle{Font: font.From(plot.DefaultFont, 8), Handler: plot.DefaultTextHandler, XAlign: draw.XCenter, YAlign: draw.YCenter}
	edgeText := small
	edgeText.Color = color.RGBA{R: 150, G: 40, B: 40, A: 255}
	for _, e := range g.Edges {
		a, b := g.Nodes[e.From], g.Nodes[e.To]
		pa := vg.Point{X: trX(a.X), Y: trY(a.Y)}
		pb := vg.Point{X: trX(b.X), Y: trY(b.Y)}
		frac := math.Log1p(float64(e.Weight(g.ByBytes))) / math.Log1p(float64(maxW))
		ls := draw.LineStyle{Color: color.RGBA{R: 70, G: 90, B: 160, A: 200}, Width: vg.Points(0.5 + 5*frac)}
		c.StrokeLine2(ls, pa.X, pa.Y, pb.X, pb.Y)
		c.FillText(edgeText, vg.Point{X: (pa.X + pb.X) / 2, Y: (pa.Y + pb.Y) / 2}, e.Protocol)
	}
	for _, n := range g.Nodes {
		pt := vg.Point{X: trX(n.X), Y: trY(n.Y)}
		c.FillPolygon(color.RGBA{R: 250, G: 200, B: 80, A: 255}, c.ClipPolygonXY(circle(pt, 5)))
		label := small
		label.YAlign = draw.YBottom
		c.FillText(label, vg.Point{X: pt.X, Y: pt.Y + 6}, n.Label)
	}
}

func circle(c vg.Point, r vg.Length) []vg.Point {
	pts := make([]vg.Point, 0, 16)
	for i := 0; i < 16; i++ {
		a := 2 * math.Pi * float64(i) / 16
		pts = append(pts, vg.Point{X: c.X + r*vg.Length(math.Cos(a)), Y: c.Y + r*vg.Length(math.Sin(a))})
	}
	return pts
}

// DataRange returns the extent of the layout, padded so labels fit.
func (gp graphPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	if len(gp.g.Nodes) == 0 {
		return -1, 1, -1, 1
	}
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, n := range gp.g.Nodes {
		xmin, xmax = min(xmin, n.X), max(xmax, n.X)
		ymin, ymax = min(ymin, n.Y), max(ymax, n.Y)
	}
	padX, padY := 0.15*(xmax-xmin)+0.5, 0.1*(ymax-ymin)+0.5
	return xmin - padX, xmax + padX, ymin - padY, ymax + padY
}

// SaveHistogram draws a bar chart of frames per protocol (the hierarchy's
// totals, at most topN bars, 0 for all) to a PNG or SVG file.
func SaveHistogram(path string, totals []capture.ProtocolCount, topN int, width, height vg.Length) error {
	p, err := HistogramPlot(totals, topN)
	if err != nil {
		return err
	}
	return save(p, path, width, height)
}

// HistogramPlot is the bar chart SaveHistogram draws.
func HistogramPlot(totals []capture.ProtocolCount, topN int) (*plot.Plot, error) {
	if topN > 0 && len(totals) > topN {
		totals = totals[:topN]
	}
	if len(totals) == 0 {
		return nil, fmt.Errorf("capture/chart: histogram of an empty capture")
	}
	values := make(plotter.Values, len(totals))
	names := make([]string, len(totals))
	for i, t := range totals {
		values[i] = float64(t.Frames)
		names[i] = t.Name
	}
	p := plot.New()
	p.Title.Text = "Frames per protocol"
	p.Y.Label.Text = "frames"
	bars, err := plotter.NewBarChart(values, vg.Points(max(4, 300/float64(len(values)))))
	if err != nil {
		return nil, fmt.Errorf("capture/chart: histogram: %w", err)
	}
	bars.Color = color.RGBA{R: 70, G: 110, B: 180, A: 255}
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	return p, nil
}

func save(p *plot.Plot, path string, width, height vg.Length) error {
	if err := p.Save(width, height, path); err != nil {
		return fmt.Errorf("capture/chart: %w", err)
	}
	return nil
}
