package reno

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// maxChartPoints bounds the points a line gets; longer traces are thinned
// (every event that changes the state, and every loss, is always kept).
const maxChartPoints = 20000

var (
	stateColors = [...]color.RGBA{
		SlowStart:           {R: 0xd6, G: 0xea, B: 0xf8, A: 0xff},
		CongestionAvoidance: {R: 0xe8, G: 0xf5, B: 0xe9, A: 0xff},
		FastRecovery:        {R: 0xfd, G: 0xeb, B: 0xd0, A: 0xff},
	}
	palette = []color.RGBA{
		{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
		{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
		{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
		{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
		{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	}
)

// CwndChart draws one flow's cwnd and ssthresh (in segments of mss bytes)
// over time, with the background shaded by state (slow start, congestion
// avoidance, fast recovery), red crosses where the link dropped a segment
// and black triangles at retransmission timeouts.
func CwndChart(trace []Record, flow, mss int, title string) (*plot.Plot, error) {
	if mss <= 0 {
		return nil, fmt.Errorf("reno: chart: mss must be > 0, got %d", mss)
	}
	recs := flowRecords(trace, flow)
	if len(recs) == 0 {
		return nil, fmt.Errorf("reno: chart: no trace records for flow %d (set Config.KeepTrace)", flow)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "time (s)"
	p.Y.Label.Text = "segments"
	p.Legend.Top = true

	shade := &stateShading{spans: stateSpans(recs)}
	p.Add(shade)
	for _, st := range []State{SlowStart, CongestionAvoidance, FastRecovery} {
		p.Legend.Add(st.String(), swatch(stateColors[st]))
	}

	seg := float64(mss)
	var cw, ss, losses, timeouts plotter.XYs
	step := len(recs)/maxChartPoints + 1
	for i, r := range recs {
		x := r.Time.Seconds()
		switch r.Event {
		case EventLoss:
			losses = append(losses, plotter.XY{X: x, Y: float64(r.Cwnd) / seg})
			continue
		case EventTimeout:
			timeouts = append(timeouts, plotter.XY{X: x, Y: float64(r.Cwnd) / seg})
		}
		keep := i%step == 0 || r.Event != EventNewAck && r.Event != EventDupAck || i == len(recs)-1
		if !keep {
			continue
		}
		cw = append(cw, plotter.XY{X: x, Y: float64(r.Cwnd) / seg})
		if r.Ssthresh < InfiniteSsthresh {
			ss = append(ss, plotter.XY{X: x, Y: float64(r.Ssthresh) / seg})
		}
	}
	if err := addLine(p, "cwnd", cw, palette[0], false); err != nil {
		return nil, err
	}
	if len(ss) > 0 {
		if err := addLine(p, "ssthresh", ss, palette[1], true); err != nil {
			return nil, err
		}
	}
	if err := addMarks(p, "loss", losses, draw.CrossGlyph{}, palette[1]); err != nil {
		return nil, err
	}
	if err := addMarks(p, "timeout", timeouts, draw.TriangleGlyph{}, color.RGBA{A: 0xff}); err != nil {
		return nil, err
	}
	roomForLegend(p)
	return p, nil
}

// Series is one named trace for VariantsChart.
type Series struct {
	Name  string
	Trace []Record
	Flow  int
	MSS   int
}

// VariantsChart draws the cwnd of several runs on one plot, in segments.
func VariantsChart(series []Series, title string) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, fmt.Errorf("reno: chart: no series")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "time (s)"
	p.Y.Label.Text = "cwnd (segments)"
	p.Legend.Top = true
	for i, s := range series {
		if s.MSS <= 0 {
			return nil, fmt.Errorf("reno: chart: series %q: mss must be > 0", s.Name)
		}
		recs := flowRecords(s.Trace, s.Flow)
		step := len(recs)/maxChartPoints + 1
		var xy plotter.XYs
		for j, r := range recs {
			if r.Event == EventLoss || (j%step != 0 && j != len(recs)-1) {
				continue
			}
			xy = append(xy, plotter.XY{X: r.Time.Seconds(), Y: float64(r.Cwnd) / float64(s.MSS)})
		}
		if len(xy) == 0 {
			return nil, fmt.Errorf("reno: chart: series %q has no records", s.Name)
		}
		if err := addLine(p, s.Name, xy, palette[i%len(palette)], false); err != nil {
			return nil, err
		}
	}
	roomForLegend(p)
	return p, nil
}

// SweepChart draws simulated throughput against loss probability next to
// the Mathis and PFTK predictions (and the round model where the points have
// it), on log-log axes.
func SweepChart(points []SweepPoint, title string) (*plot.Plot, error) {
	var sim, mathis, pftk, rounds plotter.XYs
	for _, pt := range points {
		if pt.P <= 0 {
			continue
		}
		sim = append(sim, plotter.XY{X: pt.P, Y: pt.Simulated / 1e6})
		mathis = append(mathis, plotter.XY{X: pt.P, Y: pt.Mathis / 1e6})
		pftk = append(pftk, plotter.XY{X: pt.P, Y: pt.PFTK / 1e6})
		if pt.Rounds > 0 {
			rounds = append(rounds, plotter.XY{X: pt.P, Y: pt.Rounds / 1e6})
		}
	}
	if len(sim) == 0 {
		return nil, fmt.Errorf("reno: chart: no sweep points with p > 0")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "loss probability p"
	p.Y.Label.Text = "throughput (Mb/s)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	if err := addLine(p, "Mathis C=sqrt(3/2)", mathis, palette[0], true); err != nil {
		return nil, err
	}
	if err := addLine(p, "PFTK", pftk, palette[2], false); err != nil {
		return nil, err
	}
	if err := addMarks(p, "simulated", sim, draw.CircleGlyph{}, palette[1]); err != nil {
		return nil, err
	}
	if err := addMarks(p, "round model", rounds, draw.SquareGlyph{}, palette[3]); err != nil {
		return nil, err
	}
	return p, nil
}

// SaveChart writes p to path as PNG or SVG, chosen by the extension.
func SaveChart(p *plot.Plot, path string) error {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png", ".svg":
	default:
		return fmt.Errorf("reno: chart %s: want a .png or .svg file, got %q", path, ext)
	}
	return p.Save(10*vg.Inch, 5*vg.Inch, path)
}

// roomForLegend starts the y axis at 0 and leaves the top quarter free for
// the legend.
func roomForLegend(p *plot.Plot) {
	p.Y.Min = 0
	if p.Y.Max > 0 {
		p.Y.Max *= 1.3
	}
}

func flowRecords(trace []Record, flow int) []Record {
	var out []Record
	for _, r := range trace {
		if r.Flow == flow {
			out = append(out, r)
		}
	}
	return out
}

func addLine(p *plot.Plot, name string, xy plotter.XYs, c color.RGBA, dashed bool) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return fmt.Errorf("reno: chart %s: %w", name, err)
	}
	l.Color = c
	l.Width = vg.Points(1.2)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

func addMarks(p *plot.Plot, name string, xy plotter.XYs, g draw.GlyphDrawer, c color.RGBA) error {
	if len(xy) == 0 {
		return nil
	}
	s, err := plotter.NewScatter(xy)
	if err != nil {
		return fmt.Errorf("reno: chart %s: %w", name, err)
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3), Shape: g}
	p.Add(s)
	p.Legend.Add(name, s)
	return nil
}

type stateSpan struct {
	from, to float64
	state    State
}

// stateSpans turns the records into time intervals of constant state.
func stateSpans(recs []Record) []stateSpan {
	var spans []stateSpan
	for _, r := range recs {
		x := r.Time.Seconds()
		if n := len(spans); n > 0 {
			spans[n-1].to = x
			if spans[n-1].state == r.State {
				continue
			}
		}
		spans = append(spans, stateSpan{from: x, to: x, state: r.State})
	}
	return spans
}

// stateShading fills the plot's background by state. It has no data range
// of its own, so the axes follow the lines.
type stateShading struct{ spans []stateSpan }

func (s *stateShading) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, sp := range s.spans {
		if sp.to <= sp.from || int(sp.state) >= len(stateColors) {
			continue
		}
		x0 := vg.Length(math.Max(float64(trX(sp.from)), float64(c.Min.X)))
		x1 := vg.Length(math.Min(float64(trX(sp.to)), float64(c.Max.X)))
		if x1 <= x0 {
			continue
		}
		c.FillPolygon(stateColors[sp.state], []vg.Point{
			{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y},
		})
	}
}

type swatch color.RGBA

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(color.RGBA(s), []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y},
	})
}
