// Package plotkit is the one home of what every netlab chart shares, so
// that all of them follow the same rules: a title that says what is shown,
// axes labelled with quantity and unit, ticks that suit the data (whole
// numbers for counts, thousands separators and SI prefixes for large
// values, at least three labelled values with minor ticks on log axes), a
// colour-blind-safe palette, a legend that covers no data (beside the data
// area, see [Draw], or in a corner free of data, see [LegendInside]), a
// margin above the title, and PNG or SVG from the same code.
//
// It is internal: the chart packages beside each concept (reno/chart,
// p2p/chart, ...) use it; the concept packages themselves never import a
// plotting stack.
package plotkit

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Palette is the Okabe–Ito palette (Okabe and Ito, "Color Universal
// Design", 2008): eight colours that stay distinct for readers with the
// common forms of colour-vision deficiency. Black comes last, for a
// reference line or a theory curve.
var Palette = [...]color.NRGBA{
	{0xE6, 0x9F, 0x00, 0xFF}, // orange
	{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	{0xF0, 0xE4, 0x42, 0xFF}, // yellow
	{0x00, 0x72, 0xB2, 0xFF}, // blue
	{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	{0x00, 0x00, 0x00, 0xFF}, // black
}

// seriesOrder lists the palette in the order series get it: the strongest
// contrasts first, yellow (weak on white) late, black kept for references.
var seriesOrder = [...]int{4, 5, 2, 0, 6, 1, 3}

// Color returns the colour of the i-th series: distinct for the first seven,
// then repeating.
func Color(i int) color.Color {
	if i < 0 {
		i = -i
	}
	return Palette[seriesOrder[i%len(seriesOrder)]]
}

// Reference is the colour of a theory or reference curve drawn beside
// measured series.
var Reference color.Color = Palette[7]

// Margin is the space kept free around a chart: above its title, so that
// the title does not touch the image's top edge, and at its right edge.
const Margin = 2 * vg.Millimeter

// New returns a plot with its title and axis labels set. Labels should name
// the quantity and its unit: "time (s)", "throughput (Mb/s)". The title gets
// padding below it; [Draw] and [Save] add the margin above it and place the
// legend beside the data area, where it covers nothing.
func New(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.Padding = vg.Points(2) // entries apart, so descenders do not touch the next line
	return p
}

// legendGap is the space between the data area and a legend beside it.
const legendGap = 3 * vg.Millimeter

// LegendWidth is the width of p's legend (0 when it has no entries).
func LegendWidth(l plot.Legend) vg.Length {
	r := l.Rectangle(draw.Canvas{})
	return r.Max.X - r.Min.X
}

// Layout computes where [Draw] puts the parts of p on a canvas of w × h: the
// data area and the legend's rectangle (zero when the legend is empty). The
// legend always lies right of the data area, so it never hides data; tests
// use Layout to check that.
func Layout(p *plot.Plot, w, h vg.Length) (data, legend vg.Rectangle) {
	c := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: w, Y: h}}}
	pc, lc := split(p, c)
	data = p.DataCanvas(pc).Rectangle
	if lc.Max.X <= lc.Min.X {
		return data, vg.Rectangle{}
	}
	l := p.Legend
	lr := l.Rectangle(draw.Canvas{})
	lh := lr.Max.Y - lr.Min.Y
	legend = vg.Rectangle{
		Min: vg.Point{X: lc.Min.X, Y: data.Max.Y - lh},
		Max: vg.Point{X: lc.Min.X + LegendWidth(l), Y: data.Max.Y},
	}
	return data, legend
}

// split divides c into the canvas for the plot (the top margin removed) and
// the strip at its right for the legend (empty when there is none).
func split(p *plot.Plot, c draw.Canvas) (pc, lc draw.Canvas) {
	c.Max.Y -= Margin
	c.Max.X -= Margin
	pc, lc = c, c
	lw := LegendWidth(p.Legend)
	if lw == 0 {
		lc.Min.X = lc.Max.X
		return pc, lc
	}
	pc.Max.X -= lw + legendGap
	lc.Min.X = pc.Max.X + legendGap
	return pc, lc
}

// Draw draws p on c as every netlab chart is drawn: a margin above the
// title, and the legend, when it has entries, to the right of the data area,
// aligned with the data area's top.
func Draw(p *plot.Plot, c draw.Canvas) {
	DrawWithLegend(p, p.Legend, c)
}

