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
)

// Robustness draws the two curves of [p2p.Overlay.Robustness]: the largest
// component left as peers are removed at random (failures) and highest
// degree first (an attack).
func Robustness(pts []p2p.RobustnessPoint) (*Figure, error) {
	if len(pts) == 0 {
		return nil, fmt.Errorf("p2p/chart: robustness: no points")
	}
	f := newFigure("Random failures vs an attack on the hubs", 16*vg.Centimeter, 11*vg.Centimeter)
	p := plotkit.New("Largest connected component as peers are removed",
		"peers removed (fraction of all peers)", "largest component (fraction of all peers)")
	// A margin on every side keeps the first and last points off the axes.
	p.X.Min, p.X.Max = -0.02, pts[len(pts)-1].Removed+0.02
	p.Y.Min, p.Y.Max = -0.03, 1.03
	p.X.Tick.Marker, p.Y.Tick.Marker = fractionSteps{0.1}, fractionSteps{0.2}
	p.Add(plotter.NewGrid())
	i := f.Panel(p)
	rnd, tgt := make(plotter.XYs, len(pts)), make(plotter.XYs, len(pts))
	for j, pt := range pts {
		rnd[j] = plotter.XY{X: pt.Removed, Y: pt.Random}
		tgt[j] = plotter.XY{X: pt.Removed, Y: pt.Targeted}
	}
	for k, xy := range []plotter.XYs{rnd, tgt} {
		l, s, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, fmt.Errorf("p2p/chart: %w", err)
		}
		l.Color, l.Width = plotkit.Color(k), vg.Points(2)
		s.Color = plotkit.Color(k)
		f.Add(i, l, s)
		if k == 0 {
			f.Entry("peers removed at random (failures)", l, s)
		} else {
			f.Entry("peers removed highest degree first (an attack on the hubs)", l, s)
		}
	}
	return f, nil
}

// fractionSteps labels a linear axis of fractions at multiples of step,
// with an unlabelled minor tick halfway between.
type fractionSteps struct{ step float64 }

// Ticks implements [plot.Ticker].
func (f fractionSteps) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for i := math.Ceil(min / f.step * 2); i/2*f.step <= max+1e-9; i++ {
		v := i / 2 * f.step
		if v == 0 {
			v = 0 // not -0
		}
		t := plot.Tick{Value: v}
		if math.Mod(i, 2) == 0 {
			t.Label = strconv.FormatFloat(math.Round(v*1e6)/1e6, 'g', 3, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}
