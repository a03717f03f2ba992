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
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
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

// place maps the layout into the canvas and pushes apart nodes whose
// boxes (disc plus label beneath) overlap, keeping them inside the canvas.
func place(d *Devices, c draw.Canvas) []vg.Point {
	pts, _ := placeBoxes(d, c)
	return pts
}

// placeBoxes is place, also returning each node's box (disc and label).
func placeBoxes(d *Devices, c draw.Canvas) ([]vg.Point, []vg.Rectangle) {
	var maxN uint64 = 1
	for _, n := range d.Nodes {
		maxN = max(maxN, n.Bytes)
	}
	type box struct{ w, up, down vg.Length } // half width; extent above and below the centre
	boxes := make([]box, len(d.Nodes))
	var margin vg.Length
	for i, n := range d.Nodes {
		r := nodeRadius(n.Bytes, maxN)
		lw := smallText.Rectangle(nodeLabel(d, i)).Size()
		boxes[i] = box{w: max(r, lw.X/2) + 3, up: r + 2, down: r + 2 + lw.Y}
		margin = max(margin, boxes[i].w)
	}
	labelled := heaviestLinks(d)
	linkLabelW := make([]vg.Length, len(labelled))
	for k, l := range labelled {
		linkLabelW[k] = smallText.Rectangle(linkLabel(l)).Size().X
	}
	minX, maxX := c.Min.X+margin, c.Max.X-margin
	minY, maxY := c.Min.Y+vg.Points(24), c.Max.Y-vg.Points(20)
	pts := make([]vg.Point, len(d.Nodes))
	for i, n := range d.Nodes {
		pts[i] = vg.Point{X: minX + vg.Length(n.X)*(maxX-minX), Y: minY + vg.Length(n.Y)*(maxY-minY)}
	}
	// Spread the layout to fill the canvas first.
	if len(pts) > 1 {
		lo, hi := pts[0], pts[0]
		for _, p := range pts {
			lo.X, lo.Y, hi.X, hi.Y = min(lo.X, p.X), min(lo.Y, p.Y), max(hi.X, p.X), max(hi.Y, p.Y)
		}
		for i := range pts {
			if hi.X > lo.X {
				pts[i].X = minX + (pts[i].X-lo.X)/(hi.X-lo.X)*(maxX-minX)
			}
			if hi.Y > lo.Y {
				pts[i].Y = minY + (pts[i].Y-lo.Y)/(hi.Y-lo.Y)*(maxY-minY)
			}
		}
	}
	for range 500 {
		moved := false
		for i := range pts {
			for j := i + 1; j < len(pts); j++ {
				ox := boxes[i].w + boxes[j].w - abs(pts[i].X-pts[j].X)
				// Vertical extents: i's box is [y-down, y+up].
				var oy vg.Length
				if pts[i].Y >= pts[j].Y {
					oy = (pts[j].Y + boxes[j].up) - (pts[i].Y - boxes[i].down)
				} else {
					oy = (pts[i].Y + boxes[i].up) - (pts[j].Y - boxes[j].down)
				}
				if ox <= 0 || oy <= 0 {
					continue
				}
				moved = true
				if ox < oy {
					s := sign(pts[i].X-pts[j].X, i, j) * (ox/2 + 0.5)
					pts[i].X += s
					pts[j].X -= s
				} else {
					s := sign(pts[i].Y-pts[j].Y, i, j) * (oy/2 + 0.5)
					pts[i].Y += s
					pts[j].Y -= s
				}
			}
		}
		// A labelled link must be long enough for its label between the
		// two nodes' boxes.
		for k, l := range labelled {
			a, b := l.From, l.To
			ex, ey := pts[a].X-pts[b].X, pts[a].Y-pts[b].Y
			dist := vg.Length(math.Hypot(float64(ex), float64(ey)))
			need := boxes[a].w + boxes[b].w + linkLabelW[k] + 6
			if dist >= need {
				continue
			}
			moved = true
			if dist < 1e-3 {
				ex, ey, dist = 1, 0, 1
			}
			push := (need - dist) / 2
			pts[a].X += ex / dist * push
			pts[a].Y += ey / dist * push
			pts[b].X -= ex / dist * push
			pts[b].Y -= ey / dist * push
		}
		for i := range pts {
			pts[i].X = min(max(pts[i].X, c.Min.X+boxes[i].w), c.Max.X-boxes[i].w)
			pts[i].Y = min(max(pts[i].Y, c.Min.Y+boxes[i].down), c.Max.Y-boxes[i].up)
		}
		if !moved {
			break
		}
	}
	rects := make([]vg.Rectangle, len(pts))
	for i, p := range pts {
		rects[i] = vg.Rectangle{Min: vg.Point{X: p.X - boxes[i].w, Y: p.Y - boxes[i].down}, Max: vg.Point{X: p.X + boxes[i].w, Y: p.Y + boxes[i].up}}
	}
	return pts, rects
}