// DrawWithLegend is [Draw] with the legend l placed beside p instead of
// p's own; with an empty l, only a margin is reserved. A figure of aligned
// panels uses it to show one key beside the first panel while reserving
// the same strip beside the others.
func DrawWithLegend(p *plot.Plot, l plot.Legend, c draw.Canvas) {
	own := p.Legend
	p.Legend = l
	pc, lc := split(p, c)
	p.Legend = plot.NewLegend()
	defer func() { p.Legend = own }()
	p.Draw(pc)
	if lc.Max.X <= lc.Min.X || LegendWidth(l) == 0 {
		return
	}
	data := p.DataCanvas(pc)
	lc.Min.Y, lc.Max.Y = data.Min.Y, data.Max.Y
	l.Top, l.Left = true, true
	l.XOffs, l.YOffs = 0, 0
	l.Draw(lc)
}

// Canvas returns a canvas of w × h for path's format (PNG or SVG, by the
// extension) and the writer that encodes it.
func Canvas(path string, w, h vg.Length) (draw.Canvas, vg.CanvasWriterTo, error) {
	if err := CheckExt(path); err != nil {
		return draw.Canvas{}, nil, err
	}
	var c vg.CanvasWriterTo
	if strings.EqualFold(filepath.Ext(path), ".svg") {
		c = vgsvg.New(w, h)
	} else {
		c = vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
	}
	return draw.New(c), c, nil
}

// WriteFile encodes c to path.
func WriteFile(c vg.CanvasWriterTo, path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Save writes p to path as PNG or SVG, chosen by the file's extension,
// drawn by [Draw].
func Save(p *plot.Plot, width, height vg.Length, path string) error {
	dc, c, err := Canvas(path, width, height)
	if err != nil {
		return err
	}
	Draw(p, dc)
	return WriteFile(c, path)
}

// CheckExt reports whether path ends in an extension the charts can write.
func CheckExt(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".svg":
		return nil
	}
	return fmt.Errorf("chart %s: want a .png or .svg file name", path)
}

// CountTicks marks an axis of counts: only whole numbers, at 1, 2 or 5
// times a power of ten, with thousands separators.
type CountTicks struct{}

// Ticks implements [plot.Ticker].
func (CountTicks) Ticks(min, max float64) []plot.Tick {
	min, max, step := niceRange(min, max, 5)
	if step < 1 {
		step = 1
	}
	return linearTicks(min, max, step, nil, func(v float64) string { return Thousands(int64(math.Round(v))) })
}

// SITicks marks an axis of large or small measured values with SI prefixes
// ("1.5k", "20M", "300m").
type SITicks struct{}

// Ticks implements [plot.Ticker].
func (SITicks) Ticks(min, max float64) []plot.Tick {
	min, max, step := niceRange(min, max, 5)
	if !usable(step) {
		return []plot.Tick{{Value: min, Label: SI(min)}}
	}
	return linearTicks(min, max, step, snapZero, SI)
}

// DecimalTicks marks a linear axis of plain numbers, such as fractions,
// with decimals ("0.2", "0.4") at 1, 2 or 5 times a power of ten: about
// five to ten labels.
type DecimalTicks struct{}

// Ticks implements [plot.Ticker].
func (DecimalTicks) Ticks(min, max float64) []plot.Tick {
	min, max, step := niceRange(min, max, 6)
	if !usable(step) {
		return []plot.Tick{{Value: min, Label: strconv.FormatFloat(min, 'g', 3, 64)}}
	}
	round := func(v, step float64) float64 { return snapZero(roundSig(v, 6), step) }
	return linearTicks(min, max, step, round, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) })
}

// niceRange puts min and max in order and picks the nice step that cuts
// the range into about n parts.
func niceRange(min, max, n float64) (lo, hi, step float64) {
	if max < min {
		min, max = max, min
	}
	return min, max, niceStep((max - min) / n)
}

// usable reports whether step can walk an axis: an empty or infinite range
// gives 0, NaN or Inf.
func usable(step float64) bool { return step != 0 && !math.IsNaN(step) && !math.IsInf(step, 0) }

// linearTicks labels the multiples of step from min to max, each value
// first adjusted by snap (when not nil; the next value counts on from the
// adjusted one), and adds the minor ticks halfway between: the loop of
// every linear ticker.
func linearTicks(min, max, step float64, snap func(v, step float64) float64, label func(float64) string) []plot.Tick {
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max+step*1e-9; v += step {
		if snap != nil {
			v = snap(v, step)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label(v)})
	}
	return withMinor(ticks, step, min, max)
}

