// Package chart draws the pictures of package reno with gonum/plot: a
// flow's congestion window over time with its states shaded, every flow of a
// run on one axis, the variants side by side as small multiples on the same
// loss pattern, and throughput against loss probability beside each
// variant's model on log-log axes.
//
// It lives apart from reno so that a program that only simulates does not
// carry a chart renderer. Each function returns a [Chart] (or a [Figure] of
// several): the gonum plot, which a caller can change further, and a record
// of its legend and series; [Save] writes PNG or SVG.
//
//	res, _ := sim.Run(ctx)                    // with Config.KeepTrace
//	p, _ := chart.Cwnd(res.Trace, 0, 1000, "Reno, 1% loss")
//	_ = chart.Save(p, "cwnd.png")
package chart

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netlab-go/netlab/internal/plotkit"
	"github.com/netlab-go/netlab/reno"
)

// maxPoints bounds the points a line gets; longer traces are thinned (every
// event that changes the state, and every loss, is kept).
const maxPoints = 20000

// Chart is one plot and a record of what was drawn on it: the legend's
// entries in order and the number of lines (gonum/plot keeps both to
// itself), so that callers and tests can check the picture's content.
type Chart struct {
	Plot    *plot.Plot
	Entries []string // legend entries, in order
	Lines   int      // line series drawn
	Marks   int      // scatter series drawn
}

func newChart(title, x, y string) *Chart {
	return &Chart{Plot: plotkit.New(title, x, y)}
}

func (c *Chart) legend(name string, th plot.Thumbnailer) {
	c.Plot.Legend.Add(name, th)
	c.Entries = append(c.Entries, name)
}

// Width and [Height] are the size of a single chart; a [Figure] is [Width] wide
// and [PanelHeight] per panel.
const (
	Width       = 10 * vg.Inch
	Height      = 5 * vg.Inch
	PanelHeight = 2.6 * vg.Inch
)

// stateColors are light tints (of the palette's blue, green and orange) for
// the background of each state.
var stateColors = [...]color.NRGBA{
	reno.SlowStart:           {R: 0xd4, G: 0xe6, B: 0xf3, A: 0xff},
	reno.CongestionAvoidance: {R: 0xd6, G: 0xf0, B: 0xe7, A: 0xff},
	reno.FastRecovery:        {R: 0xfb, G: 0xea, B: 0xc7, A: 0xff},
}

// Cwnd draws one flow's cwnd and ssthresh in segments of mss bytes over
// time, with the background shaded by state (slow start, congestion
// avoidance, fast recovery), crosses where the link dropped a segment and
// triangles at retransmission timeouts.
func Cwnd(trace []reno.Record, flow, mss int, title string) (*Chart, error) {
	if mss <= 0 {
		return nil, fmt.Errorf("chart: mss must be > 0, got %d", mss)
	}
	recs := flowRecords(trace, flow)
	if len(recs) == 0 {
		return nil, fmt.Errorf("chart: no trace records for flow %d (set reno.Config.KeepTrace)", flow)
	}
	p := newChart(title, "time (s)", "cwnd (segments)")
	p.Plot.X.Tick.Marker = plotkit.SITicks{}
	p.Plot.Y.Tick.Marker = plotkit.CountTicks{}
	p.Plot.Add(&stateShading{spans: stateSpans(recs)})
	for _, st := range []reno.State{reno.SlowStart, reno.CongestionAvoidance, reno.FastRecovery} {
		p.legend(st.String(), swatch(stateColors[st]))
	}
	seg := float64(mss)
	var cw, ss, losses, timeouts plotter.XYs
	step := len(recs)/maxPoints + 1
	for i, r := range recs {
		x := r.Time.Seconds()
		switch r.Event {
		case reno.EventLoss:
			losses = append(losses, plotter.XY{X: x, Y: float64(r.Cwnd) / seg})
			continue
		case reno.EventTimeout:
			timeouts = append(timeouts, plotter.XY{X: x, Y: float64(r.Cwnd) / seg})
		}
		keep := i%step == 0 || r.Event != reno.EventNewAck && r.Event != reno.EventDupAck || i == len(recs)-1
		if !keep {
			continue
		}
		cw = append(cw, plotter.XY{X: x, Y: float64(r.Cwnd) / seg})
		if r.Ssthresh < reno.InfiniteSsthresh {
			ss = append(ss, plotter.XY{X: x, Y: float64(r.Ssthresh) / seg})
		}
	}
	if err := addLine(p, "cwnd", cw, plotkit.Color(0), false); err != nil {
		return nil, err
	}
	if len(ss) > 0 {
		if err := addLine(p, "ssthresh", ss, plotkit.Color(1), true); err != nil {
			return nil, err
		}
	}
	if err := addMarks(p, "loss", losses, draw.CrossGlyph{}, plotkit.Color(1)); err != nil {
		return nil, err
	}
	if err := addMarks(p, "timeout", timeouts, draw.TriangleGlyph{}, plotkit.Reference); err != nil {
		return nil, err
	}
	roomForLegend(p)
	return p, nil
}

