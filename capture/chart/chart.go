// Package chart draws capture's pictures with gonum/plot, on the shared
// rules of every netlab chart (internal/plotkit: Okabe–Ito colours, whole-
// number ticks on counts, SI prefixes on bytes, PNG or SVG by the file
// name's extension):
//
//   - [Graph]: who talked to whom, the top talkers by bytes with the rest
//     folded into one "other" node ([TopTalkers]), as a node-link drawing
//     beside the conversation matrix, which stays readable when every
//     device talks to every other; [WriteDOT] writes the same to Graphviz.
//   - [Hierarchy]: the protocol hierarchy as indented bars, each protocol
//     under the one that carried it, with frames and bytes.
//   - [Lengths]: the distribution of frame lengths from
//     [capture.Analyzer.FrameLengths], whose two peaks (short
//     acknowledgements and control frames, full-size data frames) are the
//     shape of real traffic.
//
// It is apart from package capture so that a program that only counts
// packets does not carry a plotting stack.
package chart

import (
	"fmt"
	"math"

	"github.com/netlab-go/netlab/capture"
	"github.com/netlab-go/netlab/internal/plotkit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// HierarchyRow is one bar of [Hierarchy]: a row of the protocol hierarchy
// at its depth below the link layer (0 for eth).
type HierarchyRow struct {
	Name          string
	Depth         int
	Frames, Bytes uint64
}

// HierarchyFigure is the protocol hierarchy chart and the rows it shows,
// top to bottom, each parent before its children.
type HierarchyFigure struct {
	*Figure
	Rows []HierarchyRow
	// Hidden is the number of rows left out (beyond maxRows).
	Hidden int
}

// Hierarchy draws h as indented horizontal bars: one bar per row of the
// tree in depth-first order, every protocol indented under the protocol
// that carried it, bar length its frames, its bytes and share of all frames
// written beside it. At most maxRows rows are drawn (0: 40), the rest
// counted in the title.
func Hierarchy(h *capture.Hierarchy, maxRows int) (*HierarchyFigure, error) {
	if maxRows <= 0 {
		maxRows = 40
	}
	root := h.Root()
	if root.Frames == 0 {
		return nil, fmt.Errorf("capture/chart: protocol hierarchy of an empty capture")
	}
	hf := &HierarchyFigure{}
	var walk func(n *capture.Node, depth int)
	walk = func(n *capture.Node, depth int) {
		for _, c := range n.Children {
			if len(hf.Rows) == maxRows {
				hf.Hidden++
			} else {
				hf.Rows = append(hf.Rows, HierarchyRow{Name: c.Name, Depth: depth, Frames: c.Frames, Bytes: c.Bytes})
			}
			walk(c, depth+1)
		}
	}
	walk(root, 0)
	title := fmt.Sprintf("Protocol hierarchy of %s frames, %s", plotkit.Thousands(int64(root.Frames)), bytesLabel(root.Bytes))
	if hf.Hidden > 0 {
		title += fmt.Sprintf(" (%d more rows not shown)", hf.Hidden)
	}
	rowH := vg.Points(15)
	f := newFigure(title, 760, max(vg.Points(160), rowH*vg.Length(len(hf.Rows))+vg.Points(60)))
	hf.Figure = f
	p := plot.New()
	p.X.Label.Text = "frames"
	p.X.Tick.Marker = nonNegative{plotkit.CountTicks{}}
	p.HideY()
	p.X.LineStyle.Width = 0 // the bars draw their own baseline, from 0 only
	p.Add(&treeBars{rows: hf.Rows, total: root.Frames})
	f.Panel(p)
	f.Entry("bar: frames in which the protocol appears (length); indent: carried by the row above it", barThumb{})
	f.Entry("text: frames, bytes on the wire, share of all frames", textThumb{})
	return hf, nil
}

// nonNegative keeps the ticks of the bar region only (the label column
// sits at negative x).
type nonNegative struct{ plot.Ticker }

func (n nonNegative) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range n.Ticker.Ticks(0, max) {
		if t.Value >= 0 {
			out = append(out, t)
		}
	}
	return out
}

type textThumb struct{}

func (textThumb) Thumbnail(c *draw.Canvas) {
	sty := draw.TextStyle{Color: ink, Font: font.From(plot.DefaultFont, 9), Handler: plot.DefaultTextHandler, XAlign: draw.XCenter, YAlign: draw.YCenter}
	c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2}, "12k")
}

// treeBars draws the rows: names in a column at the left, indented by
// depth, bars from x = 0, the numbers right of each bar.
type treeBars struct {
	rows  []HierarchyRow
	total uint64
}

// labelShare and textShare are the parts of the x range left of the bars
// (names) and right of the longest bar (numbers), as fractions of it.
const labelShare, textShare = 0.45, 0.5

func (t *treeBars) maxFrames() float64 {
	var m uint64 = 1
	for _, r := range t.rows {
		m = max(m, r.Frames)
	}
	return float64(m)
}

func (t *treeBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	m := t.maxFrames()
	return -labelShare * m, (1 + textShare) * m, -0.5, float64(len(t.rows)) - 0.5
}

