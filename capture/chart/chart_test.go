package chart

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/netlab-go/netlab/capture"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func analyzed(t *testing.T, hosts int) *capture.Analyzer {
	t.Helper()
	var file bytes.Buffer
	_, err := capture.Generate(&file, capture.GenerateConfig{Hosts: hosts, Frames: 3000, Seed: 5})
	require.NoError(t, err)
	r, err := capture.NewReader(&file, 0)
	require.NoError(t, err)
	a, err := capture.New(capture.DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, a.ReadFrom(context.Background(), r))
	return a
}

// labels returns the non-empty tick labels of an axis.
func labels(ax plot.Axis) []string {
	var out []string
	for _, tk := range ax.Tick.Marker.Ticks(ax.Min, ax.Max) {
		if tk.Label != "" {
			out = append(out, tk.Label)
		}
	}
	return out
}

// assertIntegral checks that every label of a count axis is a whole number.
func assertIntegral(t *testing.T, ax plot.Axis) {
	t.Helper()
	ls := labels(ax)
	require.GreaterOrEqual(t, len(ls), 2, "a count axis needs at least two labelled ticks")
	for _, l := range ls {
		_, err := strconv.ParseInt(strings.ReplaceAll(l, ",", ""), 10, 64)
		assert.NoError(t, err, "count tick %q is not a whole number", l)
	}
}

// saveBoth writes a figure as PNG and SVG and checks the files' headers.
func saveBoth(t *testing.T, save func(path string) error) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, save(filepath.Join(dir, "f.png")))
	require.NoError(t, save(filepath.Join(dir, "f.svg")))
	png, err := os.ReadFile(filepath.Join(dir, "f.png"))
	require.NoError(t, err)
	assert.Equal(t, []byte("\x89PNG"), png[:4])
	svg, err := os.ReadFile(filepath.Join(dir, "f.svg"))
	require.NoError(t, err)
	assert.Contains(t, string(svg), "<svg")
	assert.Error(t, save(filepath.Join(dir, "f.gif")), "only .png and .svg")
}

// TestGraph folds a 13-device capture into the top 5 and "other", and
// checks the figure's model: three panels, the other node, the legend, the
// matrix's labels and order, and the DOT text.
func TestGraph(t *testing.T) {
	a := analyzed(t, 13)
	g, err := a.Graph(capture.GraphConfig{ByBytes: true, Updates: 1})
	require.NoError(t, err)
	all := TopTalkers(g, 0)
	assert.Zero(t, all.Folded)
	d := TopTalkers(g, 5)
	require.Len(t, d.Nodes, 6, "5 kept and other")
	other := d.Nodes[5]
	assert.True(t, other.Other)
	assert.Equal(t, len(all.Nodes)-5, d.Folded)
	assert.Contains(t, other.Label, OtherLabel)
	for i := 1; i < 5; i++ {
		assert.GreaterOrEqual(t, d.Nodes[i-1].Bytes, d.Nodes[i].Bytes, "busiest first")
	}
	// Folding keeps every byte: the links add up to the same total.
	var sumAll, sumTop uint64
	for _, l := range all.Links {
		sumAll += l.Bytes
	}
	for _, l := range d.Links {
		sumTop += l.Bytes
		assert.NotEmpty(t, l.Protocol)
	}
	assert.Equal(t, sumAll, sumTop)

	f, err := Graph(d)
	require.NoError(t, err)
	require.Len(t, f.Panels, 3, "node-link, matrix, colour bar")
	assert.Contains(t, f.Title, "5 busiest devices by MAC address")
	assert.Contains(t, f.Title, `folded into "other"`)
	require.NotEmpty(t, f.Legend)
	assert.Contains(t, f.Legend[0], "disc area")
	assert.Contains(t, f.Legend[1], OtherLabel)
	assert.Contains(t, strings.Join(f.Legend, "\n"), "link carrying mostly")
	assert.Contains(t, strings.Join(f.Legend, "\n"), "matrix cell")

	m := f.Panels[1]
	assert.ElementsMatch(t, []int{0, 1, 2, 3, 4, 5}, f.Order, "the order is a permutation")
	assert.Equal(t, 5, f.Order[5], "other stays last")
	xl, yl := labels(m.X), labels(m.Y)
	require.Len(t, xl, 6)
	require.Len(t, yl, 6)
	assert.Equal(t, xl[0], yl[5], "row 0 at the top is column 0")
	assert.Contains(t, xl[5], OtherLabel)
	bar := f.Panels[2]
	assert.Contains(t, bar.Y.Label.Text, "log scale")
	for _, l := range labels(bar.Y) {
		assert.True(t, strings.HasSuffix(l, "B"), "colour bar tick %q names bytes", l)
	}

	var dot bytes.Buffer
	require.NoError(t, WriteDOT(&dot, d))
	assert.Contains(t, dot.String(), "graph capture {")
	assert.Contains(t, dot.String(), OtherLabel+" (")
	assert.Equal(t, len(d.Links), strings.Count(dot.String(), " -- "))
	assert.Contains(t, dot.String(), "bytes=")
	saveBoth(t, f.Save)
	_, err = Graph(&Devices{})
	assert.Error(t, err)
}

