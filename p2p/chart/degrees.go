package chart

import (
	"fmt"
	"math"
	"strconv"

	"github.com/netlab-go/netlab/internal/plotkit"
	"github.com/netlab-go/netlab/p2p"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Axis labels of the degree figure.
const (
	DegreeAxis = "degree k (neighbours)"
	PMFAxis    = "P(k), fraction of peers"
	CCDFAxis   = "P(K ≥ k), fraction of peers"
)

// Degrees draws the degree distribution of the given node degrees: P(k)
// (each degree, and logarithmic bins) beside P(K ≥ k), on log-log axes, with
// the power law fitted to the degrees at or above kmin. Nodes of degree 0
// are counted in the fractions but cannot be drawn on a log axis.
func Degrees(degrees []int, kmin int) (*Figure, error) {
	ks, pk := p2p.DegreeDistribution(degrees)
	if len(ks) == 0 {
		return nil, fmt.Errorf("p2p/chart: degree distribution: no node has a neighbour")
	}
	_, ccdf := p2p.DegreeCCDF(degrees)
	kmin = max(kmin, 1)
	alpha, n := p2p.PowerLawMLE(degrees, kmin)
	ks2 := p2p.PowerLawKS(degrees, kmin, alpha)

	f := newFigure(fmt.Sprintf("Degree distribution of %d peers", len(degrees)), 24*vg.Centimeter, 11*vg.Centimeter)
	pmf := f.Panel(logLog("P(k): share of peers with degree k", PMFAxis))
	cum := f.Panel(logLog("P(K ≥ k): share with degree k or more", CCDFAxis))

	each, err := points(ks, pk, false)
	if err != nil {
		return nil, err
	}
	bx, by := logBins(degrees)
	binned, err := points(bx, by, true)
	if err != nil {
		return nil, err
	}
	f.Add(pmf, each)
	f.Add(pmf, binned)
	cumPts, err := points(ks, ccdf, false)
	if err != nil {
		return nil, err
	}
	f.Add(cum, cumPts)
	f.Entry("measured, one point per degree (left P(k), right P(K ≥ k))", each)
	f.Entry("measured P(k) in logarithmic bins [1,2), [2,4), [4,8), ... (average per degree, at the bin's mean degree)", binned)

	kmax := float64(ks[len(ks)-1])
	if !math.IsNaN(alpha) {
		frac := float64(n) / float64(len(degrees))
		lo := float64(kmin) - 0.5
		// The discrete P(k) of the fit, in the estimator's continuous
		// approximation: the mass between k−½ and k+½.
		fitPMF := plotter.NewFunction(func(k float64) float64 {
			return frac * (math.Pow((k-0.5)/lo, 1-alpha) - math.Pow((k+0.5)/lo, 1-alpha))
		})
		fitCCDF := plotter.NewFunction(func(k float64) float64 { return frac * p2p.PowerLawCCDF(k, kmin, alpha) })
		for _, fn := range []*plotter.Function{fitPMF, fitCCDF} {
			fn.XMin, fn.XMax, fn.Samples = float64(kmin), kmax, 100
			fn.LineStyle = draw.LineStyle{Color: plotkit.Reference, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
		}
		f.Add(pmf, fitPMF)
		f.Add(cum, fitCCDF)
		f.Entry(fmt.Sprintf("power law P(k) ~ k^(-α), α = %.2f: discrete maximum likelihood over k ≥ %d (%d of %d peers); "+
			"goodness of fit: Kolmogorov-Smirnov distance D = %.3f", alpha, kmin, n, len(degrees), ks2), fitPMF)
	} else {
		f.Entry(fmt.Sprintf("no power-law fit: fewer than two peers have degree ≥ %d", kmin))
	}

	// Room around the data, so that no point sits on an axis.
	kmin0 := float64(ks[0])
	for _, i := range []int{pmf, cum} {
		p := f.Panels[i]
		p.X.Min, p.X.Max = kmin0/1.6, kmax*1.6
	}
	f.Panels[pmf].Y.Min, f.Panels[pmf].Y.Max = minOf(append(pk, by...))/2.5, maxOf(append(pk, by...))*2.5
	f.Panels[cum].Y.Min, f.Panels[cum].Y.Max = minOf(ccdf)/2.5, 1.6
	return f, nil
}

// logLog returns a panel with log scales and labelled decades on both axes.
func logLog(title, y string) *plot.Plot {
	p := plotkit.New(title, DegreeAxis, y)
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plotkit.LogTicks{}, fractionTicks{}
	p.Add(plotter.NewGrid())
	return p
}

// points is a scatter of (x, y): hollow circles, or filled squares when
// filled.
func points[X int | float64](xs []X, ys []float64, filled bool) (*plotter.Scatter, error) {
	xys := make(plotter.XYs, len(xs))
	for i := range xs {
		xys[i] = plotter.XY{X: float64(xs[i]), Y: ys[i]}
	}
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, fmt.Errorf("p2p/chart: %w", err)
	}
	s.GlyphStyle = draw.GlyphStyle{Color: plotkit.Color(0), Radius: vg.Points(3.5), Shape: ring{vg.Points(1.2)}}
	if filled {
		s.GlyphStyle = draw.GlyphStyle{Color: plotkit.Color(1), Radius: vg.Points(3.5), Shape: draw.SquareGlyph{}}
	}
	return s, nil
}

// logBins bins the degrees (at least 1) into [1,2), [2,4), [4,8), ... and
// returns, for each non-empty bin, the mean degree of the nodes in it (where
// the bin's point is drawn: a bin's geometric centre can lie beyond the
// largest degree) and the fraction of all nodes per degree in it (the bin's
// count over n times its width).
func logBins(degrees []int) (xs, ys []float64) {
	count, sum := map[int]int{}, map[int]int{}
	for _, d := range degrees {
		if d > 0 {
			b := int(math.Floor(math.Log2(float64(d))))
			count[b]++
			sum[b] += d
		}
	}
	for b := 0; b < 64; b++ {
		c, ok := count[b]
		if !ok {
			continue
		}
		width := math.Exp2(float64(b))
		xs = append(xs, float64(sum[b])/float64(c))
		ys = append(ys, float64(c)/float64(len(degrees))/width)
	}
	return xs, ys
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		if x > 0 {
			m = min(m, x)
		}
	}
	return m
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// fractionTicks are plotkit's log ticks labelled as plain decimals (0.01,
// not 10m): the axis holds fractions, not quantities with a unit.
type fractionTicks struct{}

// Ticks implements [plot.Ticker].
func (fractionTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plotkit.LogTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'g', 3, 64)
		}
	}
	return ticks
}
