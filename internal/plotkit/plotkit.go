// Package plotkit is the one home of what every netlab chart shares, so
// that all of them follow the same rules: a title that says what is shown,
// axes labelled with quantity and unit, ticks that suit the data (whole
// numbers for counts, thousands separators and SI prefixes for large
// values, labelled decades with minor ticks on log axes), a colour-blind-
// safe palette, and PNG or SVG from the same code.
//
// It is internal: the chart packages beside each concept (reno/chart,
// p2p/chart, ...) use it; the concept packages themselves never import a
// plotting stack.
package plotkit

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
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

// New returns a plot with its title and axis labels set. Labels should name
// the quantity and its unit: "time (s)", "throughput (Mb/s)".
func New(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	return p
}

// Save writes p to path as PNG or SVG, chosen by the file's extension.
func Save(p *plot.Plot, width, height vg.Length, path string) error {
	if err := CheckExt(path); err != nil {
		return err
	}
	return p.Save(width, height, path)
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
	if max < min {
		min, max = max, min
	}
	step := niceStep((max - min) / 5)
	if step < 1 {
		step = 1
	}
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max+step*1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: Thousands(int64(math.Round(v)))})
	}
	return withMinor(ticks, step, min, max)
}

// SITicks marks an axis of large or small measured values with SI prefixes
// ("1.5k", "20M", "300m").
type SITicks struct{}

// Ticks implements [plot.Ticker].
func (SITicks) Ticks(min, max float64) []plot.Tick {
	if max < min {
		min, max = max, min
	}
	step := niceStep((max - min) / 5)
	if step == 0 || math.IsNaN(step) || math.IsInf(step, 0) {
		return []plot.Tick{{Value: min, Label: SI(min)}}
	}
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max+step*1e-9; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: SI(v)})
	}
	return withMinor(ticks, step, min, max)
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
// ("0.01", "1", "100", "10k": decimals below 1, SI prefixes above 999), unlabelled minor ticks at 2..9 times each,
// and, when the axis spans less than two decades, labels at 2 and 5 as well
// so that a reader always has at least three values to read from.
type LogTicks struct{}

// Ticks implements [plot.Ticker].
func (LogTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max <= 0 || math.IsNaN(min) || math.IsNaN(max) {
		return nil
	}
	if max < min {
		min, max = max, min
	}
	lo, hi := math.Floor(math.Log10(min)), math.Ceil(math.Log10(max))
	few := hi-lo <= 2
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		base := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * base
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (few && (m == 2 || m == 5)) {
				t.Label = logLabel(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// logLabel writes values below 1 as decimals ("0.01": probabilities and
// fractions read better so) and large ones with SI prefixes ("10k").
func logLabel(v float64) string {
	if v < 1 {
		return strconv.FormatFloat(roundSig(v, 3), 'f', -1, 64)
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
