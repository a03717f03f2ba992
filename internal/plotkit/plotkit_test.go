package plotkit

import (
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