func (t *treeBars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	name := draw.TextStyle{Color: ink, Font: font.From(plot.DefaultFont, 10), Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YCenter}
	num := name
	num.Font = font.From(plot.DefaultFont, 8)
	guide := draw.LineStyle{Color: withAlpha(ink, 0x50), Width: vg.Points(0.5)}
	x0 := trX(-labelShare * t.maxFrames())
	barH := (trY(0) - trY(1)) * 0.7
	if barH < 0 {
		barH = -barH
	}
	c.StrokeLine2(draw.LineStyle{Color: ink, Width: vg.Points(0.5)}, trX(0), c.Min.Y, c.Max.X, c.Min.Y)
	n := len(t.rows)
	for i, r := range t.rows {
		y := trY(float64(n - 1 - i))
		indent := x0 + vg.Points(4+12*float64(r.Depth))
		if r.Depth > 0 {
			c.StrokeLine2(guide, indent-vg.Points(8), y, indent-vg.Points(2), y)
			// The elbow up to the parent.
			for j := i - 1; j >= 0; j-- {
				if t.rows[j].Depth == r.Depth-1 {
					py := trY(float64(n - 1 - j))
					c.StrokeLine2(guide, indent-vg.Points(8), y, indent-vg.Points(8), py-barH/2)
					break
				}
			}
		}
		c.FillText(name, vg.Point{X: indent, Y: y}, r.Name)
		xa, xb := trX(0), trX(float64(r.Frames))
		col := plotkit.Color(0)
		c.FillPolygon(col, []vg.Point{{X: xa, Y: y - barH/2}, {X: xb, Y: y - barH/2}, {X: xb, Y: y + barH/2}, {X: xa, Y: y + barH/2}})
		share := 100 * float64(r.Frames) / float64(t.total)
		c.FillText(num, vg.Point{X: xb + vg.Points(3), Y: y},
			fmt.Sprintf("%s fr, %s, %.1f%%", plotkit.Thousands(int64(r.Frames)), bytesLabel(r.Bytes), share))
	}
}

// SaveHierarchy draws [Hierarchy] to a PNG or SVG file, by the extension.
func SaveHierarchy(h *capture.Hierarchy, maxRows int, path string) error {
	f, err := Hierarchy(h, maxRows)
	if err != nil {
		return err
	}
	return f.Save(path)
}

// LengthsFigure is the frame-length histogram and its bins.
type LengthsFigure struct {
	*Figure
	Bins []plotter.HistogramBin
	// LogX is true when the bins are log-spaced on a log axis (captures
	// with frames longer than 2,048 bytes); otherwise they are 64 bytes wide.
	LogX bool
}

// Lengths draws the frame-length distribution counted by
// [capture.Analyzer.FrameLengths]. When no frame is longer than 2,048
// bytes the bins are 64 bytes wide on a linear axis, which shows both
// peaks of Ethernet traffic (short frames below 128 bytes, full ones at
// the 1,514-byte MTU); longer frames (jumbo, or TSO segments on loopback)
// get four log-spaced bins per doubling on a log axis.
func Lengths(bins []capture.LengthBin) (*LengthsFigure, error) {
	if len(bins) == 0 {
		return nil, fmt.Errorf("capture/chart: frame lengths of an empty capture")
	}
	var total, longest uint64
	for _, b := range bins {
		total += b.Frames
		longest = max(longest, b.Lo+capture.LengthBinWidth)
	}
	lf := &LengthsFigure{LogX: longest > 2048}
	var edges []float64
	if lf.LogX {
		for e := 16.0; ; e *= math.Pow(2, 0.25) {
			edge := math.Round(e/capture.LengthBinWidth) * capture.LengthBinWidth
			if len(edges) == 0 || edge > edges[len(edges)-1] {
				edges = append(edges, edge)
			}
			if edge >= float64(longest) {
				break
			}
		}
	} else {
		for e := 0.0; e < float64(longest)+64; e += 64 {
			edges = append(edges, e)
		}
	}
	hb := make([]plotter.HistogramBin, len(edges)-1)
	for i := range hb {
		hb[i] = plotter.HistogramBin{Min: edges[i], Max: edges[i+1]}
	}
	for _, b := range bins {
		v := float64(b.Lo)
		i := 0
		for i < len(hb)-1 && v >= hb[i].Max {
			i++
		}
		hb[i].Weight += float64(b.Frames)
	}
	lf.Bins = hb
	binning := "64-byte bins"
	if lf.LogX {
		binning = "log-spaced bins, 4 per doubling"
	}
	f := newFigure(fmt.Sprintf("Frame lengths of %s frames (%s)", plotkit.Thousands(int64(total)), binning), 640, 360)
	lf.Figure = f
	p := plot.New()
	p.X.Label.Text = "frame length (bytes)"
	p.Y.Label.Text = "frames"
	p.Y.Tick.Marker = plotkit.CountTicks{}
	if lf.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plotkit.LogTicks{}
	} else {
		p.X.Tick.Marker = plotkit.CountTicks{}
	}
	h := &plotter.Histogram{Bins: hb, FillColor: plotkit.Color(0), LineStyle: draw.LineStyle{Color: ink, Width: vg.Points(0.5)}}
	p.Add(h)
	p.Y.Min = 0
	f.Panel(p)
	return lf, nil
}

// SaveLengths draws [Lengths] to a PNG or SVG file, by the extension.
func SaveLengths(bins []capture.LengthBin, path string) error {
	f, err := Lengths(bins)
	if err != nil {
		return err
	}
	return f.Save(path)
}

type barThumb struct{}

func (barThumb) Thumbnail(c *draw.Canvas) {
	y0, y1 := c.Min.Y+(c.Max.Y-c.Min.Y)*0.15, c.Max.Y-(c.Max.Y-c.Min.Y)*0.15
	c.FillPolygon(plotkit.Color(0), []vg.Point{{X: c.Min.X, Y: y0}, {X: c.Max.X, Y: y0}, {X: c.Max.X, Y: y1}, {X: c.Min.X, Y: y1}})
}
