// Package chart draws pictures of package mlcluster's results with
// gonum/plot. It is kept apart from mlcluster so that a program that only
// runs the cluster does not import a plotting stack.
package chart

import (
	"fmt"
	"image/color"
	"strconv"

	"github.com/netlab-go/netlab/internal/plotkit"
	"github.com/netlab-go/netlab/mlcluster"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Size is the size [Clusters] draws at.
const (
	Width  = 8 * vg.Inch
	Height = 6 * vg.Inch
)

// maxPlotPoints bounds the points drawn; larger datasets are thinned evenly.
const maxPlotPoints = 20000

// Clusters draws a k-means result as a scatter plot, one colour per
// cluster, with the centroids marked by large crosses, and saves it to path
// (the extension picks the format: .png or .svg). The axes are the first
// two columns of the data, or, when pca is the result of a "pca" job on the
// same data, the first two principal components (the centroids are projected
// the same way). Datasets of more than 20,000 rows are thinned evenly.
func Clusters(path string, ds *mlcluster.Dataset, km, pca *mlcluster.Result) error {
	if err := plotkit.CheckExt(path); err != nil {
		return fmt.Errorf("mlcluster: %w", err)
	}
	p, err := ClustersPlot(ds, km, pca)
	if err != nil {
		return err
	}
	return plotkit.Save(p, Width, Height, path)
}

// ClustersPlot returns the plot [Clusters] draws, for callers that want to
// change it before saving it with [plotkit.Save]: one scatter series per
// cluster and one for the centroids, each with a legend entry.
func ClustersPlot(ds *mlcluster.Dataset, km, pca *mlcluster.Result) (*plot.Plot, error) {
	cents := km.Table("centroids")
	labels := km.Labels()
	if len(labels) != ds.Rows || cents.Cols != ds.Cols {
		return nil, fmt.Errorf("mlcluster: chart: the k-means result does not match the %dx%d dataset", ds.Rows, ds.Cols)
	}
	xlab, ylab := columnName(ds, 0), columnName(ds, 1)
	point := func(i int) (float64, float64) { return ds.Row(i)[0], at(ds.Row(i), 1) }
	centre := func(c int) (float64, float64) { return cents.Row(c)[0], at(cents.Row(c), 1) }
	if pca != nil {
		proj, mean, comps := pca.Table("projected"), pca.Table("mean"), pca.Table("components")
		if proj.Rows != ds.Rows || comps.Cols != ds.Cols || len(mean.Data) != ds.Cols {
			return nil, fmt.Errorf("mlcluster: chart: the pca result does not match the %dx%d dataset", ds.Rows, ds.Cols)
		}
		xlab, ylab = "PC1 (first principal component, in the data's units)", "PC2 (second principal component, in the data's units)"
		point = func(i int) (float64, float64) { return proj.Row(i)[0], at(proj.Row(i), 1) }
		project := func(row []float64, c int) float64 {
			if c >= comps.Rows {
				return 0
			}
			var v float64
			for j, x := range row {
				v += (x - mean.Data[j]) * comps.At(c, j)
			}
			return v
		}
		centre = func(c int) (float64, float64) { return project(cents.Row(c), 0), project(cents.Row(c), 1) }
	}

	p := plotkit.New(title(cents.Rows, ds.Rows, km.Value("inertia")), xlab, ylab)
	groups := make([]plotter.XYs, cents.Rows)
	stride := max(1, ds.Rows/maxPlotPoints)
	for i := 0; i < ds.Rows; i += stride {
		x, y := point(i)
		if l := labels[i]; l >= 0 && l < len(groups) {
			groups[l] = append(groups[l], plotter.XY{X: x, Y: y})
		}
	}
	for c, pts := range groups {
		if len(pts) == 0 {
			continue
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle.Color = plotkit.Color(c)
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		s.GlyphStyle.Radius = vg.Points(1.5)
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("cluster %d", c), s)
	}
	cs := make(plotter.XYs, cents.Rows)
	for c := range cs {
		cs[c].X, cs[c].Y = centre(c)
	}
	marks, err := plotter.NewScatter(cs)
	if err != nil {
		return nil, err
	}
	marks.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(7), Shape: draw.CrossGlyph{}}
	p.Add(marks)
	p.Legend.Add("centroids", marks)
	return p, nil
}

func at(row []float64, j int) float64 {
	if j < len(row) {
		return row[j]
	}
	return 0
}

// title states what the chart shows, with the inertia (the sum of squared
// distances to the nearest centroid) in SI form: "85.1k", not "8.508e+04".
func title(k, rows int, inertia float64) string {
	return fmt.Sprintf("k-means: %d clusters of %s rows (inertia %s)", k, plotkit.Thousands(int64(rows)), plotkit.SI(inertia))
}

// columnName labels axis j: the dataset's header name when it has one,
// otherwise what the values are, "x₁ (column 1 of the data, unitless)".
func columnName(ds *mlcluster.Dataset, j int) string {
	if j < len(ds.Header) && ds.Header[j] != "" {
		return ds.Header[j]
	}
	if j >= ds.Cols {
		return "0 (the data have one column)"
	}
	return fmt.Sprintf("x%s (column %d of the data, unitless)", subscript(j+1), j+1)
}

func subscript(n int) string {
	var b []rune
	for _, r := range strconv.Itoa(n) {
		b = append(b, '₀'+(r-'0'))
	}
	return string(b)
}
