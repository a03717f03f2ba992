package chart

import (
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The traffic matrix: devices by devices, each cell coloured by the bytes
// between them, in the order [ClusterOrder] finds.

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