// TestPlaceNoOverlap lays out a dense graph on a small canvas and checks
// that no two nodes' discs and labels overlap.
func TestPlaceNoOverlap(t *testing.T) {
	a := analyzed(t, 12)
	g, err := a.Graph(capture.GraphConfig{ByBytes: true, Updates: 1})
	require.NoError(t, err)
	d := TopTalkers(g, 10)
	c := draw.NewCanvas(nil, 500, 400)
	pts := place(d, c)
	var maxN uint64
	for _, n := range d.Nodes {
		maxN = max(maxN, n.Bytes)
	}
	for i := range pts {
		ri := nodeRadius(d.Nodes[i].Bytes, maxN)
		assert.True(t, c.Contains(pts[i]), "node %d inside the panel", i)
		for j := i + 1; j < len(pts); j++ {
			rj := nodeRadius(d.Nodes[j].Bytes, maxN)
			dist := vg.Length(math.Hypot(float64(pts[i].X-pts[j].X), float64(pts[i].Y-pts[j].Y)))
			assert.Greater(t, dist, ri+rj, "discs %d and %d overlap", i, j)
			wi := smallText.Rectangle(d.Nodes[i].Label).Size()
			wj := smallText.Rectangle(d.Nodes[j].Label).Size()
			sepX := abs(pts[i].X-pts[j].X) >= (wi.X+wj.X)/2
			sepY := abs(pts[i].Y-pts[j].Y) >= min(ri, rj)+wi.Y
			assert.True(t, sepX || sepY, "labels of %d and %d overlap", i, j)
		}
	}
}

// TestClusterOrder puts two groups that talk only among themselves into two
// blocks.
func TestClusterOrder(t *testing.T) {
	d := &Devices{Nodes: make([]Device, 6)}
	for _, p := range [][2]int{{0, 2}, {2, 4}, {0, 4}, {1, 3}, {3, 5}, {1, 5}} {
		d.Links = append(d.Links, Link{From: p[0], To: p[1], Bytes: 1000})
	}
	order := ClusterOrder(d)
	require.Len(t, order, 6)
	group := func(i int) int { return order[i] % 2 }
	for i := 1; i < 3; i++ {
		assert.Equal(t, group(0), group(i), "first block: %v", order)
		assert.Equal(t, group(3), group(3+i), "second block: %v", order)
	}
	assert.NotEqual(t, group(0), group(3))
}

// TestHierarchy checks that the rows come parent before children, that the
// figure labels its count axis with whole numbers, and its legend.
func TestHierarchy(t *testing.T) {
	a := analyzed(t, 6)
	f, err := Hierarchy(a.Hierarchy(), 0)
	require.NoError(t, err)
	require.NotEmpty(t, f.Rows)
	assert.Equal(t, "eth", f.Rows[0].Name)
	assert.Zero(t, f.Rows[0].Depth)
	for i := 1; i < len(f.Rows); i++ {
		assert.LessOrEqual(t, f.Rows[i].Depth, f.Rows[i-1].Depth+1, "a child follows its parent")
		if f.Rows[i].Depth > 0 {
			// Its parent is the nearest row above one level up, and holds at least its frames.
			for j := i - 1; j >= 0; j-- {
				if f.Rows[j].Depth == f.Rows[i].Depth-1 {
					assert.GreaterOrEqual(t, f.Rows[j].Frames, f.Rows[i].Frames)
					break
				}
			}
		}
	}
	ip := -1
	for i, r := range f.Rows {
		if r.Name == "ip" && r.Depth == 1 {
			ip = i
			break
		}
	}
	require.GreaterOrEqual(t, ip, 0)
	assert.Equal(t, 2, f.Rows[ip+1].Depth, "ip's first child right below it")
	require.Len(t, f.Panels, 1)
	p := f.Panels[0]
	assert.Equal(t, "frames", p.X.Label.Text)
	assertIntegral(t, p.X)
	for _, l := range labels(p.X) {
		assert.NotContains(t, l, "-", "no ticks under the name column")
	}
	assert.Len(t, f.Legend, 2)
	assert.Contains(t, f.Title, "Protocol hierarchy of 3,000 frames")

	short, err := Hierarchy(a.Hierarchy(), 3)
	require.NoError(t, err)
	assert.Len(t, short.Rows, 3)
	assert.Equal(t, len(f.Rows)-3, short.Hidden)
	assert.Contains(t, short.Title, "more rows not shown")
	saveBoth(t, func(path string) error { return SaveHierarchy(a.Hierarchy(), 0, path) })
	empty, err := capture.New(capture.DefaultConfig())
	require.NoError(t, err)
	_, err = Hierarchy(empty.Hierarchy(), 0)
	assert.Error(t, err)
}