// snapZero turns the rounding noise of a multiple of step that should be 0
// into 0, so that it is labelled "0" and not "-1e-17".
func snapZero(v, step float64) float64 {
	if math.Abs(v) < step*1e-9 {
		return 0
	}
	return v
}

// withMinor adds unlabelled ticks halfway between the labelled ones.
func withMinor(major []plot.Tick, step, min, max float64) []plot.Tick {
	out := append([]plot.Tick(nil), major...)
	if len(major) == 0 {
		return out
	}
	for v := major[0].Value - step/2; v <= max; v += step {
		if v >= min {
			out = append(out, plot.Tick{Value: v})
		}
	}
	return out
}

// LogTicks marks a log-scaled axis: a label at every power of ten
// ("0.01", "1", "100", "10k": decimals below 1, SI prefixes above 999) and
// unlabelled minor ticks at 2..9 times each. When fewer than three powers
// of ten fall on the axis it labels 2 and 5 times each as well, then every
// minor tick, then the axis' ends, so that a reader always has at least
// three values to read from. [LogAxis] also extends the axis to whole
// decades, so that no point lies beyond the outermost labels.
type LogTicks struct{}

// Ticks implements [plot.Ticker].
func (LogTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max <= 0 || math.IsNaN(min) || math.IsNaN(max) || math.IsInf(min, 0) || math.IsInf(max, 0) {
		return nil
	}
	if max < min {
		min, max = max, min
	}
	lo, hi := math.Floor(math.Log10(min)), math.Ceil(math.Log10(max))
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		base := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * base
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: v})
		}
	}
	// Label the mantissas of the first rule that gives three labels.
	for _, label := range []func(m float64) bool{
		func(m float64) bool { return m == 1 },
		func(m float64) bool { return m == 1 || m == 2 || m == 5 },
		func(float64) bool { return true },
	} {
		n := 0
		for i, t := range ticks {
			ticks[i].Label = ""
			if label(mantissa(t.Value)) {
				ticks[i].Label = logLabel(t.Value)
				n++
			}
		}
		if n >= 3 {
			return ticks
		}
	}
	// A span narrower than the gaps between mantissas: label its ends and
	// its geometric middle, with the digits that tell them apart.
	ends := []float64{min, math.Sqrt(min * max), max}
	for digits := 2; ; digits++ {
		var ls []string
		for _, v := range ends {
			ls = append(ls, logLabel(roundSig(v, digits)))
		}
		if (ls[0] != ls[1] && ls[1] != ls[2]) || digits >= 8 {
			for i := range ticks {
				ticks[i].Label = ""
			}
			for i, v := range ends {
				ticks = append(ticks, plot.Tick{Value: v, Label: ls[i]})
			}
			return ticks
		}
	}
}

// mantissa returns m of v = m × 10^e, rounded to a whole number.
func mantissa(v float64) float64 {
	return math.Round(v / math.Pow(10, math.Floor(math.Log10(v)+1e-9)))
}

// LogAxis makes a a log axis (with [LogTicks] unless it has a log ticker of
// its own) and, when its lowest (highest)
// value is not a labelled tick, extends it down (up) to the power of ten
// below (above), so that every point lies between labelled values. Call it
// after the data are added, which sets the axis' range.
func LogAxis(a *plot.Axis) {
	a.Scale = plot.LogScale{}
	if a.Tick.Marker == nil || isDefaultTicker(a.Tick.Marker) {
		a.Tick.Marker = LogTicks{} // a chart's own log ticker is kept
	}
	if a.Min <= 0 || a.Max <= 0 || a.Max < a.Min {
		return
	}
	labelled := func() (lo, hi float64) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, t := range (LogTicks{}).Ticks(a.Min, a.Max) {
			if t.Label != "" {
				lo, hi = math.Min(lo, t.Value), math.Max(hi, t.Value)
			}
		}
		return lo, hi
	}
	if lo, _ := labelled(); lo > a.Min*(1+1e-9) {
		a.Min = math.Pow(10, math.Floor(math.Log10(a.Min)+1e-9))
	}
	if _, hi := labelled(); hi < a.Max*(1-1e-9) {
		a.Max = math.Pow(10, math.Ceil(math.Log10(a.Max)-1e-9))
	}
}

func isDefaultTicker(t plot.Ticker) bool {
	switch t.(type) {
	case plot.DefaultTicks, plot.LogTicks:
		return true
	}
	return false
}

