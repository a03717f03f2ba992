package chart

import (
	"fmt"
	"image/png"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netlab-go/netlab/p2p"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
)

// baOverlay grows a Barabási–Albert graph of n nodes, m links each.
func baOverlay(n, m int, rnd *rand.Rand) p2p.Overlay {
	var o p2p.Overlay
	deg := map[netip.AddrPort]int{}
	for i := range n {
		a := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(i+1))
		var cands []p2p.Candidate
		for _, b := range o.Nodes {
			cands = append(cands, p2p.Candidate{Addr: b, Degree: deg[b]})
		}
		for _, b := range p2p.PreferentialPick(rnd, cands, m) {
			o.Edges = append(o.Edges, [2]netip.AddrPort{b, a})
			deg[a]++
			deg[b]++
		}
		o.Nodes = append(o.Nodes, a)
	}
	return o
}

func labels(ticks []plot.Tick) (labelled []string, minor int) {
	for _, t := range ticks {
		if t.Label == "" {
			minor++
		} else {
			labelled = append(labelled, t.Label)
		}
	}
	return labelled, minor
}

// noLegendIn checks that a panel draws no legend of its own: the figure's
// legend is in the strip beneath the panels, where it covers no data.
func noLegendIn(t *testing.T, p *plot.Plot) {
	t.Helper()
	r := p.Legend.Rectangle(draw.NewCanvas(nil, 100, 100))
	assert.Zero(t, r.Size().X, "panel %q has a legend over its data", p.Title.Text)
}

func TestDegreesModel(t *testing.T) {
	o := baOverlay(400, 2, rand.New(rand.NewPCG(1, 2)))
	deg := o.Degrees()
	f, err := Degrees(deg, 2)
	require.NoError(t, err)
	alpha, n := p2p.PowerLawMLE(deg, 2)
	ks := p2p.PowerLawKS(deg, 2, alpha)

	assert.Equal(t, "Degree distribution of 400 peers", f.Title)
	require.Len(t, f.Panels, 2, "P(k) beside P(K ≥ k)")
	assert.Equal(t, []int{3, 2}, f.Series, "left: each degree, log bins, fit; right: CCDF, fit")
	pmf, ccdf := f.Panels[0], f.Panels[1]
	for _, p := range f.Panels {
		assert.Equal(t, DegreeAxis, p.X.Label.Text)
		assert.IsType(t, plot.LogScale{}, p.X.Scale)
		assert.IsType(t, plot.LogScale{}, p.Y.Scale)
		noLegendIn(t, p)
	}
	assert.Equal(t, PMFAxis, pmf.Y.Label.Text)
	assert.Equal(t, CCDFAxis, ccdf.Y.Label.Text)

	// Labelled decades and minor ticks on every axis, at least three labels.
	for _, ax := range []plot.Axis{pmf.X, pmf.Y, ccdf.X, ccdf.Y} {
		got, minor := labels(ax.Tick.Marker.Ticks(ax.Min, ax.Max))
		assert.GreaterOrEqual(t, len(got), 3, "%q labels %v", ax.Label.Text, got)
		assert.Positive(t, minor, "%q has minor ticks", ax.Label.Text)
	}
	xl, _ := labels(pmf.X.Tick.Marker.Ticks(pmf.X.Min, pmf.X.Max))
	assert.Contains(t, xl, "10")
	yl, _ := labels(ccdf.Y.Tick.Marker.Ticks(ccdf.Y.Min, ccdf.Y.Max))
	assert.Contains(t, yl, "0.1")
	assert.Contains(t, yl, "1")

	// No point on an axis edge: the data sit inside the axes with room.
	ksDist, pk := p2p.DegreeDistribution(deg)
	_, cc := p2p.DegreeCCDF(deg)
	assert.Less(t, pmf.X.Min*1.5, float64(ksDist[0]))
	assert.Greater(t, pmf.X.Max/1.5, float64(ksDist[len(ksDist)-1]))
	for _, v := range pk {
		assert.True(t, v > pmf.Y.Min*2 && v < pmf.Y.Max/2, "P(k)=%v inside (%v, %v)", v, pmf.Y.Min, pmf.Y.Max)
	}
	for _, v := range cc {
		assert.True(t, v > ccdf.Y.Min*2 && v < ccdf.Y.Max, "P(K≥k)=%v inside (%v, %v)", v, ccdf.Y.Min, ccdf.Y.Max)
	}

	// The legend names the fit: exponent, method, goodness of fit.
	require.Len(t, f.Legend, 3)
	fit := f.Legend[2]
	assert.Contains(t, fit, fmt.Sprintf("α = %.2f", alpha))
	assert.Contains(t, fit, "maximum likelihood")
	assert.Contains(t, fit, fmt.Sprintf("Kolmogorov-Smirnov distance D = %.3f", ks))
	assert.Contains(t, fit, fmt.Sprintf("(%d of 400 peers)", n))
	assert.Less(t, ks, 0.15, "a Barabási–Albert graph is close to its fit")
}

