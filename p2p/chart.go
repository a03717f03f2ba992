package p2p

import (
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"net/netip"
	"sort"

	"gonum.org/v1/gonum/graph/layout"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// DegreeDistribution returns the distinct degrees (at least 1) and the
// fraction of nodes that have each, P(k).
func DegreeDistribution(degrees []int) (ks []int, pk []float64) {
	count := map[int]int{}
	for _, d := range degrees {
		if d > 0 {
			count[d]++
		}
	}
	for k := range count {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	for _, k := range ks {
		pk = append(pk, float64(count[k])/float64(len(degrees)))
	}
	return ks, pk
}

// WriteDegreePlot draws P(k) against k on log-log axes, with the power law
// k^−α fitted by PowerLawMLE over degrees at or above kmin, and saves it as a
// PNG (or SVG, by the file extension). It returns α (NaN when too few degrees
// qualify, in which case no line is drawn).
func WriteDegreePlot(path string, degrees []int, kmin int) (float64, error) {
	ks, pk := DegreeDistribution(degrees)
	if len(ks) == 0 {
		return math.NaN(), fmt.Errorf("p2p: degree plot: no node has a neighbour")
	}
	alpha, n := PowerLawMLE(degrees, kmin)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Degree distribution of %d peers", len(degrees))
	p.X.Label.Text = "degree k"
	p.Y.Label.Text = "P(k)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	xys := make(plotter.XYs, len(ks))
	for i := range ks {
		xys[i] = plotter.XY{X: float64(ks[i]), Y: pk[i]}
	}
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return alpha, err
	}
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	sc.GlyphStyle.Color = color.RGBA{R: 30, G: 90, B: 200, A: 255}
	p.Add(sc, plotter.NewGrid())
	p.Legend.Add("measured", sc)
	if !math.IsNaN(alpha) {
		// Scale the line so that it carries the fraction of nodes fitted.
		kmin = max(kmin, 1)
		frac := float64(n) / float64(len(degrees))
		c := frac * (alpha - 1) * math.Pow(float64(kmin)-0.5, alpha-1)
		fit := plotter.NewFunction(func(k float64) float64 { return c * math.Pow(k, -alpha) })
		fit.XMin, fit.XMax = float64(kmin), float64(ks[len(ks)-1])
		fit.Samples = 100
		fit.Color = color.RGBA{R: 200, G: 40, B: 40, A: 255}
		fit.Width = vg.Points(1.5)
		p.Add(fit)
		p.Legend.Add(fmt.Sprintf("MLE fit k^-%.2f (k ≥ %d, n=%d)", alpha, kmin, n), fit)
	}
	p.Legend.Top = true
	return alpha, p.Save(16*vg.Centimeter, 12*vg.Centimeter, path)
}

// WriteGraphPNG draws the overlay with a force-directed layout (Eades, with
// gonum's Barnes–Hut approximation) and saves it as a PNG (or SVG, by the
// extension). Node size grows with degree, so hubs stand out. seed makes the
// layout reproducible.
func (o Overlay) WriteGraphPNG(path string, seed uint64) error {
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
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Overlay: %d peers, %d links", len(o.Nodes), len(o.Edges))
	p.HideAxes()
	p.Add(graphPlotter{o: o, at: func(i int) (float64, float64) {
		v := opt.Coord2(int64(i))
		return v.X, v.Y
	}})
	return p.Save(20*vg.Centimeter, 20*vg.Centimeter, path)
}

// graphPlotter draws edges as lines and nodes as discs sized by degree.
type graphPlotter struct {
	o  Overlay
	at func(i int) (x, y float64)
}

func (gp graphPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	idx := map[netip.AddrPort]int{}
	for i, n := range gp.o.Nodes {
		idx[n] = i
	}
	edge := draw.LineStyle{Color: color.Gray{Y: 150}, Width: vg.Points(0.5)}
	for _, e := range gp.o.Edges {
		x0, y0 := gp.at(idx[e[0]])
		x1, y1 := gp.at(idx[e[1]])
		c.StrokeLine2(edge, trX(x0), trY(y0), trX(x1), trY(y1))
	}
	deg := gp.o.Degrees()
	for i := range gp.o.Nodes {
		x, y := gp.at(i)
		r := vg.Points(2 + 1.2*math.Sqrt(float64(deg[i])))
		c.DrawGlyph(draw.GlyphStyle{Color: color.RGBA{R: 30, G: 90, B: 200, A: 255}, Radius: r,
			Shape: draw.CircleGlyph{}}, vg.Point{X: trX(x), Y: trY(y)})
	}
}

func (gp graphPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range gp.o.Nodes {
		x, y := gp.at(i)
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
	}
	if len(gp.o.Nodes) == 0 {
		return 0, 1, 0, 1
	}
	return xmin, xmax, ymin, ymax
}