// Flows draws the cwnd of every flow in trace on one axis, one labelled line
// per flow: names[i] names flow i (for example "flow 1 (cubic)"), and the
// number of names is the number of flows drawn. As in [Variants], the window
// axis is scaled to what the flows spend their time at, and the title says
// when a brief peak is cut.
func Flows(trace []reno.Record, names []string, mss int, title string) (*Chart, error) {
	if mss <= 0 {
		return nil, fmt.Errorf("chart: mss must be > 0, got %d", mss)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("chart: no flows to draw")
	}
	p := newChart(title, "time (s)", "cwnd (segments)")
	p.Plot.X.Tick.Marker = plotkit.SITicks{}
	p.Plot.Y.Tick.Marker = plotkit.CountTicks{}
	ymax, peak := 0.0, 0.0
	for i, name := range names {
		recs := flowRecords(trace, i)
		xy := cwndLine(recs, mss)
		if len(xy) == 0 {
			return nil, fmt.Errorf("chart: no trace records for flow %d (%s)", i, name)
		}
		if err := addLine(p, name, xy, plotkit.Color(i), false); err != nil {
			return nil, err
		}
		q, pk := cwndQuantile(recs, mss, 0.95)
		ymax, peak = math.Max(ymax, 1.5*q), math.Max(peak, pk)
	}
	roomForLegend(p)
	if top := 1.05 * math.Max(ymax, 4); peak > top {
		p.Plot.Y.Max = top
		p.Plot.Title.Text += fmt.Sprintf(" (peak of %.0f segments above the scale)", peak)
	}
	return p, nil
}

// Series is one run's flow for [Variants]: its name (the variant), its trace
// and the flow and segment size to draw.
type Series struct {
	Name  string
	Trace []reno.Record
	Flow  int
	MSS   int
}

// Figure is several plots drawn one above the other with aligned axes:
// small multiples.
type Figure struct {
	Title  string
	Panels []*Chart
}

// Variants draws each series in its own panel (cwnd and ssthresh, states
// shaded, losses and timeouts marked, as [Cwnd] does), one above the other with
// the same time and window axes, so that runs on the same loss pattern can
// be compared without overlapping lines. Each panel is titled with its
// series' name.
//
// The window axis is scaled to what the flows spend their time at (1.5 times
// the largest 95th percentile of cwnd over time), so that one brief peak,
// such as the inflated window of a slow-start overshoot, does not flatten
// every sawtooth; a panel whose peak is cut says so in its title.
func Variants(series []Series, title string) (*Figure, error) {
	if len(series) == 0 {
		return nil, fmt.Errorf("chart: no series")
	}
	f := &Figure{Title: title}
	xmax, ymax := 0.0, 0.0
	peaks := make([]float64, len(series))
	for i, s := range series {
		p, err := Cwnd(s.Trace, s.Flow, s.MSS, s.Name)
		if err != nil {
			return nil, fmt.Errorf("chart: series %q: %w", s.Name, err)
		}
		q, peak := cwndQuantile(flowRecords(s.Trace, s.Flow), s.MSS, 0.95)
		peaks[i] = peak
		xmax, ymax = math.Max(xmax, p.Plot.X.Max), math.Max(ymax, 1.5*q)
		f.Panels = append(f.Panels, p)
	}
	ymax = math.Max(ymax, 4)
	for i, c := range f.Panels {
		if peaks[i] > ymax {
			c.Plot.Title.Text += fmt.Sprintf(" (peak of %.0f segments above the scale)", peaks[i])
		}
	}
	for i, c := range f.Panels {
		p := c.Plot
		p.X.Min, p.X.Max = 0, xmax
		p.Y.Min, p.Y.Max = 0, ymax
		if i < len(f.Panels)-1 {
			p.X.Label.Text = "" // the time axis is labelled once, at the bottom
		}
		if i > 0 {
			p.Legend = plot.NewLegend() // the key is shown once, beside the top panel
			c.Entries = nil
		}
	}
	return f, nil
}

