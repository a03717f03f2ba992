package plotkit

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

func labels(ticks []plot.Tick) []string {
	var out []string
	for _, t := range ticks {
		if t.Label != "" {
			out = append(out, t.Label)
		}
	}
	return out
}

func TestCountTicksAreWholeNumbers(t *testing.T) {
	for _, r := range [][2]float64{{0, 3}, {0, 7.5}, {0, 53000}, {12, 17}, {0, 1}} {
		ticks := CountTicks{}.Ticks(r[0], r[1])
		require.NotEmpty(t, labels(ticks), "range %v", r)
		for _, tk := range ticks {
			if tk.Label == "" {
				continue
			}
			assert.Equal(t, math.Round(tk.Value), tk.Value, "range %v: tick %v", r, tk.Value)
			assert.NotContains(t, tk.Label, ".", "range %v: label %q", r, tk.Label)
		}
	}
	assert.Equal(t, []string{"0", "10,000", "20,000", "30,000", "40,000", "50,000"}, labels(CountTicks{}.Ticks(0, 53000)))
	assert.Equal(t, []string{"0", "1", "2", "3"}, labels(CountTicks{}.Ticks(0, 3)))
}

func TestSITicks(t *testing.T) {
	assert.Equal(t, []string{"0", "2M", "4M", "6M", "8M", "10M"}, labels(SITicks{}.Ticks(0, 1e7)))
	assert.Equal(t, []string{"0", "20m", "40m", "60m", "80m", "100m"}, labels(SITicks{}.Ticks(0, 0.1)))
	assert.Equal(t, []string{"5"}, labels(SITicks{}.Ticks(5, 5)))
}

func TestLogTicksLabelDecadesAndMarkMinors(t *testing.T) {
	ticks := LogTicks{}.Ticks(1, 1000)
	assert.Equal(t, []string{"1", "10", "100", "1k"}, labels(ticks))
	assert.Len(t, ticks, 28, "9 per decade for three decades, plus 1000")
	// A narrow span still gets at least three labels.
	narrow := labels(LogTicks{}.Ticks(1, 20))
	assert.GreaterOrEqual(t, len(narrow), 3, "%v", narrow)
	assert.Equal(t, []string{"1", "2", "5", "10", "20"}, narrow)
	assert.Equal(t, []string{"0.001", "0.01", "0.1", "1"}, labels(LogTicks{}.Ticks(0.001, 1)))
	assert.Equal(t, []string{"1", "10", "100", "1k", "10k"}, labels(LogTicks{}.Ticks(1, 1e4)))
	assert.Nil(t, LogTicks{}.Ticks(0, 10))
	// 2.3 decades (reno's sweep): only 100k and 1M are powers of ten, so 2×
	// and 5× are labelled as well.
	assert.Equal(t, []string{"50k", "100k", "200k", "500k", "1M", "2M", "5M"}, labels(LogTicks{}.Ticks(25e3, 5e6)))
	// A CCDF from 0.02 to 1.6 (p2p's right panel).
	assert.Equal(t, []string{"0.02", "0.05", "0.1", "0.2", "0.5", "1"}, labels(LogTicks{}.Ticks(0.02, 1.6)))
}

func TestLogTicksAlwaysLabelThreeValues(t *testing.T) {
	for _, r := range [][2]float64{{25e3, 5.6e6}, {0.05, 1.6}, {3, 8}, {31, 39}, {1.01, 1.02}, {6, 8}, {1e-9, 1e9}, {0.3, 3}} {
		l := labels(LogTicks{}.Ticks(r[0], r[1]))
		assert.GreaterOrEqual(t, len(l), 3, "range %v: %v", r, l)
		seen := map[string]bool{}
		for _, s := range l {
			assert.False(t, seen[s], "range %v: label %q twice in %v", r, s, l)
			seen[s] = true
		}
	}
}

func TestLogAxisExtendsToTheDecadeBelowTheLowestPoint(t *testing.T) {
	p := New("throughput", "loss probability p", "throughput (b/s)")
	s, err := plotter.NewScatter(plotter.XYs{{X: 1e-4, Y: 25e3}, {X: 0.05, Y: 5.6e6}})
	require.NoError(t, err)
	p.Add(s)
	LogAxis(&p.Y)
	assert.Equal(t, 1e4, p.Y.Min, "the lowest point (25k) lies below 50k, the lowest label without the extension")
	assert.Equal(t, 1e7, p.Y.Max)
	l := labels(p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max))
	assert.Equal(t, []string{"10k", "100k", "1M", "10M"}, l)
	LogAxis(&p.X)
	assert.Equal(t, 1e-4, p.X.Min, "already a labelled decade")
	assert.Equal(t, 0.1, p.X.Max)
}

func TestDecimalTicks(t *testing.T) {
	assert.Equal(t, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}, labels(DecimalTicks{}.Ticks(0, 1.02)))
}

func TestLegendLiesBesideTheDataArea(t *testing.T) {
	p := New("a title", "x (s)", "y (B)")
	for i := range 3 {
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: float64(i)}, {X: 10, Y: float64(i + 1)}})
		require.NoError(t, err)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("series %d with a long name", i), l)
	}
	w, h := 6*vg.Inch, 4*vg.Inch
	data, legend := Layout(p, w, h)
	assert.Greater(t, legend.Max.X-legend.Min.X, vg.Length(0))
	assert.GreaterOrEqual(t, legend.Min.X, data.Max.X, "the legend starts right of the data area")
	assert.LessOrEqual(t, legend.Max.X, w)
	assert.LessOrEqual(t, data.Max.Y, h-Margin-p.Title.TextStyle.Height(p.Title.Text), "a margin above the title")
	// Without entries the data area takes the width.
	q := New("a title", "x (s)", "y (B)")
	q.Add(plotter.NewGrid())
	d2, l2 := Layout(q, w, h)
	assert.Zero(t, l2)
	assert.Greater(t, d2.Max.X, data.Max.X)
}

func TestFormatting(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		assert.Equal(t, want, Thousands(in))
	}
	for in, want := range map[float64]string{1500: "1.5k", 0.02: "20m", 3e9: "3G", 1: "1", 123456: "123k", -2000: "-2k", 2.5e-7: "250n"} {
		assert.Equal(t, want, SI(in), "%g", in)
	}
}

func TestPaletteIsDistinct(t *testing.T) {
	seen := map[color.Color]bool{}
	for i := range 7 {
		c := Color(i)
		assert.False(t, seen[c], "series %d repeats a colour", i)
		seen[c] = true
		assert.NotEqual(t, Reference, c, "series colours leave black for references")
	}
	assert.Equal(t, Color(0), Color(7), "the eighth series starts over")
}

func TestSaveWritesPNGAndSVGFromTheSamePlot(t *testing.T) {
	p := New("frames per second", "time (s)", "frames")
	p.Y.Tick.Marker = CountTicks{}
	l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 3}})
	require.NoError(t, err)
	l.Color = Color(0)
	p.Add(l)
	p.Legend.Add("capture", l)
	dir := t.TempDir()
	for _, name := range []string{"c.png", "c.svg"} {
		path := filepath.Join(dir, name)
		require.NoError(t, Save(p, 4*vg.Inch, 3*vg.Inch, path))
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		if strings.HasSuffix(name, ".png") {
			assert.Equal(t, "\x89PNG", string(b[:4]))
		} else {
			assert.Contains(t, string(b), "<svg")
		}
	}
	err = Save(p, 4*vg.Inch, 3*vg.Inch, filepath.Join(dir, "c.jpg"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "want a .png or .svg")
}