// TestLengths checks both binnings: 64-byte bins on a linear axis for
// Ethernet-sized frames, log-spaced bins on a log axis once jumbo frames
// appear, and that no frame is lost in the re-binning.
func TestLengths(t *testing.T) {
	bins := []capture.LengthBin{{Lo: 48, Hi: 64, Frames: 30}, {Lo: 64, Hi: 80, Frames: 20}, {Lo: 1504, Hi: 1520, Frames: 50}}
	f, err := Lengths(bins)
	require.NoError(t, err)
	assert.False(t, f.LogX)
	var total float64
	for _, b := range f.Bins {
		assert.Equal(t, 64.0, b.Max-b.Min)
		total += b.Weight
	}
	assert.Equal(t, 100.0, total)
	assert.Equal(t, 30.0, f.Bins[0].Weight, "48..63 in the first bin")
	assert.Equal(t, 20.0, f.Bins[1].Weight)
	assert.Equal(t, 50.0, f.Bins[23].Weight, "1504 in [1472, 1536)")
	p := f.Panels[0]
	assert.Equal(t, "frame length (bytes)", p.X.Label.Text)
	assert.Equal(t, "frames", p.Y.Label.Text)
	assertIntegral(t, p.Y)
	assertIntegral(t, p.X)
	assert.Contains(t, f.Title, "64-byte bins")

	long := append(bins, capture.LengthBin{Lo: 65536, Frames: 7})
	lf, err := Lengths(long)
	require.NoError(t, err)
	assert.True(t, lf.LogX)
	total = 0
	for i, b := range lf.Bins {
		total += b.Weight
		if i > 0 {
			assert.Greater(t, b.Max-b.Min, 0.0)
			assert.GreaterOrEqual(t, b.Max/b.Min, lf.Bins[i-1].Max/lf.Bins[i-1].Min*0.5, "log-spaced")
		}
	}
	assert.Equal(t, 107.0, total)
	assert.Contains(t, labels(lf.Panels[0].X), "1k")
	assertIntegral(t, lf.Panels[0].Y)

	a := analyzed(t, 4)
	saveBoth(t, func(path string) error { return SaveLengths(a.FrameLengths(), path) })
	_, err = Lengths(nil)
	assert.Error(t, err)
}

// TestClusterOrderLarge orders the largest matrix netviz allows (-top 200)
// and checks that the result is a permutation with "other" last.
func TestClusterOrderLarge(t *testing.T) {
	const n = 201
	d := &Devices{Nodes: make([]Device, n)}
	d.Nodes[n-1].Other = true
	for i := range n {
		for _, j := range []int{(i * 7) % n, (i*13 + 5) % n} {
			if i != j {
				d.Links = append(d.Links, Link{From: min(i, j), To: max(i, j), Bytes: uint64(1 + (i*j)%5000)})
			}
		}
	}
	order := ClusterOrder(d)
	require.Len(t, order, n)
	seen := make([]bool, n)
	for _, o := range order {
		require.False(t, seen[o], "%d twice", o)
		seen[o] = true
	}
	assert.Equal(t, n-1, order[n-1])
}

// TestGraphManyDevices draws the largest graph netviz allows and checks
// that the labels are thinned so that they stay readable.
func TestGraphManyDevices(t *testing.T) {
	const n = 120
	d := &Devices{Nodes: make([]Device, n)}
	for i := range d.Nodes {
		d.Nodes[i] = Device{Label: "02:00:00:00:" + strconv.Itoa(i/16) + strconv.Itoa(i%16) + ":00", Bytes: uint64(1000 * (n - i))}
		if i > 0 {
			d.Links = append(d.Links, Link{From: 0, To: i, Bytes: uint64(1000 * (n - i)), Protocol: "tcp"})
		}
	}
	d.Nodes[n-1].Other, d.Nodes[n-1].Label, d.Folded = true, "other (50 devices)", 50
	d.layout()
	f, err := Graph(d)
	require.NoError(t, err)
	assert.Contains(t, f.Title, "25 busiest labelled")
	assert.Contains(t, f.Title, "every 3rd row labelled")
	ls := labels(f.Panels[1].Y)
	assert.LessOrEqual(t, len(ls), 41)
	assert.Contains(t, ls, "other (50 devices)")
	assert.Equal(t, "", nodeLabel(d, 30))
	assert.Equal(t, d.Nodes[3].Label, nodeLabel(d, 3))
}
