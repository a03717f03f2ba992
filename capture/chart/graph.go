package chart

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"github.com/netlab-go/netlab/capture"
	"github.com/netlab-go/netlab/internal/plotkit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// labelledLinks is how many of the heaviest links carry a text label.
const labelledLinks = 5

var (
	nodeFill  = color.NRGBA{0xD9, 0xD9, 0xD9, 0xFF}
	otherFill = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	ink       = color.NRGBA{0x33, 0x33, 0x33, 0xFF}
	noTraffic = color.NRGBA{0xF4, 0xF4, 0xF4, 0xFF}
)

// GraphFigure is the device picture: the node-link drawing of the top
// talkers, and beside it the conversation matrix (a heat map of the bytes
// between each pair, log colour scale) with its colour bar. Order is the
// matrix's row and column order, as indexes into [Devices.Nodes].
type GraphFigure struct {
	*Figure
	Devices *Devices
	Order   []int
}

// Graph draws d: on the left the nodes (area growing with bytes, the
// "other" node hollow and dashed-free white), links as wide as the log of
// their bytes, coloured by protocol, the heaviest labelled with protocol
// and volume, nodes pushed apart until no two discs or labels overlap; on
// the right the conversation matrix, ordered by [ClusterOrder] so that
// devices that talk to the same peers sit together.
func Graph(d *Devices) (*GraphFigure, error) {
	if len(d.Nodes) == 0 {
		return nil, fmt.Errorf("capture/chart: device graph of a capture with no conversations")
	}
	what := "MAC address"
	if d.Kind != capture.ConvEth {
		what = "IP address"
	}
	title := fmt.Sprintf("Who talked to whom: the %d busiest devices by %s", len(d.Nodes)-min(d.Folded, 1), what)
	if len(d.Nodes) == 1 {
		title = "Who talked to whom: one device (" + what + "), talking to itself"
	}
	if d.Folded > 0 {
		title += fmt.Sprintf(", %d more folded into %q", d.Folded, OtherLabel)
	}
	var notes []string
	if len(d.Nodes) > labelledNodes+1 {
		notes = append(notes, fmt.Sprintf("nodes: the %d busiest labelled", labelledNodes))
	}
	if every := matrixLabelEvery(len(d.Nodes)); every > 1 {
		notes = append(notes, fmt.Sprintf("matrix: every %s row labelled", ordinal(every)))
	}
	if len(notes) > 0 {
		title += " (" + strings.Join(notes, "; ") + ")"
	}
	f := newFigure(title, 1000, 520)
	gf := &GraphFigure{Figure: f, Devices: d}

	// Node-link panel.
	protoColor := map[string]color.Color{}
	var protos []string
	for _, l := range d.Links { // heaviest first: the big protocols get the first colours
		if _, ok := protoColor[l.Protocol]; !ok && l.From != l.To {
			protoColor[l.Protocol] = plotkit.Color(len(protos))
			protos = append(protos, l.Protocol)
		}
	}
	np := plot.New()
	np.Title.Text = "node-link: links wider for more bytes"
	np.HideAxes()
	np.Add(&nodeLink{d: d, colors: protoColor})
	f.Panel(np)

	// Conversation matrix.
	order := ClusterOrder(d)
	gf.Order = order
	mp, cmap, err := matrixPlot(d, order)
	if err != nil {
		return nil, err
	}
	f.Panel(mp)
	bar := plot.New()
	bar.Title.Text = "bytes"
	bar.Title.TextStyle.Font.Size = vg.Points(10)
	bar.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})
	bar.HideX()
	bar.Y.Tick.Marker = decadeTicks{}
	bar.Y.Label.Text = "bytes between the pair (log scale)"
	f.Panel(bar)
	f.Widths = []float64{0.52, 0.40, 0.08}

	// Legend: encodings of the node-link panel.
	var maxB uint64
	for _, n := range d.Nodes {
		maxB = max(maxB, n.Bytes)
	}
	f.Entry(fmt.Sprintf("device: disc area grows with its bytes (largest %s)", bytesLabel(maxB)), disc{fill: nodeFill, r: 6})
	if d.Folded > 0 {
		f.Entry(fmt.Sprintf("%s: the %d devices outside the top %d, with their links", OtherLabel, d.Folded, len(d.Nodes)-1), disc{fill: otherFill, r: 6})
	}
	for _, p := range protos[:min(len(protos), 6)] {
		f.Entry("link carrying mostly "+p+" (width: bytes; the heaviest labelled)", lineThumb{c: protoColor[p]})
	}
	f.Entry("matrix cell: bytes between row and column device, both directions; empty: none", cellThumb{})
	return gf, nil
}

