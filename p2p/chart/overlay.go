package chart

import (
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"

	"github.com/netlab-go/netlab/internal/plotkit"
	"github.com/netlab-go/netlab/p2p"
	"gonum.org/v1/gonum/graph/layout"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Colours of the overlay drawing.
var (
	peerColour   = plotkit.Color(0)   // blue
	hubColour    = plotkit.Color(1)   // vermillion
	markedColour = plotkit.Palette[7] // black
	linkColour   = color.Gray{Y: 150}
)

// HubShare is the share of peers, highest degree first, that the overlay
// drawing colours as hubs.
const HubShare = 0.05

// Overlay draws the overlay with a force-directed layout (Eades, with
// gonum's Barnes–Hut approximation). A disc's area grows with the peer's
// degree, the highest-degree [HubShare] of peers are coloured as hubs, and the
// peers in marked (for example those a simulation kills later) are ringed;
// the legend says so. seed makes the layout reproducible.
func Overlay(o p2p.Overlay, seed uint64, marked []netip.AddrPort, markedLabel string) (*Figure, error) {
	if len(o.Nodes) == 0 {
		return nil, fmt.Errorf("p2p/chart: overlay: no peers")
	}
	g := simple.NewUndirectedGraph()
	id := map[netip.AddrPort]int64{}
	for i, n := range o.Nodes {
		id[n] = int64(i)
		g.AddNode(simple.Node(i))
	}
	for _, e := range o.Edges {
		g.SetEdge(g.NewEdge(simple.Node(id[e[0]]), simple.Node(id[e[1]])))
	}
	// Weak repulsion and a small step over many updates keep the layout from
	// flinging hubs' leaves to the edges; tuned by eye on 100-500 peers.
	eades := layout.EadesR2{Repulsion: 0.1, Rate: 0.005, Updates: 500, Theta: 0.2,
		Src: rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)}
	opt := layout.NewOptimizerR2(g, eades.Update)
	for opt.Update() {
	}

	deg := o.Degrees()
	sorted := slices.Sorted(slices.Values(deg))
	hubs := max(1, int(math.Ceil(HubShare*float64(len(deg)))))
	hubMin := sorted[len(sorted)-hubs]
	gp := graphPlotter{o: o, deg: deg, hubMin: hubMin, marked: map[netip.AddrPort]bool{},
		at: func(i int) (float64, float64) {
			v := opt.Coord2(int64(i))
			return v.X, v.Y
		}}
	for _, m := range marked {
		gp.marked[m] = true
	}

	f := newFigure(fmt.Sprintf("Overlay of %d peers and %d links (force-directed layout)", len(o.Nodes), len(o.Edges)),
		20*vg.Centimeter, 18*vg.Centimeter)
	p := plot.New()
	p.HideAxes()
	i := f.Panel(p)
	f.Add(i, gp)

	f.Entry("link between two neighbours", thumb{line: &draw.LineStyle{Color: linkColour, Width: vg.Points(0.6)}})
	for _, d := range legendDegrees(sorted) {
		f.Entry(fmt.Sprintf("peer of degree %d (disc area grows with degree)", d), thumb{glyph: &draw.GlyphStyle{
			Color: peerColour, Radius: discRadius(d), Shape: draw.CircleGlyph{}}})
	}
	f.Entry(fmt.Sprintf("hub: the %d highest-degree peers (%.0f%%, degree ≥ %d)", countAtLeast(deg, hubMin), 100*HubShare, hubMin),
		thumb{glyph: &draw.GlyphStyle{Color: hubColour, Radius: discRadius(hubMin), Shape: draw.CircleGlyph{}}})
	if len(marked) > 0 {
		f.Entry(fmt.Sprintf("ringed: %s (%d peers)", markedLabel, len(marked)),
			thumb{glyph: &draw.GlyphStyle{Color: markedColour, Radius: discRadius(sorted[0]) + vg.Points(2.5),
				Shape: ring{vg.Points(1.8)}}})
	}
	return f, nil
}