// Save writes the figure as PNG or SVG, chosen by the extension. The key
// (the first panel's legend) stands to the right of the first panel's data
// area, in a strip kept free beside every panel so that their time axes
// stay aligned.
func (f *Figure) Save(path string) error {
	if len(f.Panels) == 0 {
		return fmt.Errorf("chart: figure %q has no panels", f.Title)
	}
	dc, c, err := plotkit.Canvas(path, Width, f.height())
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	f.draw(dc)
	if err := plotkit.WriteFile(c, path); err != nil {
		return fmt.Errorf("chart: %s: %w", path, err)
	}
	return nil
}

func (f *Figure) height() vg.Length {
	return PanelHeight*vg.Length(len(f.Panels)) + f.titleHeight()
}

func (f *Figure) titleHeight() vg.Length {
	if f.Title == "" {
		return 0
	}
	return 0.4 * vg.Inch
}

// draw draws the figure on dc and returns each panel's data area and the
// key's rectangle, for the tests.
func (f *Figure) draw(dc draw.Canvas) (data []vg.Rectangle, key vg.Rectangle) {
	if f.Title != "" {
		font := plot.DefaultFont
		font.Size = vg.Points(14)
		sty := draw.TextStyle{Color: color.Black, Font: font, XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
		dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - 0.08*vg.Inch}, f.Title)
		dc.Max.Y -= f.titleHeight()
	}
	leg := f.Panels[0].Plot.Legend
	strip := plotkit.LegendWidth(leg)
	if strip > 0 {
		strip += 3 * vg.Millimeter
	}
	dc.Max.X -= strip
	rows := make([][]*plot.Plot, len(f.Panels))
	for i, p := range f.Panels {
		rows[i] = []*plot.Plot{p.Plot}
	}
	canvases := plot.Align(rows, draw.Tiles{Rows: len(rows), Cols: 1, PadY: vg.Points(4), PadTop: vg.Points(2), PadBottom: vg.Points(2), PadLeft: vg.Points(2), PadRight: vg.Points(8)}, dc)
	for i, c := range f.Panels {
		own := c.Plot.Legend
		c.Plot.Legend = plot.NewLegend()
		c.Plot.Draw(canvases[i][0])
		c.Plot.Legend = own
		data = append(data, c.Plot.DataCanvas(canvases[i][0]).Rectangle)
	}
	if strip > 0 {
		top := data[0]
		r := leg.Rectangle(draw.Canvas{})
		lc := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: dc.Max.X + 3*vg.Millimeter, Y: top.Max.Y - (r.Max.Y - r.Min.Y)},
			Max: vg.Point{X: dc.Max.X + strip, Y: top.Max.Y},
		}}
		leg.Top, leg.Left, leg.XOffs, leg.YOffs = true, true, 0, 0
		leg.Draw(lc)
		key = lc.Rectangle
	}
	return data, key
}

// Sweep is one variant's loss sweep for [Throughput].
type Sweep struct {
	Variant string
	Points  []reno.SweepPoint // with Model set (reno.Sweep does)
	Model   string            // what Model is, for the legend: "PFTK", "RFC 9438", ...
}