func TestLogBins(t *testing.T) {
	// Bins [1,2) [2,4) [4,8) [8,16) [16,32): 1 | 2,3,3 | (none) | 9 | 16, of
	// 7 nodes (one of degree 0, which counts in n).
	xs, ys := logBins([]int{0, 1, 2, 3, 3, 9, 16})
	assert.Equal(t, []float64{1, 8.0 / 3, 9, 16}, xs, "each bin at its members' mean degree")
	assert.InDeltaSlice(t, []float64{1.0 / 7, 3.0 / 7 / 2, 1.0 / 7 / 8, 1.0 / 7 / 16}, ys, 1e-12)
}

func TestDegreesWithoutFitOrData(t *testing.T) {
	_, err := Degrees([]int{0, 0}, 2)
	require.ErrorContains(t, err, "no node has a neighbour")
	f, err := Degrees([]int{1, 1, 3}, 2)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 1}, f.Series, "no fit line")
	assert.Contains(t, f.Legend[len(f.Legend)-1], "no power-law fit")
}

func TestOverlayModel(t *testing.T) {
	o := baOverlay(60, 2, rand.New(rand.NewPCG(3, 4)))
	killed := o.Nodes[10:13]
	f, err := Overlay(o, 1, killed, "killed later")
	require.NoError(t, err)
	require.Len(t, f.Panels, 1)
	assert.Equal(t, []int{1}, f.Series)
	assert.Contains(t, f.Title, "60 peers")
	assert.Contains(t, f.Title, fmt.Sprintf("%d links", len(o.Edges)))
	noLegendIn(t, f.Panels[0])
	assert.Contains(t, f.Legend[0], "link")
	sizes := 0
	for _, e := range f.Legend {
		if strings.Contains(e, "disc area grows with degree") {
			sizes++
		}
	}
	assert.GreaterOrEqual(t, sizes, 2, "the legend shows how disc size maps to degree: %v", f.Legend)
	assert.Contains(t, strings.Join(f.Legend, "|"), "hub: the ")
	assert.Equal(t, "ringed: killed later (3 peers)", f.Legend[len(f.Legend)-1])

	_, err = Overlay(p2p.Overlay{}, 1, nil, "")
	require.Error(t, err)
}

func TestRobustnessModel(t *testing.T) {
	o := baOverlay(200, 2, rand.New(rand.NewPCG(5, 6)))
	f, err := Robustness(o.Robustness(10, rand.New(rand.NewPCG(1, 1))))
	require.NoError(t, err)
	require.Len(t, f.Panels, 1)
	assert.Equal(t, []int{2}, f.Series)
	assert.Equal(t, []string{"peers removed at random (failures)", "peers removed highest degree first (an attack on the hubs)"}, f.Legend)
	p := f.Panels[0]
	assert.Equal(t, "peers removed (fraction of all peers)", p.X.Label.Text)
	assert.Equal(t, "largest component (fraction of all peers)", p.Y.Label.Text)
	noLegendIn(t, p)
	xl, minor := labels(p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max))
	assert.Equal(t, []string{"0", "0.1", "0.2", "0.3", "0.4", "0.5"}, xl)
	assert.Positive(t, minor)
	yl, _ := labels(p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max))
	assert.Equal(t, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}, yl)
	assert.Less(t, p.X.Min, 0.0, "the first points sit off the axis")
	assert.Greater(t, p.Y.Max, 1.0)
	_, err = Robustness(nil)
	require.Error(t, err)
}

// Every figure saves as PNG and SVG; the PNG decodes at the figure's size
// plus its title and legend strip.
func TestSavePNGAndSVG(t *testing.T) {
	o := baOverlay(80, 2, rand.New(rand.NewPCG(7, 8)))
	deg, err := Degrees(o.Degrees(), 2)
	require.NoError(t, err)
	ov, err := Overlay(o, 1, o.Nodes[:2], "marked")
	require.NoError(t, err)
	rb, err := Robustness(o.Robustness(5, rand.New(rand.NewPCG(1, 1))))
	require.NoError(t, err)
	dir := t.TempDir()
	for name, f := range map[string]*Figure{"deg": deg, "overlay": ov, "robust": rb} {
		pngPath := filepath.Join(dir, name+".png")
		require.NoError(t, f.Save(pngPath))
		r, err := os.Open(pngPath)
		require.NoError(t, err)
		img, err := png.Decode(r)
		r.Close()
		require.NoError(t, err, name)
		b := img.Bounds()
		assert.InDelta(t, f.Width.Dots(96), float64(b.Dx()), 2, name)
		assert.Greater(t, float64(b.Dy()), f.Height.Dots(96), "%s: title and legend add height", name)

		svgPath := filepath.Join(dir, name+".svg")
		require.NoError(t, f.Save(svgPath))
		svg, err := os.ReadFile(svgPath)
		require.NoError(t, err)
		assert.Contains(t, string(svg), "<svg")
		assert.Contains(t, string(svg), f.Legend[0][:10], "%s: the SVG carries the legend text", name)
	}
	require.ErrorContains(t, deg.Save(filepath.Join(dir, "deg.jpg")), ".png or .svg")
}