// logLabel writes values below 1 as decimals ("0.01": probabilities and
// fractions read better so) and large ones with SI prefixes ("10k").
func logLabel(v float64) string {
	if v < 1 {
		return strconv.FormatFloat(roundSig(v, 6), 'f', -1, 64)
	}
	if v < 1000 {
		return strconv.FormatFloat(roundSig(v, 6), 'f', -1, 64)
	}
	return SI(v)
}

// niceStep rounds a raw step to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 0
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / mag; {
	case f < 1.5:
		return mag
	case f < 3.5:
		return 2 * mag
	case f < 7.5:
		return 5 * mag
	}
	return 10 * mag
}

// Thousands formats n with comma thousands separators: 1234567 → "1,234,567".
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// SI formats v with an SI prefix and at most three significant digits:
// 1500 → "1.5k", 0.02 → "20m", 3e9 → "3G".
func SI(v float64) string {
	if v == 0 {
		return "0"
	}
	prefixes := []struct {
		exp int
		sym string
	}{{12, "T"}, {9, "G"}, {6, "M"}, {3, "k"}, {0, ""}, {-3, "m"}, {-6, "µ"}, {-9, "n"}}
	a := math.Abs(v)
	for _, p := range prefixes {
		scale := math.Pow(10, float64(p.exp))
		if a >= scale*(1-1e-9) || p.exp == -9 {
			return strconv.FormatFloat(roundSig(v/scale, 3), 'f', -1, 64) + p.sym
		}
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func roundSig(v float64, digits int) float64 {
	if v == 0 {
		return 0
	}
	mag := math.Pow(10, float64(digits)-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*mag) / mag
}

// LegendInside finds a corner of the data area data (the canvas
// [plot.Plot.DataCanvas] returns) where legend l, inset a little from the
// axes, covers none of the series: neither a point nor the straight line
// between two consecutive points. It tries the top-left, top-right,
// bottom-right and bottom-left corners in turn and returns the first free
// one's rectangle, or false when every corner covers data (then the legend
// belongs beside the plot, as [Draw] puts it).
func LegendInside(p *plot.Plot, data draw.Canvas, l plot.Legend, series ...plotter.XYs) (vg.Rectangle, bool) {
	lr := l.Rectangle(draw.Canvas{})
	w, h := LegendWidth(l), lr.Max.Y-lr.Min.Y
	if w == 0 {
		return vg.Rectangle{}, true
	}
	inset := vg.Points(6)
	trX, trY := p.Transforms(&data)
	for _, corner := range [][2]bool{{true, true}, {true, false}, {false, false}, {false, true}} {
		top, left := corner[0], corner[1]
		r := vg.Rectangle{Min: vg.Point{X: data.Min.X + inset, Y: data.Min.Y + inset}}
		if !left {
			r.Min.X = data.Max.X - inset - w
		}
		if top {
			r.Min.Y = data.Max.Y - inset - h
		}
		r.Max = vg.Point{X: r.Min.X + w, Y: r.Min.Y + h}
		if r.Min.X < data.Min.X || r.Min.Y < data.Min.Y {
			return vg.Rectangle{}, false // too big for the data area
		}
		if !covers(r, series, trX, trY) {
			return r, true
		}
	}
	return vg.Rectangle{}, false
}

// covers reports whether r (grown by a point's radius) holds any point of
// the series, or any of 16 evenly spaced points along each segment.
func covers(r vg.Rectangle, series []plotter.XYs, trX, trY func(float64) vg.Length) bool {
	pad := vg.Points(3)
	in := func(x, y vg.Length) bool {
		return x >= r.Min.X-pad && x <= r.Max.X+pad && y >= r.Min.Y-pad && y <= r.Max.Y+pad
	}
	for _, s := range series {
		for i, pt := range s {
			x, y := trX(pt.X), trY(pt.Y)
			if in(x, y) {
				return true
			}
			if i == 0 {
				continue
			}
			px, py := trX(s[i-1].X), trY(s[i-1].Y)
			for k := 1; k < 16; k++ {
				f := vg.Length(k) / 16
				if in(px+(x-px)*f, py+(y-py)*f) {
					return true
				}
			}
		}
	}
	return false
}

// DrawLegendAt draws l with its top-left corner at r's.
func DrawLegendAt(l plot.Legend, c draw.Canvas, r vg.Rectangle) {
	c.Rectangle = r
	l.Top, l.Left, l.XOffs, l.YOffs = true, true, 0, 0
	l.Draw(c)
}