func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

// labelSpot finds where along a link its label covers no node and no
// label placed before: the middle if free, else the first free point
// stepping out from it; the middle if none is.
func labelSpot(a, b vg.Point, size vg.Point, taken []vg.Rectangle) (vg.Point, vg.Rectangle) {
	var first vg.Point
	var firstR vg.Rectangle
	for k, t := range []float64{0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8} {
		at := vg.Point{X: a.X + vg.Length(t)*(b.X-a.X), Y: a.Y + vg.Length(t)*(b.Y-a.Y)}
		r := vg.Rectangle{Min: vg.Point{X: at.X - size.X/2 - 1, Y: at.Y - size.Y/2 - 1}, Max: vg.Point{X: at.X + size.X/2 + 1, Y: at.Y + size.Y/2 + 1}}
		if k == 0 {
			first, firstR = at, r
		}
		free := true
		for _, o := range taken {
			if overlaps(r, o) {
				free = false
				break
			}
		}
		if free {
			return at, r
		}
	}
	return first, firstR
}

func abs(v vg.Length) vg.Length {
	if v < 0 {
		return -v
	}
	return v
}

// sign is the direction to push i away from j; a tie goes by index.
func sign(delta vg.Length, i, j int) vg.Length {
	switch {
	case delta > 0:
		return 1
	case delta < 0:
		return -1
	case i < j:
		return -1
	}
	return 1
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

// bytesColorMap maps log10(bytes) to a colour: black-body reversed, light
// for little traffic and dark for much, its lightness falling steadily so
// that it reads the same to colour-blind readers and in greyscale.
func bytesColorMap(lo, hi float64) palette.ColorMap {
	cm := palette.Reverse(moreland.BlackBody())
	// The scale starts a little below the decade under the smallest value,
	// so that no cell gets the near-white end, which is for "no traffic".
	floor := math.Floor(math.Log10(max(lo, 1)))
	cm.SetMin(floor - 0.3)
	cm.SetMax(math.Max(math.Ceil(math.Log10(max(hi, 1))), floor+1))
	return cm
}

// decadeTicks labels a log10 axis with the bytes at each whole decade.
type decadeTicks struct{}

func (decadeTicks) Ticks(min, max float64) []plot.Tick {
	few := max-min <= 2
	var ticks []plot.Tick
	for e := math.Ceil(min); e <= max+1e-9; e++ {
		ticks = append(ticks, plot.Tick{Value: e, Label: bytesLabel(uint64(math.Pow(10, e)))})
		for m := 2.0; m < 10; m++ {
			if v := e + math.Log10(m); v <= max {
				t := plot.Tick{Value: v}
				if few && (m == 2 || m == 5) { // at least three values to read
					t.Label = bytesLabel(uint64(m * math.Pow(10, e)))
				}
				ticks = append(ticks, t)
			}
		}
	}
	return ticks
}

// matrix is the conversation matrix as a heat-map grid, rows and columns
// in order, row 0 at the top.
type matrix struct {
	z     [][]float64
	order []int
}

func (m matrix) Dims() (c, r int)   { return len(m.order), len(m.order) }
func (m matrix) Z(c, r int) float64 { return m.z[m.order[len(m.order)-1-r]][m.order[c]] }
func (m matrix) X(c int) float64    { return float64(c) }
func (m matrix) Y(r int) float64    { return float64(r) }

func matrixPlot(d *Devices, order []int) (*plot.Plot, palette.ColorMap, error) {
	n := len(d.Nodes)
	z := make([][]float64, n)
	for i := range z {
		z[i] = make([]float64, n)
		for j := range z[i] {
			z[i][j] = math.NaN()
		}
	}
	lo, hi := math.Inf(1), 0.0
	for _, l := range d.Links {
		v := math.Log10(float64(max(l.Bytes, 1)))
		z[l.From][l.To], z[l.To][l.From] = v, v
		lo, hi = math.Min(lo, float64(max(l.Bytes, 1))), math.Max(hi, float64(l.Bytes))
	}
	if math.IsInf(lo, 1) {
		lo, hi = 1, 10
	}
	cm := bytesColorMap(lo, hi)
	hm := plotter.NewHeatMap(matrix{z: z, order: order}, cm.Palette(64))
	hm.Min, hm.Max = cm.Min(), cm.Max()
	hm.NaN = noTraffic
	p := plot.New()
	p.Title.Text = "conversation matrix (clustered order)"
	p.Add(hm)
	names := make([]string, n)
	rows := make([]string, n)
	every := matrixLabelEvery(n)
	for i, o := range order {
		// The last row ("other") keeps its label; a regular one too close
		// to it gives way.
		if d.Nodes[o].Other || (i%every == 0 && (every == 1 || i < n-every)) {
			names[i] = shortLabel(d.Nodes[o].Label)
		}
		rows[n-1-i] = names[i]
	}
	p.NominalX(names...)
	p.NominalY(rows...)
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.X.Tick.Label.Font.Size = vg.Points(8)
	p.Y.Tick.Label.Font.Size = vg.Points(8)
	p.X.Label.Text = "device (same order as the rows)"
	return p, cm, nil
}

// shortLabel keeps the "other" node's label short on the matrix axes.
func shortLabel(s string) string {
	if len(s) > 24 {
		return s[:23] + "…"
	}
	return s
}

// ClusterOrder orders the devices of d so that devices with similar
// traffic sit together: average-linkage agglomerative (hierarchical)
// clustering on the Euclidean distance between their rows of log bytes
// (the pair's own cells left out), the
// dendrogram's leaves read left to right. The "other" node stays last.
func ClusterOrder(d *Devices) []int {
	n := len(d.Nodes)
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = make([]float64, n)
	}
	for _, l := range d.Links {
		v := math.Log1p(float64(l.Bytes))
		rows[l.From][l.To], rows[l.To][l.From] = v, v
	}
	var items []int
	var other []int
	for i, nd := range d.Nodes {
		if nd.Other {
			other = append(other, i)
		} else {
			items = append(items, i)
		}
	}
	dist := func(a, b int) float64 {
		var s float64
		for k := range n {
			if k == a || k == b { // the pair's own cell is in both rows, mirrored
				continue
			}
			s += (rows[a][k] - rows[b][k]) * (rows[a][k] - rows[b][k])
		}
		return math.Sqrt(s)
	}
	// Average linkage with the Lance–Williams update: the distance from a
	// merged cluster to any other is the size-weighted mean of its parts'
	// distances, so each merge costs O(n) and the whole O(n³).
	m := len(items)
	dm := make([][]float64, m)
	for i := range dm {
		dm[i] = make([]float64, m)
		for j := range i {
			dm[i][j] = dist(items[i], items[j])
			dm[j][i] = dm[i][j]
		}
	}
	clusters := make([][]int, m)
	alive := make([]bool, m)
	for i, it := range items {
		clusters[i] = []int{it}
		alive[i] = true
	}
	for left := m; left > 1; left-- {
		bi, bj, best := -1, -1, math.Inf(1)
		for i := range m {
			if !alive[i] {
				continue
			}
			for j := i + 1; j < m; j++ {
				if alive[j] && dm[i][j] < best-1e-12 {
					bi, bj, best = i, j, dm[i][j]
				}
			}
		}
		ni, nj := float64(len(clusters[bi])), float64(len(clusters[bj]))
		for k := range m {
			if alive[k] && k != bi && k != bj {
				dm[bi][k] = (ni*dm[bi][k] + nj*dm[bj][k]) / (ni + nj)
				dm[k][bi] = dm[bi][k]
			}
		}
		clusters[bi] = append(clusters[bi], clusters[bj]...)
		alive[bj] = false
	}
	var root []int
	for i := range m {
		if alive[i] {
			root = clusters[i]
		}
	}
	order := append(root, other...)
	return order
}