// Throughput draws throughput against loss probability on log-log axes:
// for each variant, its simulated points (markers) beside its model (a
// dashed line in the same colour). Variants that share a model (Reno,
// NewReno and SACK all have PFTK under random loss) share one line, labelled
// with all their names.
func Throughput(sweeps []Sweep, title string) (*Chart, error) {
	if len(sweeps) == 0 {
		return nil, fmt.Errorf("chart: no sweeps")
	}
	p := newChart(title, "loss probability p", "throughput (b/s)")
	p.Plot.X.Scale, p.Plot.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.Plot.X.Tick.Marker, p.Plot.Y.Tick.Marker = plotkit.LogTicks{}, plotkit.LogTicks{}
	glyphs := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}}
	type model struct {
		names []string
		color color.Color
		xy    plotter.XYs
		label string
	}
	var models []*model
	byKey := map[string]*model{}
	for i, s := range sweeps {
		var sim, xy plotter.XYs
		for _, pt := range s.Points {
			if pt.P <= 0 || pt.Simulated <= 0 {
				continue
			}
			sim = append(sim, plotter.XY{X: pt.P, Y: pt.Simulated})
			if pt.Model > 0 && !math.IsInf(pt.Model, 0) {
				xy = append(xy, plotter.XY{X: pt.P, Y: pt.Model})
			}
		}
		if len(sim) == 0 {
			return nil, fmt.Errorf("chart: sweep %q has no points with p > 0 and throughput > 0", s.Variant)
		}
		c := plotkit.Color(i)
		if err := addMarks(p, s.Variant+" simulated", sim, glyphs[i%len(glyphs)], c); err != nil {
			return nil, err
		}
		if len(xy) == 0 {
			continue
		}
		key := fmt.Sprint(s.Model, xy)
		if m, ok := byKey[key]; ok {
			m.names = append(m.names, s.Variant)
			continue
		}
		m := &model{names: []string{s.Variant}, color: c, xy: xy, label: s.Model}
		byKey[key] = m
		models = append(models, m)
	}
	for _, m := range models {
		if err := addLine(p, strings.Join(m.names, ", ")+": "+m.label, m.xy, m.color, true); err != nil {
			return nil, err
		}
	}
	plotkit.LogAxis(&p.Plot.X)
	plotkit.LogAxis(&p.Plot.Y)
	return p, nil
}

// Save writes one plot as PNG or SVG, chosen by the extension, at [Width] x
// Height.
func Save(c *Chart, path string) error {
	if err := plotkit.Save(c.Plot, Width, Height, path); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	return nil
}

// roomForLegend starts the y axis at 0 and leaves a little room above the
// highest point; the legend itself stands beside the data area (plotkit.Save
// and Figure.Save put it there).
func roomForLegend(c *Chart) {
	c.Plot.Y.Min = 0
	if c.Plot.Y.Max > 0 {
		c.Plot.Y.Max *= 1.05
	}
}

// cwndQuantile returns the q quantile of cwnd in segments over time (cwnd
// sampled at 1000 even instants) and its peak.
func cwndQuantile(recs []reno.Record, mss int, q float64) (float64, float64) {
	if len(recs) == 0 || mss <= 0 {
		return 0, 0
	}
	const n = 1000
	end := recs[len(recs)-1].Time
	samples := make([]float64, 0, n)
	peak := 0.0
	j := 0
	for i := 0; i < n; i++ {
		at := time.Duration(float64(end) * float64(i) / n)
		for j+1 < len(recs) && recs[j+1].Time <= at {
			j++
		}
		samples = append(samples, float64(recs[j].Cwnd)/float64(mss))
	}
	for _, r := range recs {
		peak = math.Max(peak, float64(r.Cwnd)/float64(mss))
	}
	sort.Float64s(samples)
	return samples[int(q*float64(len(samples)-1))], peak
}

func flowRecords(trace []reno.Record, flow int) []reno.Record {
	var out []reno.Record
	for _, r := range trace {
		if r.Flow == flow {
			out = append(out, r)
		}
	}
	return out
}

func cwndLine(recs []reno.Record, mss int) plotter.XYs {
	step := len(recs)/maxPoints + 1
	var xy plotter.XYs
	for j, r := range recs {
		if r.Event == reno.EventLoss || (j%step != 0 && j != len(recs)-1) {
			continue
		}
		xy = append(xy, plotter.XY{X: r.Time.Seconds(), Y: float64(r.Cwnd) / float64(mss)})
	}
	return xy
}

func addLine(p *Chart, name string, xy plotter.XYs, c color.Color, dashed bool) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return fmt.Errorf("chart: %s: %w", name, err)
	}
	l.Color = c
	l.Width = vg.Points(1.4)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	p.Plot.Add(l)
	p.legend(name, l)
	p.Lines++
	return nil
}

func addMarks(p *Chart, name string, xy plotter.XYs, g draw.GlyphDrawer, c color.Color) error {
	if len(xy) == 0 {
		return nil
	}
	s, err := plotter.NewScatter(xy)
	if err != nil {
		return fmt.Errorf("chart: %s: %w", name, err)
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3), Shape: g}
	p.Plot.Add(s)
	p.legend(name, s)
	p.Marks++
	return nil
}

type stateSpan struct {
	from, to float64
	state    reno.State
}

// stateSpans turns the records into time intervals of constant state.
func stateSpans(recs []reno.Record) []stateSpan {
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

// Plot implements plot.Plotter.
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

type swatch color.NRGBA

// Thumbnail implements plot.Thumbnailer.
func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(color.NRGBA(s), []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y},
	})
}