func ordinal(n int) string {
	switch n {
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", n)
}

// SaveGraph draws d as [Graph] does to a PNG or SVG file, by the name's
// extension.
func SaveGraph(d *Devices, path string) error {
	gf, err := Graph(d)
	if err != nil {
		return err
	}
	return gf.Save(path)
}

// nodeRadius is the disc radius of a node: area proportional to bytes,
// between 4 and 16 points.
func nodeRadius(b, maxB uint64) vg.Length {
	if maxB == 0 {
		return 4
	}
	return vg.Points(4 + 12*math.Sqrt(float64(b)/float64(maxB)))
}

type nodeLink struct {
	d      *Devices
	colors map[string]color.Color
}

var smallText = draw.TextStyle{Color: ink, Font: font.From(plot.DefaultFont, 8), Handler: plot.DefaultTextHandler, XAlign: draw.XCenter, YAlign: draw.YTop}

// Plot places the nodes in the canvas, removes overlaps between their
// discs and labels, then draws links, link labels and nodes.
func (nl *nodeLink) Plot(c draw.Canvas, _ *plot.Plot) {
	d := nl.d
	pts, taken := placeBoxes(d, c)
	var maxL, maxN uint64 = 1, 1
	for _, l := range d.Links {
		maxL = max(maxL, l.Bytes)
	}
	for _, n := range d.Nodes {
		maxN = max(maxN, n.Bytes)
	}
	for i := len(d.Links) - 1; i >= 0; i-- { // lightest first, heaviest on top
		l := d.Links[i]
		if l.From == l.To {
			continue
		}
		ls := draw.LineStyle{Color: nl.colors[l.Protocol], Width: linkWidth(l.Bytes, maxL)}
		c.StrokeLine2(ls, pts[l.From].X, pts[l.From].Y, pts[l.To].X, pts[l.To].Y)
	}
	for i, n := range d.Nodes {
		r := nodeRadius(n.Bytes, maxN)
		fill := nodeFill
		if n.Other {
			fill = otherFill
		}
		c.FillPolygon(fill, circle(pts[i], r))
		c.StrokeLines(draw.LineStyle{Color: ink, Width: vg.Points(1)}, append(circle(pts[i], r), circle(pts[i], r)[0]))
		at := vg.Point{X: pts[i].X, Y: pts[i].Y - r - 1}
		if shown := nodeLabel(d, i); shown != "" {
			backed(c, smallText, at, shown)
		}
	}
	for _, l := range heaviestLinks(d) {
		sty := smallText
		sty.YAlign = draw.YCenter
		at, r := labelSpot(pts[l.From], pts[l.To], sty.Rectangle(linkLabel(l)).Size(), taken)
		taken = append(taken, r)
		backed(c, sty, at, linkLabel(l))
	}
}

// heaviestLinks returns the links that carry a label: the labelledLinks
// heaviest between two different nodes.
func heaviestLinks(d *Devices) []Link {
	var out []Link
	for _, l := range d.Links {
		if len(out) == labelledLinks {
			break
		}
		if l.From != l.To {
			out = append(out, l)
		}
	}
	return out
}

// labelledNodes is how many of the busiest nodes carry their address in
// the node-link drawing; with more, the rest are read off the matrix.
const labelledNodes = 25

// nodeLabel is the text under node i: its label if it is among the
// labelledNodes busiest or the "other" node, else nothing.
func nodeLabel(d *Devices, i int) string {
	if i < labelledNodes || d.Nodes[i].Other {
		return d.Nodes[i].Label
	}
	return ""
}

// matrixLabelEvery is the step between labelled rows of the matrix: every
// row up to 40 devices, then every k-th so that at most 40 are labelled.
func matrixLabelEvery(n int) int { return max(1, (n+39)/40) }

func linkLabel(l Link) string { return l.Protocol + " " + bytesLabel(l.Bytes) }

// linkWidth is a link's line width: proportional to its bytes, from 0.7
// to 6 points.
func linkWidth(b, maxB uint64) vg.Length {
	return vg.Points(0.7 + 5.3*float64(b)/float64(max(maxB, 1)))
}

// backed writes txt on a translucent white box, so that it stays legible
// over the links.
func backed(c draw.Canvas, sty draw.TextStyle, at vg.Point, txt string) {
	r := sty.Rectangle(txt)
	box := vg.Rectangle{Min: vg.Point{X: at.X + r.Min.X - 1, Y: at.Y + r.Min.Y - 1}, Max: vg.Point{X: at.X + r.Max.X + 1, Y: at.Y + r.Max.Y + 1}}
	c.FillPolygon(color.NRGBA{0xFF, 0xFF, 0xFF, 0xD8}, []vg.Point{box.Min, {X: box.Max.X, Y: box.Min.Y}, box.Max, {X: box.Min.X, Y: box.Max.Y}})
	c.FillText(sty, at, txt)
}

func withAlpha(c color.Color, a uint8) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = a
	return n
}

// DataRange is the unit square of the layout; Plot maps it to the canvas
// itself.
func (nl *nodeLink) DataRange() (xmin, xmax, ymin, ymax float64) { return 0, 1, 0, 1 }

func circle(c vg.Point, r vg.Length) []vg.Point {
	pts := make([]vg.Point, 0, 24)
	for i := range 24 {
		a := 2 * math.Pi * float64(i) / 24
		pts = append(pts, vg.Point{X: c.X + r*vg.Length(math.Cos(a)), Y: c.Y + r*vg.Length(math.Sin(a))})
	}
	return pts
}

type disc struct {
	fill color.Color
	r    vg.Length
}

func (t disc) Thumbnail(c *draw.Canvas) {
	ctr := vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2}
	c.FillPolygon(t.fill, circle(ctr, t.r))
	c.StrokeLines(draw.LineStyle{Color: ink, Width: vg.Points(1)}, append(circle(ctr, t.r), circle(ctr, t.r)[0]))
}

type lineThumb struct{ c color.Color }

func (t lineThumb) Thumbnail(c *draw.Canvas) {
	y := (c.Min.Y + c.Max.Y) / 2
	c.StrokeLine2(draw.LineStyle{Color: t.c, Width: vg.Points(3)}, c.Min.X, y, c.Max.X, y)
}

type cellThumb struct{}

func (cellThumb) Thumbnail(c *draw.Canvas) {
	cm := bytesColorMap(1, 1e6)
	w := (c.Max.X - c.Min.X) / 4
	for i := range 4 {
		col, _ := cm.At(float64(i) * 2)
		x := c.Min.X + vg.Length(i)*w
		c.FillPolygon(col, []vg.Point{{X: x, Y: c.Min.Y}, {X: x + w, Y: c.Min.Y}, {X: x + w, Y: c.Max.Y}, {X: x, Y: c.Max.Y}})
	}
}