// legendDegrees picks up to three degrees that show the size scale: the
// smallest, the geometric middle and the largest.
func legendDegrees(sorted []int) []int {
	lo, hi := max(sorted[0], 1), max(sorted[len(sorted)-1], 1)
	mid := int(math.Round(math.Sqrt(float64(lo * hi))))
	var out []int
	for _, d := range []int{sorted[0], mid, sorted[len(sorted)-1]} {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

func countAtLeast(deg []int, k int) int {
	n := 0
	for _, d := range deg {
		if d >= k {
			n++
		}
	}
	return n
}

// discRadius makes a disc's area grow linearly with degree.
func discRadius(degree int) vg.Length {
	return vg.Points(2 + 1.2*math.Sqrt(float64(degree)))
}

// graphPlotter draws edges as lines and nodes as discs sized by degree.
type graphPlotter struct {
	o      p2p.Overlay
	deg    []int
	hubMin int
	marked map[netip.AddrPort]bool
	at     func(i int) (x, y float64)
}

// Plot implements [plot.Plotter].
func (gp graphPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	idx := map[netip.AddrPort]int{}
	for i, n := range gp.o.Nodes {
		idx[n] = i
	}
	edge := draw.LineStyle{Color: linkColour, Width: vg.Points(0.6)}
	for _, e := range gp.o.Edges {
		x0, y0 := gp.at(idx[e[0]])
		x1, y1 := gp.at(idx[e[1]])
		c.StrokeLine2(edge, trX(x0), trY(y0), trX(x1), trY(y1))
	}
	for i, n := range gp.o.Nodes {
		x, y := gp.at(i)
		pt := vg.Point{X: trX(x), Y: trY(y)}
		col := peerColour
		if gp.deg[i] >= gp.hubMin {
			col = hubColour
		}
		r := discRadius(gp.deg[i])
		c.DrawGlyph(draw.GlyphStyle{Color: col, Radius: r, Shape: draw.CircleGlyph{}}, pt)
		if gp.marked[n] {
			c.DrawGlyph(draw.GlyphStyle{Color: markedColour, Radius: r + vg.Points(2.5), Shape: ring{vg.Points(1.8)}}, pt)
		}
	}
}

// DataRange implements [plot.DataRanger].
func (gp graphPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range gp.o.Nodes {
		x, y := gp.at(i)
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
	}
	return xmin, xmax, ymin, ymax
}

// GlyphBoxes implements [plot.GlyphBoxer], so that the largest discs are
// not clipped at the edges.
func (gp graphPlotter) GlyphBoxes(plt *plot.Plot) []plot.GlyphBox {
	boxes := make([]plot.GlyphBox, len(gp.o.Nodes))
	for i := range gp.o.Nodes {
		x, y := gp.at(i)
		r := discRadius(gp.deg[i]) + vg.Points(2)
		boxes[i] = plot.GlyphBox{X: plt.X.Norm(x), Y: plt.Y.Norm(y),
			Rectangle: vg.Rectangle{Min: vg.Point{X: -r, Y: -r}, Max: vg.Point{X: r, Y: r}}}
	}
	return boxes
}

// thumb is a legend icon: a line or a glyph.
type thumb struct {
	line  *draw.LineStyle
	glyph *draw.GlyphStyle
}

// Thumbnail implements [plot.Thumbnailer].
func (t thumb) Thumbnail(c *draw.Canvas) {
	if t.line != nil {
		y := c.Center().Y
		c.StrokeLine2(*t.line, c.Min.X, y, c.Max.X, y)
	}
	if t.glyph != nil {
		c.DrawGlyph(*t.glyph, c.Center())
	}
}

// ring is a circle outline of a given line width; gonum's RingGlyph is
// fixed at half a point, too thin to see over a disc.
type ring struct{ width vg.Length }

// DrawGlyph implements [draw.GlyphDrawer].
func (g ring) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: g.width})
	var p vg.Path
	p.Move(vg.Point{X: pt.X + sty.Radius, Y: pt.Y})
	p.Arc(pt, sty.Radius, 0, 2*math.Pi)
	p.Close()
	c.Stroke(p)
}
